from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import Cast, Places, login
from tests.factories import TaskFactory
from xicheng.models import Task

pytestmark = pytest.mark.django_db


def test_my_work_lists_the_open_tasks_a_cadre_answers_for(client: Client, cast: Cast, places: Places) -> None:
    TaskFactory(area=places.sifang, lead_leader=cast.zhao, responsible=cast.li, title="最美巷道评选")
    TaskFactory(
        area=places.sifang, lead_leader=cast.zhao, responsible=cast.li, title="已完成的任务", status=Task.Status.DONE
    )
    TaskFactory(area=places.feifeng, lead_leader=cast.zhao, responsible=cast.wang, title="美丽庭院创建")
    client.force_login(cast.li)
    page = client.get("/my/").content.decode()
    assert "我的工作台" in page
    assert "最美巷道评选" in page
    assert "已完成的任务" not in page
    assert "美丽庭院创建" not in page


def test_a_progress_note_from_my_work_is_saved_in_place(client: Client, cast: Cast, places: Places) -> None:
    task = TaskFactory(area=places.sifang, lead_leader=cast.zhao, responsible=cast.li)
    client.force_login(cast.li)
    response = client.post(
        f"/tasks/{task.pk}/updates/",
        {"note": "已完成现场踏勘", "status": "in_progress", "version": 1},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "进展已保存" in response.content.decode()
    assert task.updates.get().note == "已完成现场踏勘"


def test_leaders_filter_the_task_list(client: Client, cast: Cast, places: Places) -> None:
    TaskFactory(area=places.sifang, lead_leader=cast.zhao, responsible=cast.li, title="四方的任务")
    TaskFactory(area=places.feifeng, lead_leader=cast.zhao, responsible=cast.wang, title="飞凤的任务", status="done")
    client.force_login(cast.zhao)
    page = client.get(f"/tasks/?area={places.sifang.pk}").content.decode()
    assert "四方的任务" in page and "飞凤的任务" not in page
    page = client.get("/tasks/?status=done").content.decode()
    assert "飞凤的任务" in page and "四方的任务" not in page


def test_changes_keep_their_history_with_who_and_where(client: Client, cast: Cast, places: Places) -> None:
    task = TaskFactory(area=places.sifang, lead_leader=cast.zhao, responsible=cast.li)
    client.force_login(cast.li)
    client.post(
        f"/tasks/{task.pk}/updates/", {"note": "推进", "status": "blocked", "version": 1}, REMOTE_ADDR="10.1.2.3"
    )
    latest = task.history.latest()
    assert (latest.status, latest.history_user, latest.history_ip_address) == ("blocked", cast.li, "10.1.2.3")


def test_the_admin_is_titled_in_chinese(client: Client, cast: Cast) -> None:
    login(client, cast.admin)
    assert "西城街道工作进度管理" in client.get("/admin/").content.decode()


def test_pages_are_chinese_even_for_an_english_browser_until_english_is_chosen(client: Client, cast: Cast) -> None:
    login = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert "登录" in login.content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert "Log in" in client.get("/accounts/login/").content.decode()


def test_failed_logins_lock_the_account_and_the_auditor_reads_them(client: Client, cast: Cast) -> None:
    for _ in range(5):
        client.post("/accounts/login/", {"username": "li", "password": "wrong"})
    locked = client.post("/accounts/login/", {"username": "li", "password": "secret-pass-123"})
    assert locked.status_code in (403, 429)
    assert "账号已锁定" in locked.content.decode()
    auditor = Client()
    login(auditor, cast.auditor)
    page = auditor.get("/audit/?action=login_failed").content.decode()
    assert page.count("李晓燕") >= 5  # by name, not login
    assert "账号被锁定" in auditor.get("/audit/?action=lockout").content.decode()


def test_the_audit_trail_says_who_changed_which_fields(client: Client, cast: Cast, places: Places) -> None:
    task = TaskFactory(area=places.sifang, lead_leader=cast.zhao, responsible=cast.li)
    editor = Client()
    editor.force_login(cast.li)
    editor.post(
        f"/tasks/{task.pk}/updates/", {"note": "推进", "status": "blocked", "version": 1}, REMOTE_ADDR="10.9.8.7"
    )
    login(client, cast.auditor)
    page = client.get("/audit/?model=xicheng.task").content.decode()
    assert "10.9.8.7" in page and "李晓燕" in page
    assert "状态" in page  # the status field changed
