"""Middleware that holds a signed-in session to the account rules (等保三级 身份鉴别, 剩余信息保护):

- a session ends 30 minutes after its last request and 12 hours after sign-in, whatever happens;
- an account with a second factor must enter its code before anything else; an administrator
  without one must enrol first; a password set by someone else must be changed first;
- no response of the application may be kept by a browser or a proxy (`Cache-Control: no-store`).

What the rules need to know about the account is read once, at sign-in, into the session, so a
request costs no query for them. The idle clock is a signed cookie renewed with every answer (bound
to the session's key), not a session write: a page costs no extra query. Without a valid cookie the
clock runs from sign-in, so deleting the cookie cannot keep a session alive, and an old cookie only
makes it look idler."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from xicheng.roles import ADMINISTRATORS, roles_of

# Session keys (prefix xs_: "xicheng security").
LOGIN_AT = "xs_login_at"
HAS_DEVICE = "xs_otp"
MUST_CHANGE_PASSWORD = "xs_pw"
# The signed cookie that carries "<session key>:<time of the last request>".
SEEN_COOKIE = "xs_seen"
SEEN_SALT = "xicheng.security.seen"

# Always reachable, whatever is pending: signing out, the language switch, static files.
ALWAYS_OPEN = ("/accounts/logout/", "/accounts/login/", "/i18n/", "/healthz", "/" + settings.STATIC_URL.lstrip("/"))


def has_confirmed_device(user: Any) -> bool:
    from django_otp import user_has_device

    return bool(user_has_device(user, confirmed=True))


def must_change_password(user: Any) -> bool:
    from xicheng.models import AccountSecurity

    return AccountSecurity.objects.filter(user=user, must_change_password=True).exists()


def remember_account_state(request: HttpRequest, user: Any) -> None:
    """Read into the session what the gates need; called at sign-in and after each change."""
    request.session[HAS_DEVICE] = has_confirmed_device(user)
    request.session[MUST_CHANGE_PASSWORD] = must_change_password(user)


@receiver(user_logged_in, dispatch_uid="xicheng.security.start_session")
def _start_session(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is None or not hasattr(request, "session"):
        return
    request.session[LOGIN_AT] = time.time()
    remember_account_state(request, user)


@dataclass(frozen=True)
class Step:
    url_name: str
    message: str


def pending_step(request: HttpRequest) -> Step | None:
    """What the signed-in user must do before anything else, if anything."""
    user: Any = request.user
    session = request.session
    if session.get(HAS_DEVICE) and not (hasattr(user, "is_verified") and user.is_verified()):
        return Step("otp_verify", _("Enter the code of your second factor first."))
    if session.get(MUST_CHANGE_PASSWORD):
        return Step("password_change", _("Your password was set by an administrator: choose your own first."))
    if not session.get(HAS_DEVICE) and roles_of(user) & ADMINISTRATORS:
        return Step("otp_setup", _("Administrators must set up a second factor first."))
    return None


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


class AccountSecurityMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self._gate(request) or self.get_response(request)
        # Every page and API answer of this application may carry personal data or figures that
        # are not public; none may stay in a browser's or a proxy's cache (static files are
        # served before this middleware and keep their long cache).
        add_never_cache_headers(response)
        patch_cache_control(response, private=True)
        self._renew_idle_clock(request, response)
        return response

    @staticmethod
    def _last_seen(request: HttpRequest) -> float | None:
        value = request.get_signed_cookie(SEEN_COOKIE, default=None, salt=SEEN_SALT)
        if not value:
            return None
        key, _sep, stamp = value.rpartition(":")
        if key != request.session.session_key:
            return None
        try:
            return float(stamp)
        except ValueError:
            return None

    @staticmethod
    def _renew_idle_clock(request: HttpRequest, response: HttpResponse) -> None:
        user: Any = getattr(request, "user", None)
        key = request.session.session_key if hasattr(request, "session") else None
        if user is None or not user.is_authenticated or not key:
            return
        response.set_signed_cookie(
            SEEN_COOKIE,
            f"{key}:{time.time()}",
            salt=SEEN_SALT,
            httponly=True,
            secure=settings.SESSION_COOKIE_SECURE,
            samesite="Lax",
        )

    def _gate(self, request: HttpRequest) -> HttpResponse | None:
        user: Any = request.user
        if not user.is_authenticated:
            return None
        now = time.time()
        login_at = request.session.get(LOGIN_AT)
        if login_at is None:
            # A session from before these rules: start counting now.
            _start_session(None, request, user)
        else:
            seen_at = max(login_at, self._last_seen(request) or login_at)
            if now - login_at > settings.SESSION_COOKIE_AGE or now - seen_at > settings.SESSION_IDLE_TIMEOUT:
                return self._signed_out(request, idle=now - login_at <= settings.SESSION_COOKIE_AGE)

        path = request.path_info
        if path.startswith(ALWAYS_OPEN):
            return None
        step = pending_step(request)
        if step is None:
            return None
        target = reverse(step.url_name)
        if path == target:
            return None
        if _is_api(request):
            return JsonResponse({"detail": step.message}, status=403)
        if request.method == "GET":
            messages.info(request, step.message)
        return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")

    def _signed_out(self, request: HttpRequest, *, idle: bool) -> HttpResponse:
        logout(request)
        message = (
            _("You were signed out after %(minutes)d minutes without activity. Sign in again.")
            % {"minutes": settings.SESSION_IDLE_TIMEOUT // 60}
            if idle
            else _("You were signed out: a session lasts at most %(hours)d hours. Sign in again.")
            % {"hours": settings.SESSION_COOKIE_AGE // 3600}
        )
        if _is_api(request):
            return JsonResponse({"detail": message}, status=401)
        messages.info(request, message)
        return redirect_to_login(request.get_full_path())


class PermissionsPolicyMiddleware:
    """The Permissions-Policy header (Django 5.2 has no setting for it)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response
