"""Scope rules (DESIGN.md, Access), through the web pages and the API."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import Cast, Places, assert_role_matrix, login
from tests.factories import TaskFactory
from xicheng.models import Task, TaskUpdate

pytestmark = pytest.mark.django_db


@pytest.fixture
def feifeng_task(cast: Cast, places: Places) -> Task:
    return TaskFactory(area=places.feifeng, lead_leader=cast.zhao, responsible=cast.wang, title="美丽庭院创建")


@pytest.fixture
def sifang_task(cast: Cast, places: Places) -> Task:
    return TaskFactory(area=places.sifang, lead_leader=cast.zhao, responsible=cast.li, title="最美巷道评选")


@pytest.fixture
def subdistrict_task(cast: Cast, places: Places) -> Task:
    return TaskFactory(area=places.xicheng, lead_leader=cast.zhao, responsible=cast.wang, title="安全生产大排查")


def test_a_cadre_of_sifang_gets_404_for_a_task_of_feifeng_on_the_web(
    client: Client, cast: Cast, feifeng_task: Task
) -> None:
    client.force_login(cast.li)
    assert client.get(f"/tasks/{feifeng_task.pk}/").status_code == 404
    assert (
        client.post(f"/tasks/{feifeng_task.pk}/updates/", {"note": "x", "status": "done", "version": 1}).status_code
        == 404
    )


def test_a_cadre_of_sifang_gets_404_for_a_task_of_feifeng_over_the_api(
    api_client, cast: Cast, feifeng_task: Task
) -> None:  # type: ignore[no-untyped-def]
    api_client.force_login(cast.li)
    assert api_client.get(f"/api/v1/tasks/{feifeng_task.pk}/").status_code == 404
    assert (
        api_client.post(f"/api/v1/tasks/{feifeng_task.pk}/updates/", {"note": "x", "status": "done"}).status_code == 404
    )
    listed = api_client.get("/api/v1/tasks/").json()["results"]
    assert feifeng_task.pk not in [t["id"] for t in listed]


def test_a_cadre_sees_a_subdistrict_wide_task_but_may_not_change_it(
    client: Client, api_client, cast: Cast, subdistrict_task: Task
) -> None:  # type: ignore[no-untyped-def]
    client.force_login(cast.li)
    page = client.get(f"/tasks/{subdistrict_task.pk}/")
    assert page.status_code == 200
    assert "安全生产大排查" in page.content.decode()
    denied = client.post(f"/tasks/{subdistrict_task.pk}/updates/", {"note": "已完成", "status": "done", "version": 1})
    assert denied.status_code == 403
    api_client.force_login(cast.li)
    assert api_client.get(f"/api/v1/tasks/{subdistrict_task.pk}/").status_code == 200
    assert (
        api_client.post(f"/api/v1/tasks/{subdistrict_task.pk}/updates/", {"note": "x", "status": "done"}).status_code
        == 403
    )
    assert api_client.patch(f"/api/v1/tasks/{subdistrict_task.pk}/", {"title": "改名"}).status_code == 403
    assert not TaskUpdate.objects.exists()
    subdistrict_task.refresh_from_db()
    assert subdistrict_task.title == "安全生产大排查"


def test_a_leader_reads_every_task(
    api_client, cast: Cast, feifeng_task: Task, sifang_task: Task, subdistrict_task: Task
) -> None:  # type: ignore[no-untyped-def]
    api_client.force_login(cast.zhao)
    ids = {t["id"] for t in api_client.get("/api/v1/tasks/").json()["results"]}
    assert ids == {feifeng_task.pk, sifang_task.pk, subdistrict_task.pk}


def test_the_cadre_responsible_changes_their_task(client: Client, cast: Cast, sifang_task: Task) -> None:
    client.force_login(cast.li)
    response = client.post(
        f"/tasks/{sifang_task.pk}/updates/", {"note": "完成评选方案", "status": "done", "version": 1}
    )
    assert response.status_code == 302
    sifang_task.refresh_from_db()
    assert sifang_task.status == Task.Status.DONE
    assert sifang_task.updates.get().note == "完成评选方案"


def test_task_detail_role_matrix(cast: Cast, sifang_task: Task) -> None:
    assert_role_matrix(
        cast,
        "GET",
        f"/tasks/{sifang_task.pk}/",
        {
            "anonymous": 302,
            "nobody": 403,
            "li": 200,
            "wang": 404,
            "zhao": 200,
            "admin": 200,
            "auditor": 403,
            "sysadmin": 403,
            "api": 200,
        },
    )


def test_adding_a_progress_note_over_the_api_role_matrix(cast: Cast, sifang_task: Task) -> None:
    assert_role_matrix(
        cast,
        "POST",
        f"/api/v1/tasks/{sifang_task.pk}/updates/",
        {
            "anonymous": 401,
            "nobody": 403,
            "li": 201,
            "wang": 404,
            "zhao": 201,
            "admin": 201,
            "auditor": 403,
            "sysadmin": 403,
            "api": 403,
        },
        data={"note": "推进中", "status": "in_progress", "version": 1},
        api=True,
    )


def test_task_list_api_role_matrix(cast: Cast, sifang_task: Task) -> None:
    assert_role_matrix(
        cast,
        "GET",
        "/api/v1/tasks/",
        {
            "anonymous": 401,
            "nobody": 403,
            "li": 200,
            "wang": 200,
            "zhao": 200,
            "admin": 200,
            "auditor": 403,
            "sysadmin": 403,
            "api": 200,
        },
        api=True,
    )


def test_an_api_client_cannot_write(api_client, cast: Cast, places: Places, sifang_task: Task) -> None:  # type: ignore[no-untyped-def]
    api_client.force_login(cast.api)
    assert api_client.get(f"/api/v1/tasks/{sifang_task.pk}/").status_code == 200
    assert api_client.patch(f"/api/v1/tasks/{sifang_task.pk}/", {"title": "x"}).status_code == 403
    created = api_client.post(
        "/api/v1/tasks/",
        {
            "title": "x",
            "work_line": sifang_task.work_line_id,
            "area": places.sifang.pk,
            "lead_leader": cast.zhao.pk,
            "responsible": cast.li.pk,
            "due_on": "2026-12-31",
        },
    )
    assert created.status_code == 403
    assert Task.objects.count() == 1


def test_an_auditor_sees_no_domain_data(client: Client, api_client, cast: Cast, sifang_task: Task) -> None:  # type: ignore[no-untyped-def]
    login(client, cast.auditor)
    refused = client.get("/tasks/")
    assert refused.status_code == 403
    assert "最美巷道评选" not in refused.content.decode()
    assert client.get(f"/tasks/{sifang_task.pk}/").status_code == 403
    assert client.get("/audit/").status_code == 200
    login(api_client, cast.auditor)
    for url in ("/api/v1/tasks/", "/api/v1/targets/", "/api/v1/indicators/"):
        assert api_client.get(url).status_code == 403, url


def test_a_leader_cannot_file_a_task_outside_her_areas_and_a_cadre_files_none(
    api_client, cast: Cast, places: Places, sifang_task: Task
) -> None:  # type: ignore[no-untyped-def]
    payload = {
        "title": "新任务",
        "work_line": sifang_task.work_line_id,
        "lead_leader": cast.zhao.pk,
        "responsible": cast.li.pk,
        "due_on": "2026-12-31",
    }
    api_client.force_login(cast.zhao)  # 赵 serves 西城街道
    refused = api_client.post("/api/v1/tasks/", {**payload, "area": places.dongcheng.pk})
    assert refused.status_code == 400
    assert "area" in refused.json()
    accepted = api_client.post("/api/v1/tasks/", {**payload, "area": places.yuehongwan.pk})
    assert accepted.status_code == 201, accepted.json()
    # Giving out work is a leader's: a cadre files no task, even in her own village.
    api_client.force_login(cast.li)
    assert api_client.post("/api/v1/tasks/", {**payload, "area": places.yuehongwan.pk}).status_code == 403


def test_a_stale_form_is_refused_and_the_first_change_survives(client: Client, cast: Cast, sifang_task: Task) -> None:
    client.force_login(cast.li)
    first = client.post(f"/tasks/{sifang_task.pk}/updates/", {"note": "第一次", "status": "blocked", "version": 1})
    assert first.status_code == 302
    second = client.post(f"/tasks/{sifang_task.pk}/updates/", {"note": "第二次", "status": "done", "version": 1})
    assert second.status_code == 400
    assert "已被他人修改" in second.content.decode()
    sifang_task.refresh_from_db()
    assert sifang_task.status == Task.Status.BLOCKED
    assert list(sifang_task.updates.values_list("note", flat=True)) == ["第一次"]
