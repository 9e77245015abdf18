"""Welfare's periodic task: the safety checks after the meal cut-off (celery beat, see
settings.CELERY_BEAT_SCHEDULE; `manage.py raise_safety_checks` does the same by hand)."""

from __future__ import annotations

from datetime import date

from celery import shared_task
from django.utils import timezone

from welfare.services import safety_checks_raise


@shared_task(name="welfare.tasks.raise_safety_checks")
def raise_safety_checks(day: str | None = None) -> int:
    """A check for every lone elder of a served village nobody reached today; idempotent."""
    raised = safety_checks_raise(day=date.fromisoformat(day) if day else timezone.localdate())
    return len(raised)
