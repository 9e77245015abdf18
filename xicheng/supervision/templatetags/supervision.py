"""督办 on the kernel's pages: the unread count in the header, and the 督办 link on a red item."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.http import urlencode

from xicheng.roles import Role, reads_domain, roles_of
from xicheng.supervision.kinds import alert_record

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
    user_roles = context.get("user_roles")
    if user_roles is None or Role.LEADER not in user_roles:
        return ""
    named = alert_record(alert)
    if named is None:
        return ""
    kind, object_id = named
    query: dict[str, str | int] = {"kind": kind, "id": object_id}
    return f"{reverse('supervision:case_new')}?{urlencode(query)}"


@register.simple_tag(takes_context=True)
def may_open_cases(context: Any) -> bool:
    request = context.get("request")
    user = getattr(request, "user", None)
    return bool(user is not None and Role.LEADER in roles_of(user) and user.has_perm("supervision.add_case"))
