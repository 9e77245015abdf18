"""Error pages in the site's own layout, in Chinese: a refusal says what the user's role may do
instead, and links there. The API keeps DRF's JSON answers."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from xicheng.roles import ROLE_DUTIES, ROLE_PLACES, Role, role_label, roles_of


def role_places(user: Any) -> list[dict[str, Any]]:
    """For each of the user's roles: its name, what it is for, and the pages it works on."""
    result = []
    for role in Role.values:
        if role not in roles_of(user):
            continue
        links = []
        for label, url_name in ROLE_PLACES[Role(role)]:
            try:
                links.append({"label": label, "url": reverse(url_name)})
            except NoReverseMatch:
                continue
        result.append({"label": role_label(role), "duty": ROLE_DUTIES[Role(role)], "links": links})
    return result


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    from xicheng.models import AuditEvent
    from xicheng.services import audit_log

    if request.user.is_authenticated:
        audit_log(
            user=request.user,
            action=AuditEvent.Action.DENIED,
            subject=f"{request.method} {request.path}",
            request=request,
        )
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("You do not have permission to perform this action.")}, status=403)
    # A reason a service gave in words for people (ours are translated); Django's own are empty.
    reason = str(exception or "")
    return render(
        request,
        "403.html",
        {"reason": reason, "places": role_places(request.user) if request.user.is_authenticated else []},
        status=403,
    )


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return render(request, "404.html", {}, status=404)
