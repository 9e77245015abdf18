"""Who is told what, over which channels, and the one delivery of each notification per channel.

`notify` writes the notification (the in-app message) in the caller's transaction and queues
each outbound delivery for after the commit, so a robot that is down never slows or fails the
step that caused it. `delivery_send` is what the worker runs for one delivery: it sends at most
once (the row is locked and a sent one is left alone) and keeps each failure's error."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xicheng.supervision.channels import CHANNELS, DeliveryError
from xicheng.supervision.models import (
    Case,
    Channel,
    Delivery,
    Notification,
    NotificationPreference,
    notification_kinds,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)

Kind = Notification.Kind

# What a person gets when they have said nothing: a case's own notices wherever they can be
# reached, the steps of cases they follow in the system only.
DEFAULT_CHANNELS: dict[str, list[str]] = {
    Kind.CASE_OPENED: [Channel.DINGTALK, Channel.WECOM, Channel.EMAIL, Channel.SMS],
    Kind.CASE_REMINDER: [Channel.DINGTALK, Channel.WECOM, Channel.EMAIL, Channel.SMS],
    Kind.CASE_ESCALATED: [Channel.DINGTALK, Channel.WECOM, Channel.EMAIL, Channel.SMS],
    Kind.CASE_UPDATE: [],
    # The digest is read at one's desk: by e-mail (and in the centre, already read).
    Kind.DIGEST: [Channel.EMAIL],
}
# A case given to someone, its reminder and its escalation cannot be turned off: only how they come.
REQUIRED_KINDS = frozenset({Kind.CASE_OPENED, Kind.CASE_REMINDER, Kind.CASE_ESCALATED})
OUTBOUND = [channel for channel in Channel.values if channel != Channel.IN_APP]


def default_channels(kind: str) -> list[str]:
    """The outbound channels of someone who has not chosen: the kernel's kinds above, a kind of
    reminder's own (`Reminder.channels`)."""
    if kind in DEFAULT_CHANNELS:
        return DEFAULT_CHANNELS[kind]
    from xicheng.supervision.reminders import reminder_kinds

    reminder = reminder_kinds().get(kind)
    return [key for key in OUTBOUND if reminder is not None and key in reminder.channels]


def channels_for(user: User, kind: str) -> list[str]:
    """The channels `kind` reaches `user` over: the in-app centre first, then those chosen (or the
    defaults) that can reach them. Empty when they turned the kind off."""
    preference = NotificationPreference.objects.filter(user=user, kind=kind).first()
    if preference is not None and not preference.enabled and kind not in REQUIRED_KINDS:
        return []
    chosen = preference.channels if preference is not None else default_channels(kind)
    outbound = [key for key in OUTBOUND if key in chosen and CHANNELS[key].reaches(user)]
    return [Channel.IN_APP, *outbound]


@transaction.atomic
def notification_preference_set(*, user: User, kind: str, enabled: bool, channels: list[str]) -> NotificationPreference:
    """A person's own choice for one kind of notification."""
    if kind not in dict(notification_kinds()):
        raise ValidationError({"kind": _("Choose a kind of notification.")})
    unknown = sorted(set(channels) - set(OUTBOUND))
    if unknown:
        raise ValidationError({"channels": _("Unknown channels: %(channels)s") % {"channels": ", ".join(unknown)}})
    if not enabled and kind in REQUIRED_KINDS:
        raise ValidationError({"enabled": _("This kind of notification cannot be turned off, only how it comes.")})
    preference, _created = NotificationPreference.objects.update_or_create(
        user=user, kind=kind, defaults={"enabled": enabled, "channels": sorted(set(channels))}
    )
    return preference


def notify(
    *,
    recipient: User,
    kind: str,
    title: str,
    body: str = "",
    case: Case | None = None,
    link: str = "",
    key: str = "",
) -> Notification | None:
    """Tell one person: the in-app notification now, in the caller's transaction; each outbound
    channel once, by the worker, after the commit. None when they turned this kind off, or when a
    `key` is given and they were already told of it (a reminder: once per thing a day)."""
    channels = channels_for(recipient, kind)
    if not channels:
        return None
    now = timezone.now()
    try:
        # A savepoint: a reminder told twice at once is refused by the table, not by the caller's
        # transaction.
        with transaction.atomic():
            notification = Notification.objects.create(
                recipient=recipient,
                kind=kind,
                case=case,
                title=title[:200],
                body=body,
                link=link[:300],
                key=key,
                created_at=now,
            )
    except IntegrityError:
        if not key:
            raise
        return None
    for key in channels:
        if key == Channel.IN_APP:
            Delivery.objects.create(
                notification=notification,
                channel=key,
                status=Delivery.Status.SENT,
                attempts=1,
                created_at=now,
                last_attempt_at=now,
                sent_at=now,
            )
            continue
        delivery = Delivery.objects.create(notification=notification, channel=key, created_at=now)
        # robust: a broker that is down is logged, never the user's error.
        transaction.on_commit(_queue_after_commit(delivery.pk), robust=True)
    return notification


def _queue_after_commit(delivery_id: int) -> Callable[[], None]:
    # A function, not a partial: Django names a failed callback by its __qualname__.
    def queue() -> None:
        from xicheng.supervision.tasks import deliver

        deliver.delay(delivery_id)

    return queue


class Outcome(StrEnum):
    SENT = "sent"
    RETRY = "retry"  # failed, to be tried again after a while
    FAILED = "failed"  # failed for the last time
    SKIPPED = "skipped"  # already sent or given up (a duplicate task)


