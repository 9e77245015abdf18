"""Deny by default: walk every URL and API route anonymously; none but login and the health
check may answer with data."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db

OPEN = {"/accounts/login/", "/healthz", "/admin/login/"}
# JavaScript translation catalogues hold the UI's strings, no records.
HARMLESS = re.compile(r"/jsi18n/$")


def _walk(patterns: list[Any], prefix: str = "") -> list[str]:
    urls: list[str] = []
    for p in patterns:
        route = str(p.pattern)
        route = route.lstrip("^").rstrip("$").replace("\\Z", "").replace("\\.", ".")
        # Fill every regex group or converter with a plausible value.
        route = re.sub(r"\(\?P<format>[^)]*\)", "json", route)
        route = re.sub(r"\(\?P<app_label>[^)]*\)", "xicheng", route)
        route = re.sub(r"\(\?P<\w+>[^)]*\)", "1", route)
        route = re.sub(r"<(?:\w+:)?(\w+)>", "1", route)
        route = route.replace("/?", "/")
        if isinstance(p, URLResolver):
            urls += _walk(p.url_patterns, prefix + route)
        elif isinstance(p, URLPattern):
            urls.append("/" + (prefix + route).lstrip("/"))
    return sorted(set(urls))


def test_the_walk_finds_the_routes_that_matter() -> None:
    urls = _walk(get_resolver().url_patterns)
    for expected in ("/my/", "/tasks/1/", "/api/v1/tasks/", "/api/v1/targets/1/", "/api/schema/", "/admin/"):
        assert expected in urls


def test_no_route_answers_an_anonymous_visitor_with_data(client: Client, cast: Any, places: Any) -> None:
    from tests.factories import TaskFactory

    # Something to leak, should a route forget its guard.
    TaskFactory(area=places.sifang, lead_leader=cast.zhao, responsible=cast.li, title="不应泄露的任务")
    leaks = []
    for url in _walk(get_resolver().url_patterns):
        if url in OPEN or url.startswith("/static/") or HARMLESS.search(url):
            continue
        response = client.get(url)
        body = response.content.decode(errors="replace") if response.status_code == 200 else ""
        if response.status_code == 200:
            leaks.append((url, response.status_code, body[:80]))
        elif response.status_code not in (301, 302, 401, 403, 404, 405):
            leaks.append((url, response.status_code, ""))
        assert "不应泄露的任务" not in body
    assert not leaks, f"routes answering anonymously: {leaks}"


def test_login_and_health_check_are_open(client: Client) -> None:
    assert client.get("/healthz").json()["status"] == "ok"
    login = client.get("/accounts/login/")
    assert login.status_code == 200
    assert "登录" in login.content.decode()


def test_a_user_without_a_role_is_refused(client: Client, cast: Any) -> None:
    client.force_login(cast.nobody)
    assert client.get("/my/").status_code == 403
    assert client.get("/tasks/").status_code == 403
