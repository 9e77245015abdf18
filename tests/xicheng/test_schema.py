"""The schema tells the truth: every answer documented, the dashboard as typed components, and
input of the wrong type refused rather than quietly read some other way."""

from __future__ import annotations

import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

import pytest
from django.db import connection
from drf_spectacular.generators import SchemaGenerator
from knox.models import AuthToken

from tests.conftest import Cast, Places
from tests.factories import IndicatorFactory, ManualReadingFactory, TargetFactory, TaskFactory
from tests.openapi import assert_matches_schema, openapi

pytestmark = pytest.mark.django_db


def test_every_operation_documents_how_it_refuses() -> None:
    missing = []
    for path, operations in openapi()["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            expected = {"401", "403", "429"}
            if operation.get("parameters") and any(p["in"] == "query" for p in operation["parameters"]):
                expected |= {"400", "414"}
            if "{" in path:
                expected.add("404")
            if method in ("post", "patch", "put") and not path.endswith("/search/"):
                expected |= {"400", "409"}
            if not expected <= codes:
                missing.append(f"{method.upper()} {path}: {sorted(expected - codes)}")
    assert not missing, "\n".join(missing)


def test_the_error_answers_share_components() -> None:
    schemas = openapi()["components"]["schemas"]
    assert schemas["Error"]["required"] == ["detail"]
    assert "additionalProperties" in schemas["ValidationError"]
    answers = openapi()["paths"]["/api/v1/tasks/{id}/"]["patch"]["responses"]
    assert answers["409"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Conflict"}


def test_the_dashboard_is_documented_as_typed_components(api_client: Any, cast: Cast, places: Places) -> None:
    dashboard = openapi()["components"]["schemas"]["Dashboard"]
    assert set(dashboard["properties"]) == {"period", "as_of", "lights", "targets", "sections", "alerts", "trends"}
    target = TargetFactory(area=places.xicheng, value=100, indicator=IndicatorFactory(headline=True))
    ManualReadingFactory(indicator=target.indicator, area=places.sifang, on=date(2026, 7, 20), value=5)
    TaskFactory(area=places.sifang, lead_leader=cast.zhao, responsible=cast.li, due_on=date(2026, 8, 1))
    api_client.force_login(cast.zhao)
    response = api_client.get("/api/v1/dashboard/?period=h2&year=2026&as_of=2026-09-30")
    body = response.json()
    assert body["targets"] and body["alerts"] and body["trends"]
    assert_matches_schema(response, "/api/v1/dashboard/")


def test_a_refusal_matches_its_documented_shape(api_client: Any, cast: Cast) -> None:
    api_client.force_login(cast.zhao)
    assert_matches_schema(api_client.get("/api/v1/dashboard/?as_of=2026-13-40"), "/api/v1/dashboard/")
    assert_matches_schema(api_client.get("/api/v1/tasks/999999/"), "/api/v1/tasks/{id}/")
    api_client.logout()
    assert_matches_schema(api_client.get("/api/v1/tasks/"), "/api/v1/tasks/")


def test_a_tasks_progress_notes_come_in_pages(api_client: Any, cast: Cast, places: Places) -> None:
    task = TaskFactory(area=places.sifang, lead_leader=cast.zhao, responsible=cast.li)
    api_client.force_login(cast.li)
    for version, note in enumerate(("第一次入户", "第二次入户", "签约完成"), start=1):
        response = api_client.post(
            f"/api/v1/tasks/{task.pk}/updates/", {"note": note, "status": "in_progress", "version": version}
        )
        assert response.status_code == 201
        assert_matches_schema(response, "/api/v1/tasks/{id}/updates/", "POST")
    response = api_client.get(f"/api/v1/tasks/{task.pk}/updates/?page_size=2")
    assert response.json()["count"] == 3
    assert [u["note"] for u in response.json()["results"]] == ["签约完成", "第二次入户"]
    assert_matches_schema(response, "/api/v1/tasks/{id}/updates/")


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("page_size=abc", "page_size"),
        ("page_size=0", "page_size"),
        ("page_size=501", "page_size"),
        ("page=0", "page"),
        ("page=abc", "page"),
        ("page=last", "page"),
        ("ordering=secret_field", "ordering"),
        ("ordering=due_on,,title", "ordering"),
        ("overdue=maybe", "overdue"),
        ("overdue=1", "overdue"),
        ("due_before=2026-02-30", "due_before"),
        ("status=", "status"),
        ("area=1&area=2", "area"),
        ("search=a%00b", "search"),
    ],
)
def test_a_wrongly_typed_parameter_is_refused_with_its_name(
    api_client: Any, cast: Cast, places: Places, query: str, name: str
) -> None:
    TaskFactory(area=places.sifang, lead_leader=cast.zhao, responsible=cast.li)
    api_client.force_login(cast.zhao)
    response = api_client.get(f"/api/v1/tasks/?{query}")
    assert response.status_code == 400
    assert name in response.json()
    assert_matches_schema(response, "/api/v1/tasks/")


