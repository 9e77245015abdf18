"""Accounts (issue 9, 等保三级 身份鉴别): the password rule, lock-outs, session limits, the second
factor, a forced password change. Tokens are in test_tokens.py."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import Cast, login
from xicheng.models import AuditEvent

pytestmark = pytest.mark.django_db

PASSWORD = "secret-pass-123"  # the cast's password


def code_for(device: TOTPDevice, *, later: int = 0) -> str:
    """The code the authenticator app shows now (or `later` steps on)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + later * device.step
    return f"{totp.token():06d}"


def sign_in(client: Client, username: str, password: str = PASSWORD, ip: str = "10.0.0.1") -> Any:
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


# --- the password rule ---------------------------------------------------------------------


def test_a_weak_password_is_refused_with_a_chinese_message(client: Client, cast: Cast) -> None:
    client.force_login(cast.li)
    response = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": "li123456", "new_password2": "li123456"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "密码至少要包含以下 3 类字符" in page
    cast.li.refresh_from_db()
    assert cast.li.check_password(PASSWORD)


@pytest.mark.parametrize("password", ["li123456", "abcdefgh12", "ABCDEFGH12", "Ab1!", "12345678"])
def test_the_rule_refuses_short_or_unmixed_passwords(password: str) -> None:
    with pytest.raises(ValidationError):
        validate_password(password)


@pytest.mark.parametrize("password", ["Li123456x", "xicheng-2026-ok", "西城Xicheng2026"])
def test_the_rule_accepts_long_mixed_passwords(password: str) -> None:
    validate_password(password)


def test_every_user_changes_their_own_password_and_it_is_audited(client: Client, cast: Cast) -> None:
    client.force_login(cast.li)
    assert "/accounts/" in client.get("/my/").content.decode()  # the top bar links to the account
    response = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": "Sifang#2026", "new_password2": "Sifang#2026"},
    )
    assert response.status_code == 302
    cast.li.refresh_from_db()
    assert cast.li.check_password("Sifang#2026")
    assert signed_in(client)  # changing the password does not sign the user out
    event = AuditEvent.objects.get(action=AuditEvent.Action.PASSWORD_CHANGE)
    assert event.user == cast.li and event.target_user == cast.li


# --- a password set by an administrator ----------------------------------------------------


