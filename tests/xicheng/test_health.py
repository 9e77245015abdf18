"""/healthz: open, plain HTTP even when HTTPS is enforced, and it names the part that fails."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.test.utils import override_settings

pytestmark = pytest.mark.django_db

# A port nothing listens on: the service is down.
DOWN = "redis://:hunter2@127.0.0.1:1/0"


def test_all_parts_answer_ok_without_signing_in(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok", "broker": "eager"}


def test_with_https_enforced_the_health_check_still_answers_plain_http(client: Client, settings: Any) -> None:
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200
    assert client.get("/accounts/login/").status_code == 301  # everything else goes to HTTPS


@pytest.mark.redis
def test_with_redis_as_cache_and_broker_every_part_is_ok(client: Client, redis_url: str) -> None:
    redis_cache = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url}}
    with override_settings(CACHES=redis_cache, CELERY_TASK_ALWAYS_EAGER=False, CELERY_BROKER_URL=redis_url):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok", "broker": "ok"}


def test_a_cache_that_is_down_is_a_503_naming_the_cache_and_nothing_secret(client: Client) -> None:
    cache_down = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": DOWN,
            "OPTIONS": {"socket_connect_timeout": 1},
        }
    }
    with override_settings(CACHES=cache_down):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "ok", "cache": "error", "broker": "eager"}
    assert "hunter2" not in response.content.decode() and "127.0.0.1" not in response.content.decode()


def test_a_broker_that_is_down_is_a_503_naming_the_broker(client: Client) -> None:
    with override_settings(CELERY_TASK_ALWAYS_EAGER=False, CELERY_BROKER_URL=DOWN):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"] == "error" and response.json()["database"] == "ok"
    assert "hunter2" not in response.content.decode()
