"""The worker's side of supervision: each outbound delivery, retried with back-off, and on celery
beat (settings.CELERY_BEAT_SCHEDULE) the ladder, the reminders and the daily digest. Thin calls into the services, so a test or
`make run` runs them in the process exactly as the worker does."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from xicheng.supervision.notifications import (
    deliveries_requeue,
    delivery_send,
    delivery_task_run,
    retry_delay,
)
from xicheng.supervision.reminders import digests_send, reminders_send
from xicheng.supervision.services import cases_escalate_due


# No retry limit of Celery's own: the delivery counts its attempts (SUPERVISION_DELIVERY_ATTEMPTS).
@shared_task(bind=True, name="supervision.tasks.deliver", max_retries=None, acks_late=True)
def deliver(self: Any, delivery_id: int) -> str:
    return delivery_task_run(self, delivery_send, retry_delay, delivery_id)


@shared_task(name="supervision.tasks.escalate_due")
def escalate_due() -> int:
    """Reminders and escalations that have come due; idempotent. Returns the steps taken."""
    return len(cases_escalate_due())


@shared_task(name="supervision.tasks.send_reminders")
def send_reminders() -> int:
    """Every reminder source's due reminders; each person told once per thing a day."""
    return reminders_send()


@shared_task(name="supervision.tasks.send_digests")
def send_digests() -> int:
    """The daily digest of unread notifications; once per person a day."""
    return digests_send()


@shared_task(name="supervision.tasks.requeue_lost")
def requeue_lost() -> int:
    """Every quarter of an hour: deliveries left pending past their due try, queued again."""
    return len(deliveries_requeue())