def test_an_administrators_reset_forces_a_change_at_the_next_sign_in(cast: Cast) -> None:
    sysadmin = Client()
    login(sysadmin, cast.sysadmin)
    response = sysadmin.post(
        f"/admin/auth/user/{cast.li.pk}/password/",
        {"usable_password": "true", "password1": "Temp#Pass2026", "password2": "Temp#Pass2026"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    reset = AuditEvent.objects.get(action=AuditEvent.Action.PASSWORD_RESET)
    assert reset.user == cast.sysadmin and reset.target_user == cast.li

    li = Client()
    assert sign_in(li, "li", "Temp#Pass2026").status_code == 302
    page = li.get("/my/")
    assert page.status_code == 302 and page.url.startswith("/accounts/password/")
    api = li.get("/api/v1/tasks/")
    assert api.status_code == 403
    assert "密码" in api.json()["detail"]

    li.post(
        "/accounts/password/",
        {"old_password": "Temp#Pass2026", "new_password1": "Mine#Pass2026", "new_password2": "Mine#Pass2026"},
    )
    assert li.get("/my/").status_code == 200
    assert li.get("/api/v1/tasks/").status_code == 200


def test_a_new_administrator_from_create_admin_changes_the_password_and_sets_up_a_second_factor(
    cast: Cast,
) -> None:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("create_admin", "xu", role="system_admin", name="徐新", stdout=out)
    password = out.getvalue().splitlines()[1]
    client = Client()
    assert sign_in(client, "xu", password).status_code == 302
    assert client.get("/admin/").url.startswith("/accounts/password/")
    client.post(
        "/accounts/password/", {"old_password": password, "new_password1": "Xu#Own2026", "new_password2": "Xu#Own2026"}
    )
    assert client.get("/admin/").url.startswith("/accounts/otp/")
    created = AuditEvent.objects.get(action=AuditEvent.Action.USER_CHANGE, target_user__username="xu")
    assert created.source.startswith("command create_admin")


# --- lock-outs -----------------------------------------------------------------------------


def test_the_sixth_login_to_a_locked_account_fails_from_a_new_address_with_the_right_password(
    client: Client, cast: Cast
) -> None:
    for _ in range(5):
        sign_in(client, "li", "wrong-password", ip="10.0.0.1")
    response = sign_in(Client(), "li", PASSWORD, ip="192.168.7.7")
    assert response.status_code == 429
    page = response.content.decode()
    assert "账号已锁定" in page and "系统管理员" in page
    assert 'name="password"' in page  # the login page itself, not a bare error page


def test_an_address_failing_across_many_accounts_is_locked(client: Client, cast: Cast, settings: Any) -> None:
    settings.AXES_IP_FAILURE_LIMIT = 6
    for username in ["li", "wang", "zhao", "li", "wang", "zhao"]:
        sign_in(client, username, "wrong-password", ip="10.6.6.6")
    # Nobody reached five failures, but the address reached its own limit.
    response = sign_in(Client(), "api", PASSWORD, ip="10.6.6.6")
    assert response.status_code == 429
    assert "本机地址登录失败次数过多" in response.content.decode()
    # The same account from elsewhere is fine.
    assert sign_in(Client(), "api", PASSWORD, ip="10.7.7.7").status_code == 302


def test_four_failures_then_the_right_password_signs_in_and_clears_the_count(client: Client, cast: Cast) -> None:
    for _ in range(4):
        sign_in(client, "li", "wrong-password")
    assert sign_in(client, "li", PASSWORD).status_code == 302
    for _ in range(4):
        sign_in(Client(), "li", "wrong-password")
    assert sign_in(Client(), "li", PASSWORD).status_code == 302


def test_the_system_admin_unlocks_an_account_and_it_is_audited(cast: Cast) -> None:
    for _ in range(5):
        sign_in(Client(), "li", "wrong-password")
    sysadmin = Client()
    login(sysadmin, cast.sysadmin)
    page = sysadmin.get("/accounts/lockouts/").content.decode()
    assert 'data-locked="li"' in page
    assert sysadmin.post("/accounts/lockouts/unlock/", {"username": "li"}).status_code == 302
    assert sign_in(Client(), "li", PASSWORD).status_code == 302
    event = AuditEvent.objects.get(action=AuditEvent.Action.UNLOCK)
    assert event.user == cast.sysadmin and event.target_user == cast.li


@pytest.mark.parametrize("who", ["li", "zhao", "admin", "auditor"])
def test_only_the_system_admin_unlocks(cast: Cast, who: str) -> None:
    for _ in range(5):
        sign_in(Client(), "wang", "wrong-password")
    client = Client()
    login(client, getattr(cast, who))
    assert client.get("/accounts/lockouts/").status_code == 403
    assert client.post("/accounts/lockouts/unlock/", {"username": "wang"}).status_code == 403
    assert sign_in(Client(), "wang", PASSWORD).status_code == 429


# --- session limits ------------------------------------------------------------------------


def test_a_session_idle_31_minutes_is_logged_out(client: Client, cast: Cast) -> None:
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client.force_login(cast.li)
        assert client.get("/my/").status_code == 200
        clock.shift(timedelta(minutes=31))
        response = client.get("/my/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    assert not signed_in(client)


def test_a_session_used_every_29_minutes_lives_on_until_12_hours(client: Client, cast: Cast) -> None:
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client.force_login(cast.li)
        for _ in range(24):  # 24 × 29 minutes = 11 h 36 min
            clock.shift(timedelta(minutes=29))
            assert client.get("/my/").status_code == 200
        clock.shift(timedelta(minutes=29))  # 12 h 05 min after signing in
        response = client.get("/my/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_an_idle_api_session_answers_401(cast: Cast) -> None:
    client = Client()
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client.force_login(cast.zhao)
        clock.shift(timedelta(minutes=31))
        assert client.get("/api/v1/tasks/").status_code == 401


# --- the second factor ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "url"),
    [
        ("admin", "/admin/"),
        ("admin", "/admin/xicheng/task/"),
        ("sysadmin", "/admin/auth/user/"),
        ("sysadmin", "/admin/knox/authtoken/"),
        ("auditor", "/audit/"),
    ],
)
def test_an_administrator_without_a_second_factor_cannot_reach_admin_pages(
    client: Client, cast: Cast, who: str, url: str
) -> None:
    client.force_login(getattr(cast, who))  # password only, no device
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith("/accounts/otp/")
    assert client.get("/api/v1/tasks/").status_code == 403


def test_an_administrator_with_a_device_must_enter_its_code_after_the_password(client: Client, cast: Cast) -> None:
    device = TOTPDevice.objects.create(user=cast.admin, name="TOTP", confirmed=True)
    assert sign_in(client, "admin").status_code == 302
    response = client.get("/admin/")
    assert response.status_code == 302 and response.url.startswith("/accounts/otp/verify/")
    wrong = client.post("/accounts/otp/verify/", {"code": "000000"})
    assert wrong.status_code == 200
    assert AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN_FAILED, user=cast.admin).exists()
    # A wrong code makes the device wait a second before it takes the next one (django-otp).
    with time_machine.travel(timezone.now() + timedelta(seconds=2)):
        right = client.post("/accounts/otp/verify/", {"code": code_for(device), "next": "/admin/"})
    assert right.status_code == 302 and right.url == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_an_administrator_enrols_a_second_factor_and_receives_recovery_codes(client: Client, cast: Cast) -> None:
    client.force_login(cast.sysadmin)
    page = client.get("/accounts/otp/")
    assert page.status_code == 200
    assert "<svg" in page.content.decode()  # the QR code, drawn on the server
    device = TOTPDevice.objects.get(user=cast.sysadmin, confirmed=False)
    done = client.post("/accounts/otp/", {"code": code_for(device)})
    assert done.status_code == 200
    assert "data-recovery-codes" in done.content.decode()
    assert client.get("/admin/").status_code == 200
    assert AuditEvent.objects.filter(action=AuditEvent.Action.OTP_ENROL, target_user=cast.sysadmin).exists()
    assert StaticDevice.objects.get(user=cast.sysadmin).token_set.count() == 10


def test_a_recovery_code_signs_in_once(cast: Cast) -> None:
    from xicheng.authentication import recovery_codes_renew

    TOTPDevice.objects.create(user=cast.admin, name="TOTP", confirmed=True)
    code = recovery_codes_renew(user=cast.admin)[0]
    first = Client()
    sign_in(first, "admin")
    assert first.post("/accounts/otp/verify/", {"code": code}).status_code == 302
    assert first.get("/admin/").status_code == 200
    second = Client()
    sign_in(second, "admin")
    assert second.post("/accounts/otp/verify/", {"code": code}).status_code == 200  # used up
    assert second.get("/admin/").status_code == 302


def test_a_cadre_may_set_up_and_remove_a_second_factor_and_both_are_audited(client: Client, cast: Cast) -> None:
    client.force_login(cast.li)
    assert client.get("/my/").status_code == 200  # optional for a cadre
    client.get("/accounts/otp/")
    device = TOTPDevice.objects.get(user=cast.li)
    client.post("/accounts/otp/", {"code": code_for(device)})
    device.refresh_from_db()
    assert device.confirmed
    client.post("/accounts/otp/remove/", {"code": code_for(device, later=1)})
    assert not TOTPDevice.objects.filter(user=cast.li).exists()
    actions = set(AuditEvent.objects.filter(target_user=cast.li).values_list("action", flat=True))
    assert {AuditEvent.Action.OTP_ENROL, AuditEvent.Action.OTP_REMOVE} <= actions


def test_an_administrator_cannot_remove_their_own_second_factor(client: Client, cast: Cast) -> None:
    login(client, cast.admin)
    device = TOTPDevice.objects.get(user=cast.admin)
    client.post("/accounts/otp/remove/", {"code": code_for(device)})
    assert TOTPDevice.objects.filter(user=cast.admin).exists()


def test_a_cadre_with_a_second_factor_is_asked_for_it_too(client: Client, cast: Cast) -> None:
    device = TOTPDevice.objects.create(user=cast.li, name="TOTP", confirmed=True)
    sign_in(client, "li")
    assert client.get("/my/").url.startswith("/accounts/otp/verify/")
    client.post("/accounts/otp/verify/", {"code": code_for(device)})
    assert client.get("/my/").status_code == 200


def test_the_login_helper_reaches_the_admin_as_a_verified_administrator(client: Client, cast: Cast) -> None:
    login(client, cast.admin)
    assert client.get("/admin/").status_code == 200
    assert User.objects.get(pk=cast.admin.pk).totpdevice_set.filter(confirmed=True).exists()


def test_the_system_admin_resets_a_lost_second_factor_and_it_is_audited(cast: Cast) -> None:
    from io import StringIO

    from django.core.management import call_command

    TOTPDevice.objects.create(user=cast.admin, name="TOTP", confirmed=True)
    call_command("reset_second_factor", "admin", issuer="sysadmin", stdout=StringIO())
    assert not TOTPDevice.objects.filter(user=cast.admin).exists()
    event = AuditEvent.objects.get(action=AuditEvent.Action.OTP_REMOVE)
    assert event.user == cast.sysadmin and event.target_user == cast.admin
    client = Client()
    sign_in(client, "admin")
    assert client.get("/admin/").url.startswith("/accounts/otp/")  # must set one up again


def test_without_its_idle_cookie_a_session_counts_from_sign_in(client: Client, cast: Cast) -> None:
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client.force_login(cast.li)
        clock.shift(timedelta(minutes=20))
        assert client.get("/my/").status_code == 200
        clock.shift(timedelta(minutes=20))
        del client.cookies["xs_seen"]  # dropping the clock does not keep the session alive
        response = client.get("/my/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
