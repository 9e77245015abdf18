"""Deny by default: every page needs a signed-in user with a role, but for the few listed here."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from xicheng.roles import has_role

OPEN_PREFIXES = ("/accounts/login/", "/healthz", "/i18n/", "/" + settings.STATIC_URL.lstrip("/"))


class RoleRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        # The API authenticates by token inside DRF, where RolePermission applies the same rule;
        # the admin keeps its own login page and staff check.
        if path.startswith(OPEN_PREFIXES) or path.startswith(("/api/", "/admin/")):
            return self.get_response(request)
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not has_role(request.user):
            raise PermissionDenied
        return self.get_response(request)


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
