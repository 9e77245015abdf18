"""What happened, told to the REST clients that asked (webhooks, xicheng/webhooks/).

    events.emit(events.HOUSEHOLD_ADVANCED, events.record_payload(household, state=household.status))

A service calls `emit` once, after its write. Nothing is sent inside the caller's transaction:
after it commits, one delivery per active webhook subscribed to the event is written and queued
for the worker, so a receiver that is down never slows or fails the write (and a write rolled back
tells no one). With no webhook wanting the event, emitting costs one query, after the commit.

The payload names records, never people: ids, the area's code, the new state, when, and the
record's address in the API — no names, phones or ID numbers, no free text."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xicheng.scope import ScopedQuerySet, area_of

if TYPE_CHECKING:
    from xicheng.supervision.models import Case


class Event(models.TextChoices):
    TASK_UPDATED = "task.updated", _("A task's progress or status updated")
    TARGET_LIGHT_CHANGED = "target.light_changed", _("A target's light changed")
    CASE_OPENED = "case.opened", _("A supervision case opened")
    CASE_ESCALATED = "case.escalated", _("A supervision case escalated")
    CASE_CLOSED = "case.closed", _("A supervision case closed")
    HOUSEHOLD_ADVANCED = "household.advanced", _("A household advanced a step")
    HAZARD_RECTIFIED = "hazard.rectified", _("A hazard rectified")


TASK_UPDATED = Event.TASK_UPDATED.value
TARGET_LIGHT_CHANGED = Event.TARGET_LIGHT_CHANGED.value
CASE_OPENED = Event.CASE_OPENED.value
CASE_ESCALATED = Event.CASE_ESCALATED.value
CASE_CLOSED = Event.CASE_CLOSED.value
HOUSEHOLD_ADVANCED = Event.HOUSEHOLD_ADVANCED.value
HAZARD_RECTIFIED = Event.HAZARD_RECTIFIED.value


@dataclass(frozen=True)
class AreaCode:
    """The code of the area with this id, read after the commit and only when a webhook wants the
    event: the writer's request pays no query for it."""

    area_id: int


def api_url(record: models.Model) -> str | None:
    """The record's address in the API (its viewset's detail route), or None when it has none.
    Absolute when WEBHOOK_SITE_URL says where clients reach the site."""
    try:
        path = reverse(f"{record._meta.model_name}-detail", kwargs={"pk": record.pk})
    except NoReverseMatch:
        return None
    return f"{settings.WEBHOOK_SITE_URL}{path}"


def _area(record: models.Model) -> AreaCode | str | None:
    """The code of the area the record lies in (its scope rule's), or its id to read it by later."""
    rows = type(record)._default_manager.get_queryset()
    path = rows.scope_rule.area if isinstance(rows, ScopedQuerySet) else None
    if not path:
        return None
    if "__" not in path:
        field = record._meta.get_field(path)
        if isinstance(field, models.ForeignKey) and not field.is_cached(record):
            area_id = getattr(record, field.attname)
            return AreaCode(area_id) if area_id is not None else None
    area = area_of(record)
    return area.code if area is not None else None


def record_payload(record: models.Model, *, state: str, **fields: Any) -> dict[str, Any]:
    """What an event says of a record: its kind ("projects.household"), id, the code of the area it
    lies in, its new state and its API address, with `fields` (ids, codes, days: nothing personal)."""
    return {
        "kind": record._meta.label_lower,
        "id": record.pk,
        "area": _area(record),
        "state": state,
        "url": api_url(record),
        **fields,
    }


def case_payload(case: Case) -> dict[str, Any]:
    """What a supervision case's events say: the case (its status, the rung it has climbed to,
    its level and due day) and the record it supervises (kind and id). Not its title or
    instruction: free text, which may name people."""
    return record_payload(
        case,
        state=case.status,
        escalation=case.escalation,
        level=case.level,
        due_on=case.due_on,
        record_kind=case.kind,
        record_id=case.object_id,
    )


class _Encoder(DjangoJSONEncoder):
    """Dates, decimals and UUIDs as Django writes them; an area not yet read as its id."""

    codes: dict[int, str] = {}

    def default(self, o: Any) -> Any:
        if isinstance(o, AreaCode):
            return self.codes.get(o.area_id, o.area_id)
        return super().default(o)


def emit(event: str, payload: dict[str, Any]) -> None:
    """Tell the webhooks subscribed to `event`, once the current transaction commits (at once
    outside one). The body each receives: {"id": a UUID (X-Xicheng-Delivery), "event", "at": when
    it happened, "data": payload}."""
    if event not in Event.values:
        raise ValueError(f"Unknown event {event!r}: declare it in xicheng.events.Event.")
    # A payload that cannot be sent fails the caller's test now, not a worker later.
    json.dumps(payload, cls=_Encoder)
    envelope = {"id": str(uuid.uuid4()), "event": event, "at": timezone.localtime().isoformat(), "data": dict(payload)}
    # robust: a failure to write or queue the deliveries is logged, never the writer's error.
    transaction.on_commit(_fan_out(envelope), robust=True)


def as_sent(envelope: dict[str, Any]) -> dict[str, Any]:
    """The envelope as plain JSON, the codes of its areas read (one query)."""
    from xicheng.models import Area

    ids = {value.area_id for value in envelope["data"].values() if isinstance(value, AreaCode)}
    codes = dict(Area.objects.filter(pk__in=ids).values_list("pk", "code")) if ids else {}
    encoder = type("Encoder", (_Encoder,), {"codes": codes})
    sent: dict[str, Any] = json.loads(json.dumps(envelope, cls=encoder))
    return sent


def _fan_out(envelope: dict[str, Any]) -> Callable[[], None]:
    # A function, not a partial: Django names a failed callback by its __qualname__.
    def fan_out() -> None:
        from xicheng.webhooks.delivery import deliveries_queue

        deliveries_queue(envelope)

    return fan_out