def test_well_typed_parameters_still_filter_order_and_page(api_client: Any, cast: Cast, places: Places) -> None:
    TaskFactory(title="甲", area=places.sifang, lead_leader=cast.zhao, responsible=cast.li, due_on=date(2026, 1, 1))
    TaskFactory(title="乙", area=places.sifang, lead_leader=cast.zhao, responsible=cast.li, due_on=date(2099, 1, 1))
    api_client.force_login(cast.zhao)
    response = api_client.get("/api/v1/tasks/?ordering=-due_on,title&overdue=false&page=1&page_size=1&search=")
    assert response.status_code == 200
    assert [t["title"] for t in response.json()["results"]] == ["乙"]
    assert api_client.get("/api/v1/tasks/?page=2&page_size=50").status_code == 404  # past the last page


def test_a_json_body_keeps_its_types_but_a_form_post_is_text(api_client: Any, cast: Cast, places: Places) -> None:
    task = TaskFactory(area=places.sifang, lead_leader=cast.zhao, responsible=cast.li)
    api_client.force_login(cast.li)
    url = f"/api/v1/tasks/{task.pk}/updates/"
    refused = api_client.post(url, {"note": 0, "status": "in_progress", "version": 1}, format="json")
    assert refused.status_code == 400
    assert refused.json()["note"] == ["请填写文字（字符串）。"]
    form = {"note": "0", "status": "in_progress", "version": "1"}
    assert api_client.post(url, form, format="multipart").status_code == 201


def test_a_method_not_offered_is_a_405_whatever_the_parameters(api_client: Any, cast: Cast) -> None:
    api_client.force_login(cast.zhao)
    assert api_client.generic("TRACE", "/api/v1/tasks/?overdue=").status_code == 405


def test_a_path_no_route_matches_answers_json_under_the_api(api_client: Any, cast: Cast) -> None:
    api_client.force_login(cast.zhao)
    response = api_client.get("/api/v1/tasks/1.5/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "未找到。"}


def test_a_list_page_says_which_filter_it_could_not_read(client: Any, cast: Cast) -> None:
    client.force_login(cast.zhao)
    page = client.get("/tasks/?overdue=maybe").content.decode()
    assert "以下筛选条件有误，未予应用" in page and "请填写 true 或 false。" in page


def test_an_unknown_format_suffix_with_a_bad_token_is_a_404_not_a_500(api_client: Any) -> None:
    # /elders/0.5/ reads as the record "0" in the format "5"; the refusal must not trip over the token.
    response = api_client.get("/api/v1/elders/0.5/", HTTP_AUTHORIZATION="Token not-a-real-token")
    assert response.status_code in (401, 404)


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the live server on SQLite serves one request at a time")
@pytest.mark.django_db(transaction=True)
def test_the_schema_is_generated_by_one_thread_at_a_time(
    live_server: Any, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two threads of one worker generating the schema at once raced inside drf-spectacular and
    one answered 500 (xicheng.api.SchemaView): requests at once now wait their turn."""
    inside, most, counting = 0, 0, threading.Lock()

    def generate(self: Any, request: Any = None, public: bool = False) -> dict[str, Any]:
        nonlocal inside, most
        with counting:
            inside += 1
            most = max(most, inside)
        time.sleep(0.05)
        with counting:
            inside -= 1
        return {"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {}}

    monkeypatch.setattr(SchemaGenerator, "get_schema", generate)
    _token, key = AuthToken.objects.create(user=cast.zhao)

    def fetch(_: int) -> int:
        request = urllib.request.Request(f"{live_server.url}/api/schema/", headers={"Authorization": f"Token {key}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)

    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = list(pool.map(fetch, range(8)))
    assert statuses == [200] * 8
    assert most == 1
