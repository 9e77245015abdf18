"""督办 on the kernel's pages: the unread count in the header, and the 督办 link on a red item."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import conditional_escape, escape
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

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
    return _supervise_url(alert, reverse("supervision:case_new")) if _leads(context) else ""


def _leads(context: Any) -> bool:
    user_roles = context.get("user_roles")
    return user_roles is not None and Role.LEADER in user_roles


def _supervise_url(alert: Any, case_new: str) -> str:
    named = alert_record(alert)
    if named is None:
        return ""
    kind, object_id = named
    query: dict[str, str | int] = {"kind": kind, "id": object_id}
    return f"{case_new}?{urlencode(query)}"


@register.simple_tag(takes_context=True)
def alert_items(context: Any, alerts: list[Any]) -> SafeString:
    """The red-light list's items (`<li>`), each with its 督办 link for a leader. Written in
    Python, not a template included per item: a subdistrict's hundred items took the template
    engine more than half of the dashboard's rendering."""
    supervise_label = escape(gettext("Supervise"))
    case_new = reverse("supervision:case_new") if _leads(context) else None
    labels: dict[str, str] = {}  # a kind's label, translated once
    items = []
    for alert in alerts:
        kind = escape(alert.kind)
        label = labels.get(alert.kind)
        if label is None:
            label = labels[alert.kind] = conditional_escape(alert.kind_label)
        due = f" · {alert.due:%Y-%m-%d}" if alert.due else ""
        item = (
            f'<li class="alert severity-{int(alert.severity)}" data-kind="{kind}">'
            f'<span class="badge">{label}</span>\n  '
            f'<a href="{escape(alert.url)}">{conditional_escape(alert.title)}</a> '
            f'<span class="muted">{conditional_escape(alert.area)}{due}</span>'
        )
        supervise = _supervise_url(alert, case_new) if case_new else ""
        if supervise:
            item += (
                f' <a class="button supervise" href="{escape(supervise)}" data-supervise="{kind}">{supervise_label}</a>'
            )
        items.append(item + "</li>")
    return mark_safe("".join(items))  # every value is escaped above


@register.simple_tag(takes_context=True)
def may_open_cases(context: Any) -> bool:
    request = context.get("request")
    user = getattr(request, "user", None)
    return bool(user is not None and Role.LEADER in roles_of(user) and user.has_perm("supervision.add_case"))
