"""The worker's side of webhooks: each delivery, retried with back-off, and the look at the
targets' lights on celery beat (settings.CELERY_BEAT_SCHEDULE). Thin calls into delivery.py and
services.py, so a test or `make run` runs them in the process exactly as the worker does."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from xicheng.supervision.notifications import delivery_task_run
from xicheng.webhooks.delivery import deliveries_requeue, delivery_send, retry_delay
from xicheng.webhooks.services import target_lights_check


# No retry limit of Celery's own: the delivery counts its attempts (WEBHOOK_ATTEMPTS).
@shared_task(bind=True, name="webhooks.tasks.deliver", max_retries=None, acks_late=True)
def deliver(self: Any, delivery_id: int) -> str:
    return delivery_task_run(self, delivery_send, retry_delay, delivery_id)


@shared_task(name="webhooks.tasks.check_target_lights")
def check_target_lights() -> int:
    """Every ten minutes: target.light_changed for each target whose light changed. Returns how many."""
    return len(target_lights_check())


@shared_task(name="webhooks.tasks.requeue_lost")
def requeue_lost() -> int:
    """Every quarter of an hour: deliveries left pending past their due try, queued again."""
    return len(deliveries_requeue())
