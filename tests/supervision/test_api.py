"""/api/v1/cases/ and /api/v1/notifications/: scoped, filtered with the lists' FilterSet, the
steps as actions calling the services (a stale version is a 409, or 412 through If-Match)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests.conftest import Cast, Places, count_queries, login
from tests.supervision.conftest import People, fresh
from xicheng.models import Task
from xicheng.supervision import services as s
from xicheng.supervision.models import Case, Notification

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def open_case(people: People, task: Task, **overrides: Any) -> Case:
    fields: dict[str, Any] = {
        "kind": "xicheng.task",
        "object_id": task.pk,
        "title": "老旧小区改造进度滞后",
        "instruction": "请限期完成。",
        "owner": fresh(people.li),
        "due_on": TODAY + timedelta(days=10),
        "acting_user": fresh(people.zhao),
    } | overrides
    return s.case_open(**fields)


def client_of(user: Any) -> APIClient:
    client = APIClient()
    login(client, user)
    return client


def test_a_case_is_read_with_its_steps_and_its_light(people: People, task: Task) -> None:
    case = open_case(people, task)
    response = client_of(people.li).get(f"/api/v1/cases/{case.pk}/")
    assert response.status_code == 200
    data = response.json()
    assert data["light"] == "on_time" and data["owner"]["name"] == people.li.cadre.name
    assert [step["kind"] for step in data["steps"]] == ["opened"]
    assert response["ETag"] == f'"{case.version}"'


def test_a_cadre_sees_only_the_cases_of_her_areas(people: People, task: Task) -> None:
    case = open_case(people, task)
    assert [row["id"] for row in client_of(people.li).get("/api/v1/cases/").json()["results"]] == [case.pk]
    wang = client_of(people.wang)
    assert wang.get("/api/v1/cases/").json()["results"] == []
    assert wang.get(f"/api/v1/cases/{case.pk}/").status_code == 404
    assert (
        wang.post(f"/api/v1/cases/{case.pk}/acknowledge/", {"version": case.version}, format="json").status_code == 404
    )


def test_the_cases_filter_like_the_lists(people: People, task: Task) -> None:
    open_case(people, task, title="重点", level="key")
    late = open_case(people, task, title="将到期", due_on=TODAY)
    client = client_of(people.zhao)

    def ids(query: str) -> list[int]:
        response = client.get(f"/api/v1/cases/?{query}")
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert len(ids("level=key")) == 1
    assert ids("light=due_soon") == [late.pk]
    assert ids("overdue=true") == []
    assert len(ids("mine=issued")) == 2 and ids("mine=owned") == []
    assert client.get("/api/v1/cases/?light=purple").status_code == 400


def test_the_owner_and_the_issuer_take_their_steps(people: People, task: Task) -> None:
    case = open_case(people, task)
    li, zhao = client_of(people.li), client_of(people.zhao)
    response = li.post(f"/api/v1/cases/{case.pk}/acknowledge/", {"version": case.version}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "acknowledged"
    version = response.json()["version"]
    assert li.post(f"/api/v1/cases/{case.pk}/reply/", {"text": "进场"}, format="json").status_code == 200
    response = li.post(f"/api/v1/cases/{case.pk}/report-done/", {"text": "完成", "version": version}, format="json")
    assert response.status_code == 200
    response = zhao.post(f"/api/v1/cases/{case.pk}/accept/", {"version": response.json()["version"]}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "closed"
    assert [step["kind"] for step in response.json()["steps"]] == [
        "opened",
        "acknowledged",
        "replied",
        "reported",
        "accepted",
    ]


def test_a_stale_version_is_a_conflict_with_the_current_one(people: People, task: Task) -> None:
    case = open_case(people, task)
    read = case.version
    s.case_acknowledge(case=case, version=read, acting_user=fresh(people.li))
    li = client_of(people.li)
    body = {"due_on": (case.due_on + timedelta(days=3)).isoformat(), "reason": "材料未到", "version": read}
    response = li.post(f"/api/v1/cases/{case.pk}/request-extension/", body, format="json")
    assert response.status_code == 409 and response.json()["version"] == read + 1
    del body["version"]
    response = li.post(f"/api/v1/cases/{case.pk}/request-extension/", body, format="json")
    assert response.status_code == 400 and "version" in response.json()
    case.refresh_from_db()
    assert case.extension_requested_to is None


def test_the_wrong_actor_is_refused_with_the_reason_and_an_api_client_only_reads(
    people: People, task: Task, cast: Cast
) -> None:
    case = open_case(people, task)
    response = client_of(people.zhao).post(
        f"/api/v1/cases/{case.pk}/acknowledge/", {"version": case.version}, format="json"
    )
    assert response.status_code == 400 and response.json()["detail"]
    api = client_of(cast.api)
    assert api.get(f"/api/v1/cases/{case.pk}/").status_code == 200
    assert (
        api.post(f"/api/v1/cases/{case.pk}/acknowledge/", {"version": case.version}, format="json").status_code == 403
    )


def test_notifications_are_ones_own_and_are_marked_read(people: People, task: Task) -> None:
    open_case(people, task)
    open_case(people, task, owner=fresh(people.zhou))
    li = client_of(people.li)
    rows = li.get("/api/v1/notifications/").json()["results"]
    assert [row["read"] for row in rows] == [False]
    mine = rows[0]["id"]
    others = Notification.objects.get(recipient=people.zhou).pk
    assert li.get(f"/api/v1/notifications/{others}/").status_code == 404
    assert li.post(f"/api/v1/notifications/{others}/read/").status_code == 404
    assert li.post(f"/api/v1/notifications/{mine}/read/").json()["read"] is True
    assert client_of(people.zhou).post("/api/v1/notifications/read-all/").json() == {"marked": 1}


def test_the_case_list_costs_the_same_for_few_and_many_cases(people: People, task: Task, places: Places) -> None:
    def add(n: int) -> None:
        for i in range(n):
            case = open_case(people, task, title=f"事项{i}")
            s.case_acknowledge(case=case, version=case.version, acting_user=fresh(people.li))
            Notification.objects.create(recipient=people.li, kind="case_opened", case=case, title=case.title)

    add(2)
    client = client_of(people.li)
    urls = ["/api/v1/cases/", "/api/v1/cases/?light=on_time", "/api/v1/notifications/"]
    small = [count_queries(lambda url=url: client.get(url)) for url in urls]
    add(20)
    large = [count_queries(lambda url=url: client.get(url)) for url in urls]
    assert small == large