def delivery_task_run(task: Any, send: Callable[[int], Outcome], delay: Callable[[int], int], delivery_id: int) -> str:
    """The body of a worker's task for one delivery (a notification's here, a webhook post's in
    xicheng.webhooks): one try; on a failure that may be tried again, a Celery retry after
    `delay(retries)`. The delivery counts its attempts and at the last is marked failed, so nothing
    is raised into whoever queued it."""
    outcome = send(delivery_id)
    while outcome == Outcome.RETRY and task.request.is_eager:
        # Without a worker (development, tests) there is no later to retry at: try again now.
        outcome = send(delivery_id)
    if outcome == Outcome.RETRY:
        raise task.retry(countdown=delay(task.request.retries))
    return str(outcome)


def delivery_send(delivery_id: int) -> Outcome:
    """Try one delivery once. The row is locked while it is sent, so two workers never send it
    twice; a sent or failed one is left alone."""
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(of=("self",))
            .select_related("notification__recipient")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status != Delivery.Status.PENDING:
            return Outcome.SKIPPED
        delivery.attempts += 1
        delivery.last_attempt_at = timezone.now()
        try:
            CHANNELS[delivery.channel].send(delivery.notification)
        except Exception as error:  # one channel's failure, whatever it is, stays its own
            message = str(error) if isinstance(error, DeliveryError) else f"{type(error).__name__}: {error}"
            delivery.last_error = message[:1000]
            last = delivery.attempts >= settings.SUPERVISION_DELIVERY_ATTEMPTS
            delivery.status = Delivery.Status.FAILED if last else Delivery.Status.PENDING
            delivery.save(update_fields=["attempts", "last_attempt_at", "last_error", "status"])
            logger.warning(
                "Notification %s over %s failed (attempt %s of %s): %s",
                delivery.notification_id,
                delivery.channel,
                delivery.attempts,
                settings.SUPERVISION_DELIVERY_ATTEMPTS,
                delivery.last_error,
            )
            return Outcome.FAILED if last else Outcome.RETRY
        delivery.status = Delivery.Status.SENT
        delivery.sent_at = timezone.now()
        delivery.save(update_fields=["attempts", "last_attempt_at", "status", "sent_at"])
        return Outcome.SENT


def retry_delay(retries: int) -> int:
    """Seconds before the next try: SUPERVISION_RETRY_SECONDS, then twice as long after each failure."""
    return int(settings.SUPERVISION_RETRY_SECONDS * 2**retries)


# How long past its due try a pending delivery waits before it is taken as lost.
STALE_AFTER = timedelta(minutes=15)


def deliveries_requeue(now: datetime | None = None) -> list[int]:
    """Queue again each outbound delivery left pending well past its due try: the broker was down
    when it was queued, or a worker died holding it. Sending stays at most once (delivery_send
    locks the row and leaves a sent one alone). The ids queued."""
    from xicheng.supervision.tasks import deliver

    now = now or timezone.now()
    pending = Delivery.objects.filter(status=Delivery.Status.PENDING).exclude(channel=Channel.IN_APP)
    lost = [
        pk
        for pk, attempts, created_at, last_attempt_at in pending.values_list(
            "pk", "attempts", "created_at", "last_attempt_at"
        ).order_by("pk")
        if (last_attempt_at or created_at) + timedelta(seconds=retry_delay(max(attempts - 1, 0))) + STALE_AFTER < now
    ]
    for pk in lost:
        try:
            deliver.delay(pk)
        except Exception:  # the broker still down: the next sweep tries again
            logger.exception("Delivery %s could not be queued again", pk)
    return lost


@transaction.atomic
def notification_mark_read(*, notification: Notification, acting_user: User) -> Notification:
    """Mark one's own notification read (someone else's does not exist for them)."""
    if notification.recipient_id != acting_user.pk:
        raise ValidationError(_("This notification is not yours."), code="not_yours")
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


@transaction.atomic
def notifications_mark_all_read(*, acting_user: User) -> int:
    """Mark every unread notification of one's own read; how many there were. (Notifications keep
    no history: a bulk update loses nothing.)"""
    return Notification.objects.filter(recipient=acting_user, read_at__isnull=True).update(read_at=timezone.now())


@transaction.atomic
def notification_preferences_save(
    *, user: User, choices: dict[str, tuple[bool, list[str]]]
) -> list[NotificationPreference]:
    """A person's choices for several kinds at once (the preferences page): every one saved, or
    none, with every refusal named by its kind."""
    labels = dict(notification_kinds())
    problems: list[str] = []
    saved: list[NotificationPreference] = []
    for kind, (enabled, channels) in choices.items():
        try:
            saved.append(notification_preference_set(user=user, kind=kind, enabled=enabled, channels=channels))
        except ValidationError as error:
            problems += [
                _("%(kind)s: %(problem)s") % {"kind": labels.get(kind, kind), "problem": message}
                for message in error.messages
            ]
    if problems:
        raise ValidationError(problems)
    return saved


def preferences_of(user: User) -> dict[str, tuple[bool, list[str]]]:
    """Every kind's (wanted, outbound channels) as it stands for `user`: their own choice, or the
    defaults where they made none. One query."""
    own = {preference.kind: preference for preference in NotificationPreference.objects.filter(user=user)}
    current: dict[str, tuple[bool, list[str]]] = {}
    for kind, _label in notification_kinds():
        preference = own.get(kind)
        if preference is None:
            current[kind] = (True, default_channels(kind))
        else:
            current[kind] = (preference.enabled or kind in REQUIRED_KINDS, list(preference.channels))
    return current
