"""The webhooks' writes: the system admin's (register, change, delete one) and the system's own
look at the targets' lights, which emits target.light_changed."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xicheng import clock
from xicheng.events import TARGET_LIGHT_CHANGED, emit, record_payload
from xicheng.models import Target
from xicheng.selectors import target_progress
from xicheng.webhooks.models import TargetLight, Webhook

if TYPE_CHECKING:
    from django.contrib.auth.models import User

__all__ = ["target_lights_check", "webhook_archive", "webhook_create", "webhook_update"]

FIELDS = ("name", "url", "secret", "events", "active")


def _require(acting_user: User, verb: str) -> None:
    if not acting_user.has_perm(f"webhooks.{verb}_webhook"):
        raise PermissionDenied(_("Only the system admin manages webhooks."))


def _save(webhook: Webhook, acting_user: User, update_fields: list[str] | None = None) -> Webhook:
    webhook.full_clean()
    # django-simple-history records who, also for an API call (DRF authenticates after the
    # middleware simple-history reads the user from).
    setattr(webhook, "_history_user", acting_user)  # noqa: B010
    webhook.save(update_fields=update_fields)
    return webhook


@transaction.atomic
def webhook_create(
    *, name: str, url: str, secret: str, events: list[str], acting_user: User, active: bool = True
) -> Webhook:
    """Register an address for some events, with the secret its posts are signed with."""
    _require(acting_user, "add")
    webhook = Webhook(
        name=name.strip(),
        url=url.strip(),
        secret=secret.strip(),
        events=events,
        active=active,
        created_by=acting_user,
        created_at=timezone.now(),
    )
    return _save(webhook, acting_user)


@transaction.atomic
def webhook_update(*, webhook: Webhook, acting_user: User, **fields: Any) -> Webhook:
    """Change a webhook's name, address, events, whether it is active, or its secret (an empty
    secret keeps the one stored)."""
    _require(acting_user, "change")
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    locked = Webhook.objects.select_for_update().get(pk=webhook.pk)
    if locked.archived_at is not None:
        raise ValidationError(_("This webhook was deleted."), code="archived")
    for name, value in fields.items():
        value = value.strip() if isinstance(value, str) else value
        if name == "secret" and not value:
            continue
        setattr(locked, name, value)
    return _save(locked, acting_user, update_fields=[name for name in fields if name != "secret" or fields[name]])


@transaction.atomic
def webhook_archive(*, webhook: Webhook, acting_user: User) -> Webhook:
    """Delete a webhook: it is sent nothing more, and kept, so that its deliveries still name it."""
    _require(acting_user, "delete")
    locked = Webhook.objects.select_for_update().get(pk=webhook.pk)
    if locked.archived_at is None:
        locked.archived_at = timezone.now()
        locked.active = False
        _save(locked, acting_user, update_fields=["archived_at", "active"])
    return locked


def target_lights_check(as_of: date | None = None) -> list[TargetLight]:
    """Compare the light of each target running today with the one kept, keep the new one, and
    emit target.light_changed for each that changed (a target seen for the first time is kept
    without a word: there is nothing it changed from). The lights are computed in one pass for all
    the targets (xicheng.selectors.target_progress: a query per metric, not per target); the kept
    ones are read, and locked, in one query, so two runs at once never tell a change twice."""
    today = as_of or clock.today()
    running = {"period_start__lte": today, "period_end__gte": today}
    targets = list(Target.objects.filter(**running).select_related("indicator", "area").order_by("pk"))
    lights = {row.target.pk: (row.target, row.progress.light.value) for row in target_progress(targets, today)}
    now = timezone.now()
    changed: list[TargetLight] = []
    with transaction.atomic():
        kept = {
            seen.target_id: seen
            for seen in TargetLight.objects.select_for_update(of=("self",)).filter(
                **{f"target__{k}": v for k, v in running.items()}
            )
        }
        new = [
            TargetLight(target=target, light=light, changed_at=now)
            for target, light in lights.values()
            if target.pk not in kept
        ]
        for pk, seen in kept.items():
            if pk not in lights or lights[pk][1] == seen.light:
                continue
            target, light = lights[pk]
            before, seen.light, seen.changed_at = seen.light, light, now
            changed.append(seen)
            emit(
                TARGET_LIGHT_CHANGED,
                record_payload(
                    target,
                    state=light,
                    previous=before,
                    indicator=target.indicator_id,
                    period_start=target.period_start,
                    period_end=target.period_end,
                    as_of=today,
                ),
            )
        TargetLight.objects.bulk_create(new, ignore_conflicts=True)
        TargetLight.objects.bulk_update(changed, ["light", "changed_at"])
    return changed
