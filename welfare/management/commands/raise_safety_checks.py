from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from welfare.services import safety_checks_raise


class Command(BaseCommand):
    help = (
        "Raise a safety check for every lone elder of a served village nobody reached by the cut-off "
        "(not at home, or no meal recorded). celery beat runs it (welfare.tasks) after MEAL_CUTOFF; this command "
        "is for a run by hand. Running it twice raises nothing new."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--day", type=date.fromisoformat, default=None, help="The day to check; today by default.")

    def handle(self, *args: Any, day: date | None, **options: Any) -> None:
        day = day or timezone.localdate()
        raised = safety_checks_raise(day=day)
        self.stdout.write(f"{day:%Y-%m-%d}: {len(raised)} safety check(s) raised.")
