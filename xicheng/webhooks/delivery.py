"""One delivery of an event to each webhook that wants it, and the worker's one try of one.

`deliveries_queue` runs after the emitting write has committed (xicheng.events.emit): it writes a
delivery per subscribed webhook and queues each apart, so one receiver that is down never holds
back the others. `delivery_send` is what the worker runs: it posts at most once (the row is locked
and a sent one left alone), signs the body (xicheng.webhooks.signing), takes a 2xx as received and
keeps each failure's status code and error. The same pattern as the notifications' deliveries
(xicheng.supervision.notifications)."""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from xicheng.events import as_sent
from xicheng.supervision.notifications import Outcome
from xicheng.webhooks import signing
from xicheng.webhooks.models import Webhook, WebhookDelivery

logger = logging.getLogger(__name__)

__all__ = ["Outcome", "deliveries_queue", "deliveries_requeue", "delivery_send", "retry_delay"]


class DeliveryError(Exception):
    """The receiver did not take the post; the text says why (kept in the delivery log)."""

    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


def deliveries_queue(envelope: dict[str, Any]) -> list[int]:
    """A pending delivery of the event for each active webhook subscribed to it, each queued for
    the worker; their ids. A delivery that cannot be queued (the broker down) is logged and left
    pending, and the others go all the same."""
    event = envelope["event"]
    hooks = Webhook.objects.subscribed_to(event)
    if not hooks:
        return []
    envelope = as_sent(envelope)
    now = timezone.now()
    with transaction.atomic():
        ids = [
            WebhookDelivery.objects.create(
                webhook=hook,
                event=event,
                event_id=envelope["id"],
                payload=envelope,
                created_at=now,
                next_attempt_at=now,
            ).pk
            for hook in hooks
        ]
    from xicheng.webhooks.tasks import deliver

    for pk in ids:
        try:
            deliver.delay(pk)
        except Exception:  # one delivery's failure, whatever it is, stays its own
            logger.exception("Webhook delivery %s could not be queued", pk)
    return ids


# How long past its due try a pending delivery waits before it is taken as lost.
STALE_AFTER = timedelta(minutes=15)


def deliveries_requeue(now: Any = None) -> list[int]:
    """Queue again each delivery left pending well past its due try: the broker was down when it
    was queued, or a worker died holding it. Posting stays at most once (delivery_send locks the
    row and leaves a sent one alone). The ids queued."""
    from xicheng.webhooks.tasks import deliver

    now = now or timezone.now()
    lost = list(
        WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING, next_attempt_at__lt=now - STALE_AFTER)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for pk in lost:
        try:
            deliver.delay(pk)
        except Exception:  # the broker still down: the next sweep tries again
            logger.exception("Webhook delivery %s could not be queued again", pk)
    return lost


def body_of(delivery: WebhookDelivery) -> bytes:
    """The bytes posted (and signed): the payload as compact UTF-8 JSON."""
    return json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":")).encode()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A redirect is an answer other than 2xx, so a failure: the signed body never goes elsewhere.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def post_signed(webhook: Webhook, delivery: WebhookDelivery) -> int:
    """POST the delivery's payload to the webhook, signed; the 2xx status it answered. Anything
    else is a DeliveryError naming the status or the reason (never the address: it may carry the
    client's credential)."""
    body = body_of(delivery)
    timestamp = int(time.time())
    request = urllib.request.Request(
        webhook.url,
        data=body,
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Xicheng-Progress-Webhooks/1",
            signing.EVENT: delivery.event,
            signing.DELIVERY: str(delivery.event_id),
            signing.TIMESTAMP: str(timestamp),
            signing.SIGNATURE: signing.sign(webhook.secret, timestamp, body),
        },
        method="POST",
    )
    try:
        # An address the system admin set, http or https only (Webhook.url's validator).
        with _opener.open(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:
            status: int = response.status
    except urllib.error.HTTPError as error:
        raise DeliveryError(f"HTTP {error.code} {error.reason}", error.code) from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise DeliveryError(f"not reached: {reason}") from None
    if not 200 <= status < 300:
        raise DeliveryError(f"HTTP {status}", status)
    return status


def delivery_send(delivery_id: int) -> Outcome:
    """Try one delivery once. The row is locked while it is posted, so two workers never post it
    twice; a sent or failed one is left alone."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(of=("self",))
            .select_related("webhook")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status != WebhookDelivery.Status.PENDING:
            return Outcome.SKIPPED
        webhook = delivery.webhook
        delivery.attempts += 1
        fields = ["attempts", "status", "next_attempt_at", "last_status_code", "last_error"]
        switched_off = not webhook.active or webhook.archived_at is not None
        try:
            if switched_off:
                raise DeliveryError("the webhook was switched off or deleted")
            delivery.last_status_code = post_signed(webhook, delivery)
        except Exception as error:  # one receiver's failure, whatever it is, stays its own
            if isinstance(error, DeliveryError):
                delivery.last_status_code, message = error.status_code, str(error)
            else:
                delivery.last_status_code, message = None, f"{type(error).__name__}: {error}"
            delivery.last_error = message[:1000]
            last = switched_off or delivery.attempts >= settings.WEBHOOK_ATTEMPTS
            if last:
                delivery.status = WebhookDelivery.Status.FAILED
                delivery.next_attempt_at = None
            else:
                delivery.next_attempt_at = timezone.now() + timedelta(seconds=retry_delay(delivery.attempts - 1))
            delivery.save(update_fields=fields)
            logger.warning(
                "Webhook %s, event %s (%s) failed (attempt %s of %s): %s",
                webhook.pk,
                delivery.event,
                delivery.event_id,
                delivery.attempts,
                settings.WEBHOOK_ATTEMPTS,
                delivery.last_error,
            )
            return Outcome.FAILED if last else Outcome.RETRY
        delivery.status = WebhookDelivery.Status.SENT
        delivery.sent_at = timezone.now()
        delivery.next_attempt_at = None
        delivery.save(update_fields=[*fields, "sent_at"])
        return Outcome.SENT


def retry_delay(retries: int) -> int:
    """Seconds before the next try: WEBHOOK_RETRY_SECONDS, then twice as long after each failure."""
    return int(settings.WEBHOOK_RETRY_SECONDS * 2**retries)
