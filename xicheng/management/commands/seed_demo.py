from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from xicheng.demo import DEMO_ADMINS, DEMO_PASSWORD, DEMO_TOTP_KEY, PEOPLE, demo_recovery_codes, demo_today, seed


class Command(BaseCommand):
    help = "Build the demo Xicheng: areas, users, work lines, tasks, indicators, targets and records."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", type=int, default=1, help="Multiply the volume: N subdistricts (benchmarks).")
        parser.add_argument("--today", type=date.fromisoformat, default=None, help="Treat this day as today.")
        parser.add_argument(
            "--allow-demo-accounts",
            action="store_true",
            help="Seed even with DEBUG off. The demo accounts have a published password: never on a real install.",
        )

    def handle(
        self, *args: Any, scale: int, today: date | None, allow_demo_accounts: bool = False, **options: Any
    ) -> None:
        if not settings.DEBUG and not allow_demo_accounts:
            raise CommandError(
                "DEBUG is off: this looks like a real install, and the demo creates accounts whose password "
                "is published. Run it with DEBUG=true, or add --allow-demo-accounts if you really mean it."
            )
        if scale < 1:
            self.stderr.write("--scale must be at least 1.")
            raise SystemExit(2)
        ctx = seed(today=today or demo_today(), scale=scale, out=self.stdout)
        # Derived data built from the seeded rows goes here, before the statistics are taken.
        analyze()
        self.stdout.write(self.style.SUCCESS(f"Demo data ready as of {ctx.today:%Y-%m-%d}."))
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, name, _position, role, _areas in PEOPLE:
            self.stdout.write(f"  {username:<8} {role:<12} {name}")
        # The people the domain apps add (杨慧敏 runs the meal sheet; the squads' leaders), then
        # the numbered squad members in one line each.
        listed = {person[0] for person in PEOPLE}
        others = [user for username, user in ctx.users.items() if username not in listed]
        numbered: dict[str, list[str]] = {}
        for user in others:
            prefix = user.username.rstrip("0123456789")
            if prefix != user.username:
                numbered.setdefault(prefix, []).append(user.username)
                continue
            group = user.groups.first()
            self.stdout.write(f"  {user.username:<8} {group.name if group else '':<12} {user.cadre.name}")
        for prefix, names in numbered.items():
            # li-s2…li-s14: the cadres doing li's work in the copies of `--scale N`.
            whose = f"cadres doing {prefix[:-2]}'s work in the copies" if prefix.endswith("-s") else None
            self.stdout.write(f"  {names[0]}…{names[-1]}: {len(names)} {whose or 'more cadres of the squads'}")
        self.stdout.write(
            "\nThe administrators (" + ", ".join(DEMO_ADMINS) + ") also need a second-factor code after the password.\n"
            f"  TOTP key (add it to an authenticator app, or run `oathtool --totp -b {DEMO_TOTP_KEY}`):\n"
            f"    {DEMO_TOTP_KEY}\n"
            f"  otpauth://totp/Xicheng-demo?secret={DEMO_TOTP_KEY}&issuer=Xicheng-demo\n"
            "  or a single-use recovery code (running seed_demo again restores them):"
        )
        for username in DEMO_ADMINS:
            self.stdout.write(f"    {username:<8} " + "  ".join(demo_recovery_codes(username)))


def analyze() -> None:
    """Fresh planner statistics on PostgreSQL: a bulk seed leaves none where autovacuum is off
    (as on this project's machines), and the planner then guesses every table empty. Outside a
    transaction it vacuums too, marking the new pages all-visible: the index-only scans (the
    metric facts, a page's ids) then never visit the table."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)")
