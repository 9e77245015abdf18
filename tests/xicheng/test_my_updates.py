"""我的填报 and the cadres' saves that used to fail silently: every save answers (success or the
message beside what was typed), a conflict hands back the version now so the retry is taken, and
a note that leaves the status alone never conflicts."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from governance.models import ZeroReport
from governance.services import hazard_rectify
from tests.conftest import Cast, Places, count_queries
from tests.factories import IndicatorFactory, ManualReadingFactory, TaskFactory
from tests.governance.factories import HazardFactory
from tests.welfare.factories import ElderFactory, SafetyCheckFactory
from xicheng.models import Indicator, ManualReading, Task, TaskUpdate

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
# Pinned: the page is flat whatever the number of tasks, indicators and hazards.
MY_UPDATES_QUERIES = 18  # her readings, and the header's unread-notification count (督办)


@pytest.fixture
def task(cast: Cast, places: Places) -> Task:
    """李's task in 四方社区, led by 赵, in progress."""
    made: Any = TaskFactory(area=places.sifang, lead_leader=cast.zhao, responsible=cast.li, title="老旧小区加装电梯")
    return made


@pytest.fixture
def li_client(client: Client, cast: Cast) -> Client:
    client.force_login(cast.li)
    return client


@pytest.fixture
def indicator(cast: Cast) -> Indicator:
    """新增市场主体, a manual indicator 李 owns."""
    made: Any = IndicatorFactory(name="新增市场主体", unit="家", owner=cast.li)
    return made


def _version_sent_back(page: str) -> int:
    match = re.search(r'name="version" value="(\d+)"', page)
    assert match, "the answer carries no version"
    return int(match.group(1))


# Progress notes ---------------------------------------------------------------------------------


def test_a_spaces_only_note_on_my_work_answers_400_with_a_message(li_client: Client, task: Task) -> None:
    response = li_client.post(
        f"/tasks/{task.pk}/updates/", {"note": "   ", "status": "in_progress", "version": 1}, **HTMX
    )
    assert response.status_code == 400
    assert "请填写工作进展" in response.content.decode()
    assert not TaskUpdate.objects.exists()


def test_a_spaces_only_note_on_the_task_page_answers_400_with_a_message(li_client: Client, task: Task) -> None:
    response = li_client.post(f"/tasks/{task.pk}/updates/", {"note": "   ", "status": "done", "version": 1})
    assert response.status_code == 400
    assert "请填写工作进展" in response.content.decode()
    task.refresh_from_db()
    assert task.status == Task.Status.IN_PROGRESS


def test_a_conflict_on_my_work_keeps_the_typed_note_and_hands_back_the_version_now(
    li_client: Client, task: Task
) -> None:
    Task.objects.filter(pk=task.pk).update(version=4)  # someone else changed it meanwhile
    url = f"/tasks/{task.pk}/updates/"
    response = li_client.post(url, {"note": "今天完成三户签约", "status": "done", "version": 1}, **HTMX)
    page = response.content.decode()
    assert response.status_code == 400
    assert "已被他人修改" in page and "今天完成三户签约" in page
    assert _version_sent_back(page) == 4
    retry = li_client.post(url, {"note": "今天完成三户签约", "status": "done", "version": 4}, **HTMX)
    assert retry.status_code == 200 and "进展已保存" in retry.content.decode()
    task.refresh_from_db()
    assert (task.status, task.version) == (Task.Status.DONE, 5)


def test_a_retry_on_the_task_page_after_a_conflict_is_taken(li_client: Client, task: Task) -> None:
    Task.objects.filter(pk=task.pk).update(version=3)
    url = f"/tasks/{task.pk}/updates/"
    refused = li_client.post(url, {"note": "已完成验收", "status": "done", "version": 1})
    page = refused.content.decode()
    assert refused.status_code == 400 and "已被他人修改" in page and "已完成验收" in page
    retry = li_client.post(url, {"note": "已完成验收", "status": "done", "version": _version_sent_back(page)})
    assert retry.status_code == 302
    assert list(task.updates.values_list("note", flat=True)) == ["已完成验收"]


