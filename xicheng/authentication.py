"""Authentication (等保三级 身份鉴别): passwords, the second factor, API tokens and lock-outs.

Services first (every write that carries a rule, audited), then the lock-out policy that django-axes
calls, then the thin views of the account pages."""

from __future__ import annotations

import secrets
from base64 import b32encode
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import segno
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_failure_limit, get_lockout_parameters
from axes.models import AccessAttempt
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.contrib.auth.models import User
from django.contrib.auth.views import PasswordChangeView
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Sum
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken

from xicheng.history import client_ip
from xicheng.models import AccountSecurity, AuditEvent
from xicheng.roles import ADMINISTRATORS, AnyUser, Role, roles_of
from xicheng.security import HAS_DEVICE, MUST_CHANGE_PASSWORD, remember_account_state
from xicheng.services import audit_log

if TYPE_CHECKING:
    from xicheng.roles import AuthenticatedHttpRequest

RECOVERY_CODES = 10


# ---------------------------------------------------------------------------------------------
# Passwords


def _account(user: User) -> AccountSecurity:
    account, _created = AccountSecurity.objects.get_or_create(user=user)
    return account


@transaction.atomic
def password_changed_by_owner(*, user: User, request: HttpRequest | None = None) -> None:
    """The owner chose a new password (already saved): nothing is pending any more."""
    account = _account(user)
    account.must_change_password = False
    account.password_changed_at = timezone.now()
    account.save(update_fields=["must_change_password", "password_changed_at"])
    audit_log(
        user=user,
        action=AuditEvent.Action.PASSWORD_CHANGE,
        subject=_("Password changed by its owner"),
        target_user=user,
        request=request,
        source="web" if request is not None else "",
    )


@transaction.atomic
def password_set_by_admin(
    *, user: User, acting_user: User, request: HttpRequest | None = None, source: str = "admin"
) -> None:
    """An administrator set the password (a reset, or a new account): its owner must choose
    their own at the next sign-in."""
    if acting_user is not None and getattr(acting_user, "pk", None) == user.pk:
        password_changed_by_owner(user=user, request=request)
        return
    account = _account(user)
    account.must_change_password = True
    account.password_changed_at = timezone.now()
    account.save(update_fields=["must_change_password", "password_changed_at"])
    audit_log(
        user=acting_user,
        action=AuditEvent.Action.PASSWORD_RESET,
        subject=_("Password of %(user)s set by an administrator") % {"user": user.get_username()},
        target_user=user,
        request=request,
        source=source,
    )


# ---------------------------------------------------------------------------------------------
# The second factor (django-otp: one TOTP device and one set of recovery codes per user)


