from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from xicheng.demo import DEMO_PASSWORD, PEOPLE, demo_today, seed


class Command(BaseCommand):
    help = "Build the demo Xicheng: areas, users, work lines, tasks, indicators, targets and records."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", type=int, default=1, help="Multiply the volume: N subdistricts (benchmarks).")
        parser.add_argument("--today", type=date.fromisoformat, default=None, help="Treat this day as today.")

    def handle(self, *args: Any, scale: int, today: date | None, **options: Any) -> None:
        if scale < 1:
            self.stderr.write("--scale must be at least 1.")
            raise SystemExit(2)
        ctx = seed(today=today or demo_today(), scale=scale, out=self.stdout)
        self.stdout.write(self.style.SUCCESS(f"Demo data ready as of {ctx.today:%Y-%m-%d}."))
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, name, _position, role, _areas in PEOPLE:
            self.stdout.write(f"  {username:<8} {role:<11} {name}")
