"""What a case can be opened on: the kernel's own records and every kind the domains declare
(`DomainConfig.supervisable`), and the record a case names, read through the user's scope."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.db import models
from django.urls import Resolver404, resolve
from django.utils.translation import gettext_lazy as _

from xicheng import plugins
from xicheng.plugins import Supervisable
from xicheng.roles import AnyUser

KERNEL_KINDS = [
    Supervisable("xicheng.task", "xicheng.Task", _("Task"), alerts=("task_overdue",)),
    Supervisable("xicheng.target", "xicheng.Target", _("Target"), alerts=("target_red",)),
]


def supervisable_kinds() -> dict[str, Supervisable]:
    """Every kind of record a case can be opened on, by kind: the kernel's, then the domains'."""
    return {kind.kind: kind for kind in KERNEL_KINDS} | plugins.supervisable_kinds()


def record_for(kind: Supervisable, object_id: int, user: AnyUser) -> models.Model | None:
    """The record a case names, if the user may see it (None otherwise, as if it did not exist)."""
    rows: Any = kind.model_class()._default_manager.all()
    if hasattr(rows, "visible_to"):
        rows = rows.visible_to(user)
    record: models.Model | None = rows.filter(pk=object_id).first()
    return record


def kind_of_alert(alert_kind: str) -> str | None:
    """The kind of record a red-light item of this kind names, if cases can be opened on it."""
    for kind in supervisable_kinds().values():
        if alert_kind in kind.alerts:
            return kind.kind
    return None


def alert_record(alert: Any) -> tuple[str, int] | None:
    """The kind and id of the record a red-light item names, if cases can be opened on it: the
    item's `record_id`, else the record its link names."""
    kind = kind_of_alert(getattr(alert, "kind", ""))
    if kind is None:
        return None
    object_id = getattr(alert, "record_id", None) or _pk_from(alert.url)
    return (kind, object_id) if object_id is not None else None


def _pk_from(url: str) -> int | None:
    """The record a link names: the page's `pk` (/tasks/7/) or a list narrowed to one row
    (`?id=7`, `xicheng.registers.row_url`)."""
    parts = urlsplit(url)
    named = parse_qs(parts.query).get("id", [])
    if named and named[0].isdigit():
        return int(named[0])
    try:
        pk = resolve(parts.path).kwargs.get("pk")
    except Resolver404:
        return None
    return int(pk) if pk is not None and str(pk).isdigit() else None
