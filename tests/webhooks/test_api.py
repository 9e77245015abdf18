"""/api/v1/webhooks/ and /api/v1/webhook-deliveries/: the system admin's alone; the secret goes in
and never comes out; deleting archives; the log is filtered and costs the same at any length."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from rest_framework.test import APIClient

from tests.conftest import Cast, assert_role_matrix, count_queries, login
from tests.openapi import assert_matches_schema
from tests.webhooks.conftest import SECRET
from xicheng.webhooks.models import Webhook, WebhookDelivery

pytestmark = pytest.mark.django_db

NOT_THEIRS = {"nobody": 403, "li": 403, "wang": 403, "zhao": 403, "admin": 403, "auditor": 403, "api": 403}


def client_of(user: Any) -> APIClient:
    client = APIClient()
    login(client, user)
    return client


def deliveries(hook: Webhook, n: int, status: str = WebhookDelivery.Status.SENT) -> None:
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(webhook=hook, event="hazard.rectified", event_id=uuid.uuid4(), payload={}, status=status)
        for _ in range(n)
    )


def test_only_the_system_admin_reads_the_deliveries(cast: Cast, webhook: Callable[..., Webhook]) -> None:
    deliveries(webhook(), 1)
    pk = WebhookDelivery.objects.get().pk
    for url in ("/api/v1/webhook-deliveries/", f"/api/v1/webhook-deliveries/{pk}/", "/api/v1/webhooks/"):
        assert_role_matrix(cast, "GET", url, {"anonymous": 401, "sysadmin": 200, **NOT_THEIRS}, api=True)


def test_the_deliveries_are_filtered_by_webhook_event_and_status(cast: Cast, webhook: Callable[..., Webhook]) -> None:
    first, second = webhook(name="甲"), webhook(name="乙")
    deliveries(first, 2)
    deliveries(first, 1, WebhookDelivery.Status.FAILED)
    deliveries(second, 1)
    client = client_of(cast.sysadmin)
    response = client.get(f"/api/v1/webhook-deliveries/?webhook={first.pk}&status=failed")
    assert response.json()["count"] == 1
    assert_matches_schema(response, "/api/v1/webhook-deliveries/")
    assert client.get("/api/v1/webhook-deliveries/?event=case.closed").json()["count"] == 0
    refused = client.get("/api/v1/webhook-deliveries/?status=lost")
    assert refused.status_code == 400 and "status" in refused.json()


def test_the_delivery_log_costs_the_same_for_few_and_many(cast: Cast, webhook: Callable[..., Webhook]) -> None:
    hook = webhook()
    deliveries(hook, 2)
    client = client_of(cast.sysadmin)
    urls = ["/api/v1/webhook-deliveries/", f"/api/v1/webhook-deliveries/?webhook={hook.pk}", "/api/v1/webhooks/"]
    few = [count_queries(lambda url=url: client.get(url)) for url in urls]
    deliveries(webhook(name="乙"), 20)
    deliveries(hook, 20)
    assert [count_queries(lambda url=url: client.get(url)) for url in urls] == few


def test_a_webhook_is_registered_with_a_secret_that_never_comes_back(cast: Cast) -> None:
    client = client_of(cast.sysadmin)
    body = {"name": "市级数据平台", "url": "https://data.example.cn/hooks", "secret": SECRET, "events": ["case.closed"]}
    response = client.post("/api/v1/webhooks/", body, format="json")
    assert response.status_code == 201, response.json()
    assert "secret" not in response.json() and response.json()["created_by"] == cast.sysadmin.pk
    assert_matches_schema(response, "/api/v1/webhooks/", "POST")
    hook = Webhook.objects.get()
    assert hook.secret == SECRET
    with connection.cursor() as cursor:  # encrypted at rest
        cursor.execute("SELECT secret FROM webhooks_webhook")
        assert SECRET not in cursor.fetchone()[0]
    listed = client.get("/api/v1/webhooks/").json()["results"]
    assert [row["name"] for row in listed] == ["市级数据平台"] and "secret" not in listed[0]
    assert hook.history.get().history_user == cast.sysadmin  # who registered it, kept

    # A change that leaves the secret out keeps it.
    changed = client.patch(f"/api/v1/webhooks/{hook.pk}/", {"events": ["case.closed", "task.updated"]}, format="json")
    assert changed.status_code == 200 and changed.json()["events"] == ["case.closed", "task.updated"]
    hook.refresh_from_db()
    assert hook.secret == SECRET


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"url": "ftp://data.example.cn/hooks"}, "url", "https://"),
        ({"events": ["case.lost"]}, "events", "合法"),
        ({"events": []}, "events", "空"),
        ({"secret": "short"}, "secret", "16"),
        ({"secret": ""}, "secret", "签名密钥"),
    ],
)
def test_bad_input_is_refused_in_chinese_naming_the_field(
    cast: Cast, change: dict[str, Any], field: str, words: str
) -> None:
    body = {"name": "市级数据平台", "url": "https://data.example.cn/hooks", "secret": SECRET, "events": ["case.closed"]}
    response = client_of(cast.sysadmin).post("/api/v1/webhooks/", {**body, **change}, format="json")
    assert response.status_code == 400
    assert field in response.json() and words in str(response.json()[field]), response.json()
    assert not Webhook.objects.exists()


def test_deleting_a_webhook_stops_it_and_keeps_its_log(cast: Cast, webhook: Callable[..., Webhook]) -> None:
    hook = webhook()
    deliveries(hook, 1)
    client = client_of(cast.sysadmin)
    assert client.delete(f"/api/v1/webhooks/{hook.pk}/").status_code == 204
    assert client.get("/api/v1/webhooks/").json()["count"] == 0
    assert client.get(f"/api/v1/webhooks/{hook.pk}/").status_code == 404
    hook.refresh_from_db()
    assert hook.archived_at is not None and not hook.active
    assert client.get(f"/api/v1/webhook-deliveries/?webhook={hook.pk}").json()["count"] == 1
    assert Webhook.objects.subscribed_to("case.closed") == []


def test_the_admin_never_shows_the_secret_back(cast: Cast, webhook: Callable[..., Webhook]) -> None:
    hook = webhook()
    client = client_of(cast.sysadmin)
    page = client.get(f"/admin/webhooks/webhook/{hook.pk}/change/")
    assert page.status_code == 200 and SECRET not in page.content.decode()
    saved = client.post(
        f"/admin/webhooks/webhook/{hook.pk}/change/",
        {"name": "新名称", "url": hook.url, "secret": "", "events": ["task.updated"], "active": "on"},
        format="multipart",
    )
    assert saved.status_code == 302
    hook.refresh_from_db()
    assert (hook.name, hook.secret, hook.events) == ("新名称", SECRET, ["task.updated"])
