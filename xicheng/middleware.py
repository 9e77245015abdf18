"""Deny by default: every page needs a signed-in user whose role may enter that part of the site.

Which role enters where is decided here, once, for the HTML side of the site (the API applies the
same rules in `xicheng.drf.RolePermission`):

| part                     | who                                                          |
| ------------------------ | ------------------------------------------------------------ |
| login, health, language  | everyone                                                     |
| /accounts/ (own account) | anyone signed in                                             |
| /                        | anyone with a role (it sends each role to its place)         |
| /audit/                  | the auditor                                                  |
| /admin/                  | the data admin (domain data) and the system admin (accounts) |
| everything else          | those who read the domain: leaders, cadres, data admins, API clients |

The superuser passes everywhere (it exists for the installation) and every change it makes is
recorded (`SuperuserAuditMiddleware`).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from xicheng.roles import AnyUser, Role, enters_admin, has_role, reads_domain, roles_of

# What browsers ask for on their own (the icon, robots) is a plain 404, not a refusal on record.
OPEN_PREFIXES = (
    "/accounts/login/",
    "/healthz",
    "/i18n/",
    "/" + settings.STATIC_URL.lstrip("/"),
    "/favicon.ico",
    "/robots.txt",
)
# A user's own account (password, second factor, sign-out): every signed-in user, role or not.
ACCOUNT_PREFIXES = ("/accounts/", "/account/")
AUDIT_PREFIX = "/audit/"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")


def may_enter(user: AnyUser, path: str) -> bool:
    """May this signed-in user open this path (the API and the admin's login aside)?"""
    if getattr(user, "is_superuser", False):
        return True
    if path.startswith(ACCOUNT_PREFIXES):
        return True
    if not has_role(user):
        return False
    if path == "/":
        return True
    if path.startswith(AUDIT_PREFIX):
        return Role.AUDITOR in roles_of(user)
    if path.startswith("/admin/"):
        return enters_admin(user)
    return reads_domain(user)


class RoleRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        # The API authenticates by token inside DRF, where RolePermission applies the same rule.
        if path.startswith(OPEN_PREFIXES) or path.startswith("/api/"):
            return self.get_response(request)
        if not request.user.is_authenticated:
            # The admin keeps its own login page.
            if path.startswith("/admin/"):
                return self.get_response(request)
            return redirect_to_login(request.get_full_path())
        if not may_enter(request.user, path):
            raise PermissionDenied
        return self.get_response(request)


class SuperuserAuditMiddleware:
    """The superuser is for the installation only: every change it makes is in the audit trail,
    whichever page or API it came through."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if request.method not in SAFE_METHODS and user is not None and user.is_authenticated and user.is_superuser:
            from xicheng.models import AuditEvent
            from xicheng.services import audit_log

            audit_log(
                user=user,
                action=AuditEvent.Action.SUPERUSER,
                subject=f"{request.method} {request.path} → {response.status_code}",
                request=request,
            )
        return response


class ChineseFirstLocaleMiddleware:
    """Chinese unless the user chose another language with the switch (a cookie).

    Django's LocaleMiddleware would follow the browser's Accept-Language, so a browser set to
    English would get English pages on a system whose users all speak Chinese."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response
