"""One locked write: a PATCH names the version it read (body or If-Match), a stale one is a 409
with the current version, and the assignment of a task is a leader's or a data admin's."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.conftest import Cast, Places
from tests.factories import TargetFactory, TaskFactory
from xicheng.models import Task, TaskUpdate

pytestmark = pytest.mark.django_db


@pytest.fixture
def task(cast: Cast, places: Places) -> Task:
    """李's task in 四方社区, led by 赵."""
    made: Any = TaskFactory(area=places.sifang, lead_leader=cast.zhao, responsible=cast.li, title="老旧小区加装电梯")
    return made


def _api(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_a_task_patch_without_a_version_is_refused_and_nothing_changes(task: Task, cast: Cast) -> None:
    response = _api(cast.li).patch(f"/api/v1/tasks/{task.pk}/", {"description": "已完成选址"}, format="json")
    assert response.status_code == 400
    assert "版本" in response.json()["version"][0]
    task.refresh_from_db()
    assert (task.description, task.version) == ("", 1)


def test_a_stale_task_patch_answers_409_with_the_current_version(task: Task, cast: Cast) -> None:
    first = _api(cast.li).patch(f"/api/v1/tasks/{task.pk}/", {"description": "第一稿", "version": 1}, format="json")
    assert first.status_code == 200 and first.json()["version"] == 2
    stale = _api(cast.zhao).patch(f"/api/v1/tasks/{task.pk}/", {"description": "第二稿", "version": 1}, format="json")
    assert stale.status_code == 409
    body = stale.json()
    assert body["version"] == 2
    assert "已被他人修改" in body["detail"][0] and "未保存" in body["detail"][0]
    task.refresh_from_db()
    assert (task.description, task.version) == ("第一稿", 2)


def test_a_task_is_read_with_an_etag_and_changed_with_if_match(task: Task, cast: Cast) -> None:
    client = _api(cast.li)
    read = client.get(f"/api/v1/tasks/{task.pk}/")
    assert read["ETag"] == '"1"'
    changed = client.patch(
        f"/api/v1/tasks/{task.pk}/", {"description": "按 ETag 修改"}, format="json", HTTP_IF_MATCH=read["ETag"]
    )
    assert changed.status_code == 200 and changed["ETag"] == '"2"'
    stale = client.patch(f"/api/v1/tasks/{task.pk}/", {"description": "过时"}, format="json", HTTP_IF_MATCH='"1"')
    assert stale.status_code == 412
    assert stale.json()["version"] == 2 and stale["ETag"] == '"2"'
    task.refresh_from_db()
    assert task.description == "按 ETag 修改"


def test_an_if_match_that_is_not_an_etag_is_a_400(task: Task, cast: Cast) -> None:
    response = _api(cast.li).patch(f"/api/v1/tasks/{task.pk}/", {"description": "x"}, format="json", HTTP_IF_MATCH="*")
    assert response.status_code == 400 and "If-Match" in response.json()["version"][0]


def test_a_cadre_may_put_the_description_of_her_task_in_her_own_words(task: Task, cast: Cast) -> None:
    response = _api(cast.li).patch(
        f"/api/v1/tasks/{task.pk}/", {"description": "与住户逐户沟通", "version": 1}, format="json"
    )
    assert response.status_code == 200
    task.refresh_from_db()
    assert (task.description, task.version) == ("与住户逐户沟通", 2)
    assert task.history.latest().history_user == cast.li


@pytest.mark.parametrize(
    "name, value, status",
    [
        ("responsible", "wang", 403),
        # Not one of the subdistrict's people at all: the field itself is refused first.
        ("responsible", "api", 400),
        ("lead_leader", "auditor", 400),
        ("due_on", "2030-06-30", 403),
        ("target", "a target", 403),
        ("title", "改名", 403),
    ],
    ids=["responsible-wang", "responsible-api", "lead_leader-auditor", "due_on", "target", "title"],
)
def test_a_cadre_may_not_rewrite_her_own_assignment(
    task: Task, cast: Cast, places: Places, name: str, value: str, status: int
) -> None:
    if name in ("responsible", "lead_leader"):
        sent: Any = getattr(cast, value).pk
    elif name == "target":
        sent = TargetFactory(area=places.sifang).pk
    else:
        sent = value
    response = _api(cast.li).patch(f"/api/v1/tasks/{task.pk}/", {name: sent, "version": 1}, format="json")
    assert response.status_code == status
    if status == 403:
        assert "只有领导或数据管理员" in response.json()["detail"]
    task.refresh_from_db()
    assert (task.responsible, task.lead_leader, task.target, task.title, task.version) == (
        cast.li,
        cast.zhao,
        None,
        "老旧小区加装电梯",
        1,
    )


def test_sending_the_assignment_unchanged_is_not_a_reassignment(task: Task, cast: Cast) -> None:
    # A client that PATCHes back the whole row it read changes only what differs.
    response = _api(cast.li).patch(
        f"/api/v1/tasks/{task.pk}/",
        {"responsible": cast.li.pk, "lead_leader": cast.zhao.pk, "description": "整行回写", "version": 1},
        format="json",
    )
    assert response.status_code == 200


def test_a_leader_gives_the_task_to_a_cadre_never_to_the_auditor_or_an_api_client(task: Task, cast: Cast) -> None:
    client = _api(cast.zhao)
    for user in (cast.api, cast.auditor, cast.admin):
        refused = client.patch(f"/api/v1/tasks/{task.pk}/", {"responsible": user.pk, "version": 1}, format="json")
        assert refused.status_code == 400, user
        assert "既不是干部也不是领导" in refused.json()["responsible"][0]
    given = client.patch(f"/api/v1/tasks/{task.pk}/", {"responsible": cast.wang.pk, "version": 1}, format="json")
    assert given.status_code == 200
    task.refresh_from_db()
    assert (task.responsible, task.version) == (cast.wang, 2)


def test_a_lead_leader_is_a_leader(task: Task, cast: Cast) -> None:
    response = _api(cast.zhao).patch(
        f"/api/v1/tasks/{task.pk}/", {"lead_leader": cast.li.pk, "version": 1}, format="json"
    )
    assert response.status_code == 400
    assert "不是领导" in response.json()["lead_leader"][0]


@pytest.mark.parametrize("due_on", ["9999-12-31", "2099-01-01", "1999-12-31"])
def test_an_impossible_due_date_is_a_clear_400(task: Task, cast: Cast, due_on: str) -> None:
    response = _api(cast.zhao).patch(f"/api/v1/tasks/{task.pk}/", {"due_on": due_on, "version": 1}, format="json")
    assert response.status_code == 400
    assert due_on in response.json()["due_on"][0]
    task.refresh_from_db()
    assert task.version == 1


def test_a_cadre_does_not_set_up_tasks(cast: Cast, places: Places) -> None:
    from tests.factories import WorkLineFactory

    line: Any = WorkLineFactory()
    body = {
        "title": "自拟任务",
        "work_line": line.pk,
        "area": places.sifang.pk,
        "lead_leader": cast.zhao.pk,
        "responsible": cast.li.pk,
        "due_on": "2026-12-31",
    }
    assert _api(cast.li).post("/api/v1/tasks/", body, format="json").status_code == 403
    assert _api(cast.zhao).post("/api/v1/tasks/", body, format="json").status_code == 201


def test_a_1_mb_progress_note_is_refused_with_a_message_not_cut_short(task: Task, cast: Cast) -> None:
    response = _api(cast.li).post(
        f"/api/v1/tasks/{task.pk}/updates/",
        {"note": "进" * 340_000, "status": "in_progress", "version": 1},
        format="json",
    )
    assert response.status_code == 400
    assert "2000" in response.json()["note"][0]
    assert not TaskUpdate.objects.exists()


def test_a_progress_note_names_the_version_it_was_written_against(task: Task, cast: Cast) -> None:
    client = _api(cast.li)
    missing = client.post(
        f"/api/v1/tasks/{task.pk}/updates/", {"note": "已开工", "status": "in_progress"}, format="json"
    )
    assert missing.status_code == 400 and "version" in missing.json()
    # A status change is an edit of the task (a note alone is appended and never conflicts).
    saved = client.post(
        f"/api/v1/tasks/{task.pk}/updates/", {"note": "暂停待料", "status": "blocked", "version": 1}, format="json"
    )
    assert saved.status_code == 201
    stale = client.post(
        f"/api/v1/tasks/{task.pk}/updates/", {"note": "再报", "status": "done", "version": 1}, format="json"
    )
    assert stale.status_code == 409 and stale.json()["version"] == 2
    assert TaskUpdate.objects.count() == 1


def test_a_stale_progress_note_on_the_page_says_so_in_chinese_and_keeps_the_note(
    client: Client, task: Task, cast: Cast
) -> None:
    Task.objects.filter(pk=task.pk).update(version=5)  # someone else changed it meanwhile
    client.force_login(cast.li)
    response = client.post(f"/tasks/{task.pk}/updates/", {"note": "今天完成三户签约", "status": "done", "version": 1})
    page = response.content.decode()
    assert response.status_code == 400
    assert "已被他人修改" in page and "今天完成三户签约" in page
    assert not TaskUpdate.objects.exists()
