"""督办 on the kernel's pages: the unread count in the header, and the 督办 link on a red item."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from django import template
from django.urls import Resolver404, resolve, reverse
from django.utils.http import urlencode

from xicheng.roles import Role, reads_domain, roles_of
from xicheng.supervision.kinds import kind_of_alert

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notifications(context: Any) -> int:
    """How many of the user's notifications are unread: one indexed count, and none at all for
    someone signed out or who reads no domain data (they are told nothing)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not reads_domain(user):
        return 0
    from xicheng.supervision.models import Notification

    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


@register.simple_tag(takes_context=True)
def supervise_url(context: Any, alert: Any) -> str:
    """The address that opens a case on an alert's record, for a leader; empty otherwise. The
    alert's kind says the record's (`Supervisable.alerts`); its link names the record."""
    kind = kind_of_alert(getattr(alert, "kind", ""))
    user_roles = context.get("user_roles")
    if kind is None or user_roles is None or Role.LEADER not in user_roles:
        return ""
    object_id = getattr(alert, "record_id", None) or _pk_from(alert.url)
    if object_id is None:
        return ""
    return f"{reverse('supervision:case_new')}?{urlencode({'kind': kind, 'id': object_id})}"


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


@register.simple_tag(takes_context=True)
def may_open_cases(context: Any) -> bool:
    request = context.get("request")
    user = getattr(request, "user", None)
    return bool(user is not None and Role.LEADER in roles_of(user) and user.has_perm("supervision.add_case"))


@register.simple_tag
def escalated_cases(overview: Any) -> list[list[Any]]:
    """The escalated cases of an overview's 督办 section (title, owner, rung, due date): the big
    screen shows them at the head of its red-light list. Read from the section: no query."""
    for section, data in getattr(overview, "sections", []):
        if section.key == "supervision":
            for table in data.tables:
                if table.key == "cases_escalated":
                    return list(table.rows)
    return []
