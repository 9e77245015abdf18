"""Welfare's periodic task: the safety checks after the meal cut-off (celery beat runs it from
SCHEDULE, which WelfareConfig hands the kernel; `manage.py raise_safety_checks` does the same by
hand)."""

from __future__ import annotations

from datetime import date, time
from typing import Any

from celery import shared_task
from celery.schedules import crontab
from django.conf import settings
from django.utils import timezone

from welfare.services import safety_checks_raise


@shared_task(name="welfare.tasks.raise_safety_checks")
def raise_safety_checks(day: str | None = None) -> int:
    """A check for every lone elder of a served village nobody reached today; idempotent."""
    raised = safety_checks_raise(day=date.fromisoformat(day) if day else timezone.localdate())
    return len(raised)


def _minutes_after(moment: time, minutes: int) -> time:
    total = moment.hour * 60 + moment.minute + minutes
    return time((total // 60) % 24, total % 60)


# A few minutes after the meal cut-off: lone elders nobody reached get a safety check.
SAFETY_CHECKS_AT = _minutes_after(settings.MEAL_CUTOFF, 5)
SCHEDULE: dict[str, dict[str, Any]] = {
    "raise-safety-checks": {
        "task": "welfare.tasks.raise_safety_checks",
        "schedule": crontab(hour=SAFETY_CHECKS_AT.hour, minute=SAFETY_CHECKS_AT.minute),
    },
}