def test_a_note_that_leaves_the_status_alone_never_conflicts(li_client: Client, task: Task) -> None:
    Task.objects.filter(pk=task.pk).update(version=7)
    response = li_client.post(
        f"/tasks/{task.pk}/updates/", {"note": "协调电梯厂家", "status": "in_progress", "version": 1}, **HTMX
    )
    assert response.status_code == 200 and "进展已保存" in response.content.decode()
    task.refresh_from_db()
    assert task.version == 7  # a note is appended, not an edit of the task
    assert list(task.updates.values_list("note", flat=True)) == ["协调电梯厂家"]


def test_a_note_through_the_api_that_leaves_the_status_alone_never_conflicts(
    api_client: Any, cast: Cast, task: Task
) -> None:
    Task.objects.filter(pk=task.pk).update(version=7)
    api_client.force_authenticate(cast.li)
    response = api_client.post(
        f"/api/v1/tasks/{task.pk}/updates/",
        {"note": "协调电梯厂家", "status": "in_progress", "version": 1},
        format="json",
    )
    assert response.status_code == 201


def test_an_overdue_task_keeps_its_red_mark_after_a_note(li_client: Client, task: Task) -> None:
    Task.objects.filter(pk=task.pk).update(due_on=timezone.localdate() - timedelta(days=3))
    response = li_client.post(
        f"/tasks/{task.pk}/updates/", {"note": "仍在协调", "status": "in_progress", "version": 1}, **HTMX
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert 'class="card task overdue"' in page and "逾期" in page


def test_task_cards_show_the_last_note_and_its_day(li_client: Client, task: Task, cast: Cast) -> None:
    TaskUpdate.objects.create(task=task, author=cast.li, note="完成选址", status="in_progress")
    today = timezone.localdate().isoformat()
    for url in ("/my/", "/my/updates/"):
        page = li_client.get(url).content.decode()
        assert "最近进展" in page and "完成选址" in page and today in page


# Safety checks and hazards ----------------------------------------------------------------------


def test_a_spaces_only_safety_check_finding_answers_400_with_a_message(li_client: Client, places: Places) -> None:
    check: Any = SafetyCheckFactory(elder=ElderFactory(name="李秀英", village=places.sifang, lives_alone=True))
    response = li_client.post(f"/welfare/safety-checks/{check.pk}/resolve/", {"finding": "   ", "version": 1}, **HTMX)
    assert response.status_code == 400
    assert "请" in response.content.decode() and "老人" in response.content.decode()
    check.refresh_from_db()
    assert check.resolved_at is None


def test_rectifying_a_hazard_someone_else_rectified_shows_it_and_says_so(
    li_client: Client, cast: Cast, places: Places
) -> None:
    hazard: Any = HazardFactory(area=places.sifang)
    hazard_rectify(hazard=hazard, rectified_on=hazard.found_on + timedelta(days=2), acting_user=cast.zhao, version=1)
    response = li_client.post(
        f"/governance/hazards/{hazard.pk}/rectify/",
        {"rectified_on": timezone.localdate().isoformat(), "version": 1},
        **HTMX,
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "已被他人修改" in page
    assert (hazard.found_on + timedelta(days=2)).isoformat() in page  # the row as it stands now
    assert _version_sent_back(page) == 2


# Zero reports -----------------------------------------------------------------------------------


def test_a_zero_report_with_incidents_needs_a_note(li_client: Client, places: Places) -> None:
    response = li_client.post(
        "/governance/zero-reports/submit/", {"village": places.sifang.pk, "incidents": 2, "note": ""}, **HTMX
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "有事件时请在备注中说明" in page and 'value="2"' in page
    assert not ZeroReport.objects.exists()


def test_a_zero_report_with_incidents_and_a_note_is_sent_from_my_updates(
    li_client: Client, cast: Cast, places: Places
) -> None:
    response = li_client.post(
        "/governance/zero-reports/submit/",
        {"village": places.sifang.pk, "incidents": 1, "note": "邻里噪音纠纷，已调解"},
        **HTMX,
    )
    assert response.status_code == 200 and "今日报告已报送" in response.content.decode()
    report = ZeroReport.objects.get()
    assert (report.incidents, report.note, report.reported_by) == (1, "邻里噪音纠纷，已调解", cast.li)


# Manual readings --------------------------------------------------------------------------------


def test_the_owner_enters_a_reading_from_my_updates(li_client: Client, indicator: Indicator, places: Places) -> None:
    page = li_client.get("/my/updates/").content.decode()
    assert "我的填报" in page and "新增市场主体" in page and "四方社区" in page
    today = timezone.localdate()
    response = li_client.post(
        "/my/readings/",
        {"indicator": indicator.pk, "area": places.sifang.pk, "on": today.isoformat(), "value": "12", "note": "新登记"},
        **HTMX,
    )
    assert response.status_code == 200 and "数值已保存" in response.content.decode()
    reading = ManualReading.objects.get()
    assert (reading.value, reading.area, reading.on, reading.note) == (Decimal(12), places.sifang, today, "新登记")
    assert "本月累计 12" in response.content.decode()


def test_a_reading_without_a_value_keeps_the_note_and_says_why(
    li_client: Client, indicator: Indicator, places: Places
) -> None:
    response = li_client.post(
        "/my/readings/",
        {"indicator": indicator.pk, "area": places.sifang.pk, "on": timezone.localdate().isoformat(), "note": "待核"},
        **HTMX,
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "较上次新增" in page and "待核" in page
    assert not ManualReading.objects.exists()


def test_a_reading_dated_tomorrow_is_refused_with_a_message(
    li_client: Client, indicator: Indicator, places: Places
) -> None:
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = li_client.post(
        "/my/readings/",
        {"indicator": indicator.pk, "area": places.sifang.pk, "on": tomorrow.isoformat(), "value": "3"},
        **HTMX,
    )
    assert response.status_code == 400 and "日期" in response.content.decode()
    assert not ManualReading.objects.exists()


def test_only_the_owner_enters_an_indicators_readings(
    client: Client, cast: Cast, indicator: Indicator, places: Places
) -> None:
    client.force_login(cast.wang)
    response = client.post(
        "/my/readings/",
        {"indicator": indicator.pk, "area": places.feifeng.pk, "on": timezone.localdate().isoformat(), "value": "1"},
    )
    assert response.status_code == 400  # not an indicator of hers: the form does not know it
    assert not ManualReading.objects.exists()
    assert "新增市场主体" not in client.get("/my/updates/").content.decode()


def test_a_reading_is_for_an_area_the_owner_serves(li_client: Client, indicator: Indicator, places: Places) -> None:
    response = li_client.post(
        "/my/readings/",
        {"indicator": indicator.pk, "area": places.feifeng.pk, "on": timezone.localdate().isoformat(), "value": "1"},
    )
    assert response.status_code == 400
    assert not ManualReading.objects.exists()


def test_my_updates_shows_the_months_total_and_last_reading(
    li_client: Client, cast: Cast, indicator: Indicator, places: Places
) -> None:
    today = timezone.localdate()
    ManualReadingFactory(indicator=indicator, area=places.sifang, on=today, value=5, entered_by=cast.li)
    page = li_client.get("/my/updates/").content.decode()
    assert f"上次填报 {today.isoformat()}" in page and "本月累计 5" in page


# The page ---------------------------------------------------------------------------------------


def test_my_updates_lists_everything_the_cadre_owes(
    li_client: Client, cast: Cast, task: Task, indicator: Indicator, places: Places
) -> None:
    HazardFactory(area=places.sifang, description="楼道堆放杂物")
    SafetyCheckFactory(elder=ElderFactory(name="李秀英", village=places.sifang, lives_alone=True))
    page = li_client.get("/my/updates/").content.decode()
    for what in ("老旧小区加装电梯", "新增市场主体", "今日零报告", "楼道堆放杂物", "全部保存"):
        assert what in page, what
    assert 'href="/my/updates/"' in li_client.get("/my/").content.decode()


def test_my_updates_costs_the_same_for_5_and_100_tasks_and_readings(
    li_client: Client, cast: Cast, places: Places
) -> None:
    def make(n: int) -> None:
        for i in range(n):
            TaskFactory(area=places.sifang, lead_leader=cast.zhao, responsible=cast.li)
            indicator: Any = IndicatorFactory(owner=cast.li)
            ManualReadingFactory(indicator=indicator, area=places.sifang, value=i, entered_by=cast.li)
            HazardFactory(area=places.sifang)

    make(5)
    small = count_queries(lambda: li_client.get("/my/updates/"))
    make(95)
    large = count_queries(lambda: li_client.get("/my/updates/"))
    assert small == large == MY_UPDATES_QUERIES, (small, large)
