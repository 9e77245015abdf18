from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from xicheng.audit import audit_purge


class Command(BaseCommand):
    help = (
        "Remove audit records (audit events, record histories, login logs) older than "
        "AUDIT_RETENTION_DAYS (at least 180), and record that it was done."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="Keep this many days (no fewer than AUDIT_RETENTION_DAYS, the default).",
        )

    def handle(self, *args: Any, days: int | None = None, **options: Any) -> None:
        try:
            removed = audit_purge(days=days if days is not None else settings.AUDIT_RETENTION_DAYS)
        except ValueError as e:
            raise CommandError(str(e)) from None
        for table, count in sorted(removed.items()):
            if count:
                self.stdout.write(f"{table}: {count}")
        self.stdout.write(f"Removed {sum(removed.values())} audit records.")
