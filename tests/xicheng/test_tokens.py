"""API tokens (issue 9): they expire, their owner lists and revokes them, the system admin revokes
anyone's, and `issue_api_token` issues only to API clients, recording who issued it and from where."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests.conftest import Cast, login
from xicheng.authentication import token_issue
from xicheng.models import AuditEvent

pytestmark = pytest.mark.django_db


def issue(user: object, **kwargs: object) -> str:
    out = StringIO()
    call_command("issue_api_token", user.username, stdout=out, stderr=StringIO(), **kwargs)  # type: ignore[attr-defined]
    return out.getvalue().strip()


def with_token(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_a_token_works_until_it_expires_then_gets_401(cast: Cast) -> None:
    key = issue(cast.api, issuer="sysadmin")
    assert with_token(key).get("/api/v1/tasks/").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=89)):
        assert with_token(key).get("/api/v1/tasks/").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=91)):
        assert with_token(key).get("/api/v1/tasks/").status_code == 401


def test_an_expired_token_gets_401(cast: Cast) -> None:
    key = issue(cast.api, issuer="sysadmin", days=1)
    with time_machine.travel(timezone.now() + timedelta(days=1, minutes=1)):
        response = with_token(key).get("/api/v1/tasks/")
    assert response.status_code == 401


def test_the_lifetime_is_a_setting(cast: Cast, settings: object) -> None:
    settings.API_TOKEN_TTL_DAYS = 30  # type: ignore[attr-defined]
    token, _key = token_issue(user=cast.api, acting_user=cast.sysadmin, source="test")
    assert token.expiry is not None
    assert timedelta(days=29, hours=23) < token.expiry - timezone.now() <= timedelta(days=30)


def test_a_revoked_token_gets_401(cast: Cast) -> None:
    key = issue(cast.api, issuer="sysadmin")
    client = with_token(key)
    listed = client.get("/api/v1/tokens/").json()
    token_key = listed["results"][0]["token_key"] if "results" in listed else listed[0]["token_key"]
    assert client.delete(f"/api/v1/tokens/{token_key}/").status_code == 204
    assert client.get("/api/v1/tasks/").status_code == 401
    event = AuditEvent.objects.get(action=AuditEvent.Action.TOKEN_REVOKE)
    assert event.user == cast.api and event.target_user == cast.api and event.source == "api"


def test_the_owner_lists_and_revokes_their_tokens_on_a_page(cast: Cast) -> None:
    key = issue(cast.api, issuer="sysadmin")
    other = issue(cast.api, issuer="sysadmin")
    client = Client()
    client.force_login(cast.api)
    page = client.get("/accounts/tokens/").content.decode()
    assert key[:15] in page and other[:15] in page
    assert "系统管理员" in page  # who issued it
    client.post(f"/accounts/tokens/{key[:15]}/revoke/")
    assert with_token(key).get("/api/v1/tasks/").status_code == 401
    assert with_token(other).get("/api/v1/tasks/").status_code == 200


def test_nobody_sees_or_revokes_another_users_tokens(cast: Cast) -> None:
    key = issue(cast.api, issuer="sysadmin")
    client = APIClient()
    client.force_login(cast.li)
    listed = client.get("/api/v1/tokens/").json()
    assert (listed.get("count") if isinstance(listed, dict) else len(listed)) == 0
    assert client.delete(f"/api/v1/tokens/{key[:15]}/").status_code == 404
    web = Client()
    web.force_login(cast.li)
    web.post(f"/accounts/tokens/{key[:15]}/revoke/")
    assert with_token(key).get("/api/v1/tasks/").status_code == 200


def test_the_token_endpoints_are_in_the_schema(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.zhao)
    schema = client.get("/api/schema/?format=json").json()
    assert "/api/v1/tokens/" in schema["paths"]
    assert "delete" in schema["paths"]["/api/v1/tokens/{token_key}/"]


def test_the_system_admin_revokes_any_token_in_the_admin_and_it_is_audited(cast: Cast) -> None:
    key = issue(cast.api, issuer="sysadmin")
    token = AuthToken.objects.get()
    client = Client()
    login(client, cast.sysadmin)
    assert client.get("/admin/knox/authtoken/").status_code == 200
    response = client.post("/admin/knox/authtoken/", {"action": "revoke", "_selected_action": [token.pk], "index": 0})
    assert response.status_code == 302
    assert with_token(key).get("/api/v1/tasks/").status_code == 401
    event = AuditEvent.objects.get(action=AuditEvent.Action.TOKEN_REVOKE)
    assert event.user == cast.sysadmin and event.target_user == cast.api and event.source == "admin"


def test_the_data_admin_cannot_open_the_token_admin(cast: Cast) -> None:
    client = Client()
    login(client, cast.admin)
    assert client.get("/admin/knox/authtoken/").status_code == 403


@pytest.mark.parametrize("who", ["li", "zhao", "admin", "auditor", "sysadmin", "nobody"])
def test_issue_api_token_refuses_anyone_but_an_api_client(cast: Cast, who: str) -> None:
    with pytest.raises(CommandError, match="不是接口调用账号"):
        issue(getattr(cast, who), issuer="sysadmin")
    assert not AuthToken.objects.exists()


def test_issue_api_token_records_who_issued_it_for_whom_and_from_where(cast: Cast) -> None:
    issue(cast.api, issuer="sysadmin")
    event = AuditEvent.objects.get(action=AuditEvent.Action.TOKEN)
    assert event.user == cast.sysadmin
    assert event.target_user == cast.api
    assert event.source.startswith("command issue_api_token: ") and "@" in event.source
    assert AuthToken.objects.get().token_key in event.subject


def test_issue_api_token_without_by_records_the_os_user(cast: Cast) -> None:
    issue(cast.api)
    event = AuditEvent.objects.get(action=AuditEvent.Action.TOKEN)
    assert event.user is None and event.target_user == cast.api
    assert "@" in event.source


def test_issue_api_token_refuses_an_issuer_who_is_not_the_system_admin(cast: Cast) -> None:
    with pytest.raises(CommandError, match="not a system administrator"):
        issue(cast.api, issuer="admin")