def confirmed_totp(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def pending_totp(user: User) -> TOTPDevice:
    """The device being set up: created on the first visit, kept until confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="TOTP", confirmed=False)
    return device


def base32_key(device: TOTPDevice) -> str:
    """The key as authenticator apps take it by hand (base32, in groups of four)."""
    key = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def qr_svg(device: TOTPDevice) -> SafeString:
    """The otpauth:// URL as an inline SVG QR code, drawn on the server (no CDN, no script)."""
    svg = segno.make(device.config_url, error="m").svg_inline(scale=4, dark="#1f2933", light="#ffffff")
    return mark_safe(svg)


@transaction.atomic
def recovery_codes_renew(*, user: User) -> list[str]:
    """A fresh set of single-use recovery codes; the old ones stop working."""
    device, _created = StaticDevice.objects.get_or_create(user=user, name="recovery", defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


@transaction.atomic
def otp_enrol(*, device: TOTPDevice, code: str, request: HttpRequest) -> list[str]:
    """Confirm a TOTP device with a code it shows; returns the recovery codes (shown once)."""
    user = device.user
    if not device.verify_token(code.replace(" ", "")):
        raise ValidationError(_("The code is not right. Check the phone's clock and enter the current code."))
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = recovery_codes_renew(user=user)
    otp_login(request, device)
    audit_log(
        user=user,
        action=AuditEvent.Action.OTP_ENROL,
        subject=_("Second factor set up"),
        target_user=user,
        request=request,
        source="web",
    )
    return codes


@transaction.atomic
def otp_remove(*, user: User, acting_user: User, request: HttpRequest | None = None, source: str = "web") -> None:
    """Remove a user's second factor. An administrator must keep theirs; only another person
    (the system administrator, when a phone is lost) may remove it, and then it must be set up
    again at the next sign-in."""
    if acting_user.pk == user.pk and roles_of(user) & ADMINISTRATORS:
        raise PermissionDenied(_("Administrators must keep a second factor."))
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    audit_log(
        user=acting_user,
        action=AuditEvent.Action.OTP_REMOVE,
        subject=_("Second factor of %(user)s removed") % {"user": user.get_username()},
        target_user=user,
        request=request,
        source=source,
    )


def otp_verify(*, user: User, code: str, request: HttpRequest) -> bool:
    """A code from the authenticator app, or one recovery code (used up)."""
    code = code.replace(" ", "").strip()
    for device in [*TOTPDevice.objects.filter(user=user, confirmed=True), *StaticDevice.objects.filter(user=user)]:
        if code and device.verify_token(code):
            otp_login(request, device)
            return True
    audit_log(
        user=user,
        action=AuditEvent.Action.LOGIN_FAILED,
        subject=_("Wrong second-factor code"),
        target_user=user,
        request=request,
        source="web",
    )
    return False


# ---------------------------------------------------------------------------------------------
# API tokens (django-rest-knox: only a digest is stored; the key is shown once)


def token_ttl() -> timedelta:
    return timedelta(days=settings.API_TOKEN_TTL_DAYS)


@transaction.atomic
def token_issue(
    *, user: User, acting_user: User | None, source: str, days: int | None = None, request: HttpRequest | None = None
) -> tuple[AuthToken, str]:
    """Issue a token to an API client; the audit trail says who issued it, for whom, from where."""
    if Role.API_CLIENT not in roles_of(user):
        raise ValidationError(
            _("%(user)s is not an API client; tokens are issued to API-client accounts only.")
            % {"user": user.get_username()}
        )
    ttl = token_ttl()
    if days is not None:
        if not 1 <= days <= settings.API_TOKEN_TTL_DAYS:
            raise ValidationError(_("A token lasts 1 to %(max)d days.") % {"max": settings.API_TOKEN_TTL_DAYS})
        ttl = timedelta(days=days)
    token, key = AuthToken.objects.create(user=user, expiry=ttl)
    audit_log(
        user=acting_user,
        action=AuditEvent.Action.TOKEN,
        subject=_("API token %(key)s issued, valid until %(day)s")
        % {"key": token.token_key, "day": f"{timezone.localtime(token.expiry):%Y-%m-%d}"},
        target_user=user,
        request=request,
        source=source,
    )
    return token, key


@transaction.atomic
def token_revoke(*, token: AuthToken, acting_user: User, source: str, request: HttpRequest | None = None) -> None:
    owner = token.user
    key = token.token_key
    token.delete()
    audit_log(
        user=acting_user,
        action=AuditEvent.Action.TOKEN_REVOKE,
        subject=_("API token %(key)s revoked") % {"key": key},
        target_user=owner,
        request=request,
        source=source,
    )


def live_tokens(user: User) -> list[AuthToken]:
    return list(
        AuthToken.objects.filter(user=user)
        .exclude(expiry__lt=timezone.now())
        .order_by("-created")
        .only("digest", "token_key", "created", "expiry", "user_id")
    )


# ---------------------------------------------------------------------------------------------
# Lock-outs (django-axes)


def axes_client_ip(request: HttpRequest) -> str | None:
    # Axes reads the same client address as the audit trail.
    return client_ip(request)


def _is_address(parameter: str | list[str]) -> bool:
    return parameter == "ip_address" or parameter == ["ip_address"]


class AxesHandler(AxesDatabaseHandler):
    """Axes's database handler with two changes:

    - the address has its own threshold (AXES_IP_FAILURE_LIMIT): a shared office address must
      not lock out a whole floor after five typos, but an address spraying passwords across many
      accounts is stopped. Axes compares one count with one limit, so the address's count is
      given on the account's scale: floor(failures × account limit / address limit) reaches the
      account limit exactly when the address reaches its own.
    - a successful sign-in clears the account's failures only, not the address's, so an attacker
      cannot wipe the address's count by signing in to an account of their own."""

    def get_failures(self, request: Any, credentials: dict[str, Any] | None = None) -> int:
        limit = get_failure_limit(request, credentials)
        worst = 0
        parameters = get_lockout_parameters(request, credentials)
        for parameter, attempts in zip(parameters, self.get_user_attempts(request, credentials), strict=True):
            count = attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            if _is_address(parameter):
                count = count * limit // max(settings.AXES_IP_FAILURE_LIMIT, 1)
            worst = max(worst, count)
        return worst

    def reset_user_attempts(self, request: Any, credentials: dict[str, Any] | None = None) -> int:
        username = get_client_username(request, credentials)
        if not username:
            return 0
        deleted, _kinds = AccessAttempt.objects.filter(username=username).delete()
        return deleted


def _locked_until(**filters: Any) -> datetime | None:
    last = AccessAttempt.objects.filter(**filters).aggregate(last=Max("attempt_time"))["last"]
    return last + settings.AXES_COOLOFF_TIME if last else None


def account_is_locked(username: str) -> bool:
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    failures = AccessAttempt.objects.filter(username=username, attempt_time__gte=since).aggregate(
        n=Sum("failures_since_start")
    )["n"]
    return (failures or 0) >= settings.AXES_FAILURE_LIMIT


def lockout_response(
    request: HttpRequest, original_response: HttpResponseBase | None = None, credentials: dict[str, Any] | None = None
) -> HttpResponse:
    """The login page again, with a message that says what is locked, until when and who can help."""
    username = get_client_username(request, credentials) or ""
    if username and account_is_locked(username):
        until = _locked_until(username=username)
        message = _(
            "This account is locked after %(limit)d failed logins. Try again after %(until)s, or ask the system administrator to unlock it."
        )
    else:
        until = _locked_until(ip_address=getattr(request, "axes_ip_address", None))
        message = _(
            "Too many failed logins from this computer's address. Logins from it are paused until %(until)s; ask the system administrator if this is a mistake."
        )
    shown = f"{timezone.localtime(until):%H:%M}" if until else ""
    form = AuthenticationForm(request, initial={"username": username})
    context = {
        "form": form,
        "lockout_message": message % {"limit": settings.AXES_FAILURE_LIMIT, "until": shown},
        "username": username,
        "next": request.POST.get("next", "") if request.method == "POST" else "",
    }
    return render(request, "registration/login.html", context, status=429)


@dataclass
class Lockout:
    username: str
    ip_addresses: list[str]
    failures: int
    until: datetime | None
    user: User | None


def current_lockouts() -> list[Lockout]:
    """Accounts whose failures within the cool-off reach the limit."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    rows: dict[str, Lockout] = {}
    for attempt in AccessAttempt.objects.filter(attempt_time__gte=since).order_by("username"):
        row = rows.setdefault(
            attempt.username or "",
            Lockout(username=attempt.username or "", ip_addresses=[], failures=0, until=None, user=None),
        )
        row.failures += attempt.failures_since_start
        if attempt.ip_address and attempt.ip_address not in row.ip_addresses:
            row.ip_addresses.append(attempt.ip_address)
        until = attempt.attempt_time + settings.AXES_COOLOFF_TIME
        row.until = max(row.until, until) if row.until else until
    locked = [row for row in rows.values() if row.failures >= settings.AXES_FAILURE_LIMIT]
    users = User.objects.in_bulk([row.username for row in locked], field_name="username")
    for row in locked:
        row.user = users.get(row.username)
    return locked


def may_unlock(user: AnyUser) -> bool:
    return Role.SYSTEM_ADMIN in roles_of(user)


@transaction.atomic
def account_unlock(*, username: str, acting_user: User, request: HttpRequest | None = None, source: str = "web") -> int:
    """Clear an account's failed logins (and so its lock-out); audited as an unlock."""
    if not may_unlock(acting_user):
        raise PermissionDenied(_("Only the system administrator unlocks accounts."))
    deleted, _kinds = AccessAttempt.objects.filter(username=username).delete()
    audit_log(
        user=acting_user,
        action=AuditEvent.Action.UNLOCK,
        subject=_("Account %(user)s unlocked") % {"user": username},
        target_user=User.objects.filter(username=username).first(),
        request=request,
        source=source,
    )
    return deleted


# ---------------------------------------------------------------------------------------------
# Views


def _next_url(request: HttpRequest, default: str = "/") -> str:
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
        return url
    return default


def account_view(request: HttpRequest) -> HttpResponse:
    """My account: the password, the second factor, API tokens; unlocking for the system admin."""
    user: Any = request.user
    return render(
        request,
        "xicheng/account/account.html",
        {
            "has_device": confirmed_totp(user) is not None,
            "otp_required": bool(roles_of(user) & ADMINISTRATORS),
            "tokens": len(live_tokens(user)),
            "may_unlock": may_unlock(user),
            "password_changed_at": AccountSecurity.objects.filter(user=user)
            .values_list("password_changed_at", flat=True)
            .first(),
        },
    )


class OwnPasswordChangeView(PasswordChangeView):
    template_name = "xicheng/account/password_change.html"
    success_url = reverse_lazy("home")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["forced"] = bool(self.request.session.get(MUST_CHANGE_PASSWORD))
        context["next"] = _next_url(self.request, "")
        return context

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        form.save()
        update_session_auth_hash(self.request, form.user)
        password_changed_by_owner(user=form.user, request=self.request)
        self.request.session[MUST_CHANGE_PASSWORD] = False
        messages.success(self.request, _("Your password was changed."))
        return redirect(_next_url(self.request, str(self.success_url)))


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )


def otp_verify_view(request: HttpRequest) -> HttpResponse:
    """After the password: the code from the authenticator app, or a recovery code."""
    user: Any = request.user
    if not request.session.get(HAS_DEVICE):
        return redirect("otp_setup")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if otp_verify(user=user, code=form.cleaned_data["code"], request=request):
            return redirect(_next_url(request))
        form.add_error("code", _("The code is not right, or was already used. Try the next code."))
    return render(request, "xicheng/account/otp_verify.html", {"form": form, "next": _next_url(request, "")})


def otp_setup_view(request: HttpRequest) -> HttpResponse:
    """The second factor: set it up (QR code and key, confirmed by one code), see it, renew the
    recovery codes, or remove it (not for administrators)."""
    user: Any = request.user
    device = confirmed_totp(user)
    if device is not None:
        static = StaticDevice.objects.filter(user=user).first()
        remaining = static.token_set.count() if static else 0
        return render(
            request,
            "xicheng/account/otp_status.html",
            {
                "device": device,
                "remaining": remaining,
                "required": bool(roles_of(user) & ADMINISTRATORS),
                "code_form": CodeForm(),
            },
        )
    pending = pending_totp(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = otp_enrol(device=pending, code=form.cleaned_data["code"], request=request)
        except ValidationError as e:
            form.add_error("code", e)
        else:
            remember_account_state(request, user)
            return render(
                request,
                "xicheng/account/recovery_codes.html",
                {"codes": codes, "next": _next_url(request, ""), "first_time": True},
            )
    return render(
        request,
        "xicheng/account/otp_setup.html",
        {
            "form": form,
            "qr": qr_svg(pending),
            "key": base32_key(pending),
            "required": bool(roles_of(user) & ADMINISTRATORS),
            "next": _next_url(request, ""),
        },
    )


@require_POST
def otp_recovery_codes_view(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if confirmed_totp(user) is None:
        return redirect("otp_setup")
    codes = recovery_codes_renew(user=user)
    audit_log(
        user=user,
        action=AuditEvent.Action.OTP_ENROL,
        subject=_("New recovery codes"),
        target_user=user,
        request=request,
        source="web",
    )
    return render(request, "xicheng/account/recovery_codes.html", {"codes": codes, "first_time": False})


@require_POST
def otp_remove_view(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    device = confirmed_totp(user)
    form = CodeForm(request.POST)
    if device is None:
        return redirect("otp_setup")
    if not form.is_valid() or not device.verify_token(form.cleaned_data["code"].replace(" ", "")):
        messages.error(request, _("The code is not right; the second factor was kept."))
        return redirect("otp_setup")
    otp_remove(user=user, acting_user=user, request=request)
    request.session.pop(DEVICE_ID_SESSION_KEY, None)
    remember_account_state(request, user)
    messages.success(request, _("The second factor was removed."))
    return redirect("otp_setup")


def token_list_view(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    tokens = live_tokens(user)
    issued = {
        event.subject: event
        for event in AuditEvent.objects.filter(action=AuditEvent.Action.TOKEN, target_user=user).select_related("user")
    }
    rows = []
    for token in tokens:
        event = next((e for subject, e in issued.items() if token.token_key in subject), None)
        rows.append({"token": token, "issued": event})
    return render(request, "xicheng/account/tokens.html", {"rows": rows, "ttl_days": settings.API_TOKEN_TTL_DAYS})


@require_POST
def token_revoke_view(request: AuthenticatedHttpRequest, token_key: str) -> HttpResponse:
    tokens = list(AuthToken.objects.filter(user=request.user, token_key=token_key))
    if not tokens:
        messages.error(request, _("No such token of yours."))
    for token in tokens:
        token_revoke(token=token, acting_user=request.user, request=request, source="web")
        messages.success(request, _("Token %(key)s revoked.") % {"key": token_key})
    return redirect("token_list")


def lockout_list_view(request: HttpRequest) -> HttpResponse:
    if not may_unlock(request.user):
        raise PermissionDenied(_("Only the system administrator unlocks accounts."))
    return render(request, "xicheng/account/lockouts.html", {"lockouts": current_lockouts()})


@require_POST
def lockout_unlock_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    username = request.POST.get("username", "")
    account_unlock(username=username, acting_user=request.user, request=request)
    messages.success(request, _("Account %(user)s unlocked.") % {"user": username})
    return redirect("lockout_list")


# The admin's own forms set passwords (a reset, a new account). These wrappers let the admin do
# its work unchanged and then record that the owner must choose a password of their own.


def admin_user_password_view(request: AuthenticatedHttpRequest, id: str) -> HttpResponse:
    user_admin: Any = admin.site._registry[User]
    response = admin.site.admin_view(user_admin.user_change_password)(request, id)
    if request.method == "POST" and response.status_code == 302:
        target = User.objects.filter(pk=id).first()
        if target is not None:
            password_set_by_admin(user=target, acting_user=request.user, request=request)
    return response


def admin_user_add_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    user_admin: Any = admin.site._registry[User]
    response = admin.site.admin_view(user_admin.add_view)(request)
    if request.method == "POST" and response.status_code == 302:
        target = User.objects.filter(username=request.POST.get("username", "")).first()
        if target is not None and target.has_usable_password():
            password_set_by_admin(user=target, acting_user=request.user, request=request)
    return response


def new_temporary_password() -> str:
    """A password that meets the rule, for an account whose owner must change it at once."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(12)) + secrets.choice("!#%+-=@")
        if (
            any(c.islower() for c in candidate)
            and any(c.isupper() for c in candidate)
            and any(c.isdigit() for c in candidate)
        ):
            return candidate
