"""Reminders for everything that has a date, each person's preferences, and the daily digest, with
the clock moved: each source fires for its case and not for what is done, closed or elsewhere;
once a day whatever the runs; the zero report not before 10:00; a kind turned off sends nothing;
a broken source stops no other; the preferences page; the digest.

The cast (tests/conftest.py): 李 a cadre of 四方社区, 王 of 飞凤社区, 赵 a leader. Today is Monday
2 March 2026 in Shanghai."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client

from tests.conftest import Cast, Places, count_queries, login
from tests.factories import TaskFactory
from tests.governance.factories import HazardFactory, ZeroReportFactory
from tests.projects.factories import MilestoneFactory, ProjectFactory, SquadFactory
from tests.welfare.factories import SafetyCheckFactory, World
from xicheng.models import Task
from xicheng.plugins import Reminded, Reminder
from xicheng.supervision import reminders as r
from xicheng.supervision.models import Notification, NotificationPreference
from xicheng.supervision.notifications import notification_preference_set, notify

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 3, 2)


def at(hour: int, minute: int = 0, day: int = 2) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def committed(django_capture_on_commit_callbacks: Any) -> Callable[[Callable[[], Any]], Any]:
    """Run as the worker does: each reminder's transaction commits and its deliveries go out."""

    def run(job: Callable[[], Any]) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return job()

    return run


@pytest.fixture
def clock() -> Iterator[Any]:
    with time_machine.travel(at(9), tick=False) as traveller:
        yield traveller


def told(user: User, kind: str) -> list[str]:
    return list(Notification.objects.filter(recipient=user, kind=kind).order_by("pk").values_list("title", flat=True))


def send_twice(committed: Callable[[Callable[[], Any]], Any]) -> int:
    """The beat's run, twice at the same moment: the second tells no one."""
    first = committed(r.reminders_send)
    assert committed(r.reminders_send) == 0
    return int(first)


# The sources ----------------------------------------------------------------------------------


def test_a_task_s_cadre_hears_three_days_ahead_on_the_day_and_while_overdue(
    clock: Any, committed: Any, places: Places, cast: Cast
) -> None:
    task = {"area": places.sifang, "lead_leader": cast.zhao, "responsible": cast.li}
    TaskFactory(title="老旧小区外立面", due_on=date(2026, 3, 5), **task)
    TaskFactory(title="垃圾分类督查", due_on=TODAY, **task)
    TaskFactory(title="消防通道清理", due_on=date(2026, 2, 27), **task)
    TaskFactory(title="已办结的任务", due_on=date(2026, 2, 20), status=Task.Status.DONE, **task)
    TaskFactory(title="下周的任务", due_on=date(2026, 3, 9), **task)
    TaskFactory(title="飞凤的任务", due_on=TODAY, area=places.feifeng, lead_leader=cast.zhao, responsible=cast.wang)

    clock.move_to(at(7, 59))
    assert committed(r.reminders_send) == 0  # nobody is woken before REMINDERS_FROM
    clock.move_to(at(9))
    assert send_twice(committed) == 4
    assert told(cast.li, "xicheng.task_due_soon") == ["任务3天后到期：老旧小区外立面"]
    assert told(cast.li, "xicheng.task_due_today") == ["任务今天到期：垃圾分类督查"]
    assert told(cast.li, "xicheng.task_overdue") == ["任务已逾期3天：消防通道清理"]
    assert told(cast.wang, "xicheng.task_due_today") == ["任务今天到期：飞凤的任务"]
    overdue = Notification.objects.get(recipient=cast.li, kind="xicheng.task_overdue")
    assert overdue.link.startswith("/tasks/") and overdue.key.endswith("@2026-03-02")

    # The next day the overdue task is told again (once), the one due today is now overdue.
    clock.move_to(at(9, day=3))
    assert send_twice(committed) == 3
    assert len(told(cast.li, "xicheng.task_overdue")) == 3


def test_a_village_s_missing_zero_report_is_chased_from_ten_o_clock_only_by_its_own_cadres(
    clock: Any, committed: Any, places: Places, cast: Cast
) -> None:
    ZeroReportFactory(village=places.feifeng, day=TODAY)  # 飞凤 has reported, 四方 has not
    clock.move_to(at(9, 59))
    send_twice(committed)
    assert told(cast.li, "governance.zero_report_missing") == []
    clock.move_to(at(10, 15))
    send_twice(committed)
    assert told(cast.li, "governance.zero_report_missing") == ["今日零报告未报：四方社区"]
    assert told(cast.wang, "governance.zero_report_missing") == []
    assert told(cast.zhao, "governance.zero_report_missing") == []  # a leader sends no report


def test_a_hazard_past_its_deadline_is_told_to_its_village_s_cadres_until_rectified(
    clock: Any, committed: Any, places: Places, cast: Cast
) -> None:
    late = {"found_on": date(2026, 2, 10), "deadline": date(2026, 2, 28)}
    HazardFactory(area=places.sifang_grid, description="楼道堆放杂物", **late)
    HazardFactory(area=places.sifang_grid, description="已整改", rectified_on=date(2026, 2, 27), **late)
    HazardFactory(area=places.sifang_grid, description="未到期", found_on=date(2026, 2, 10), deadline=TODAY)
    HazardFactory(area=places.feifeng_grid, description="飞凤的隐患", **late)
    send_twice(committed)
    assert told(cast.li, "governance.hazard_overdue") == ["隐患逾期未整改：消防 · 楼道堆放杂物"]
    assert told(cast.wang, "governance.hazard_overdue") == ["隐患逾期未整改：消防 · 飞凤的隐患"]


def test_a_lone_elder_not_reached_is_chased_after_the_meal_cut_off_with_the_name_masked(
    clock: Any, committed: Any, places: Places, cast: Cast
) -> None:
    world = World(places)  # the centre in 悦虹湾 (四方) serves 四方 and 飞凤
    SafetyCheckFactory(elder=world.alone, day=TODAY)
    SafetyCheckFactory(elder=world.feifeng_elders[0], day=TODAY, resolved_at=at(11))  # reached
    clock.move_to(at(11, 15))
    send_twice(committed)
    assert told(cast.li, "welfare.elder_not_reached") == []  # before the cut-off (11:30)
    clock.move_to(at(11, 45))
    send_twice(committed)
    assert told(cast.li, "welfare.elder_not_reached") == ["独居老人未联系上：李*英（四方社区）"]
    assert told(cast.wang, "welfare.elder_not_reached") == []


def test_a_slipping_stage_is_told_to_the_lead_leader_and_the_squad_heads_of_running_projects(
    clock: Any, committed: Any, places: Places, cast: Cast
) -> None:
    project = ProjectFactory(name="周塘区块旧城区改建", area=places.sifang, lead_leader=cast.zhao)
    SquadFactory(project=project, leader=cast.zhao, head=cast.li, members=[cast.li])
    dates = {"planned_start": date(2026, 1, 1), "planned_end": date(2026, 2, 28)}
    MilestoneFactory(project=project, name="签约", actual_start=date(2026, 1, 5), **dates)
    MilestoneFactory(project=project, name="摸底", actual_start=date(2026, 1, 2), actual_end=date(2026, 2, 1), **dates)
    MilestoneFactory(project=project, name="腾空", planned_start=date(2026, 2, 20), planned_end=date(2026, 4, 30))
    MilestoneFactory(project=project, name="开工", planned_start=date(2026, 5, 1), planned_end=date(2026, 6, 30))
    finished = ProjectFactory(name="已竣工项目", area=places.feifeng, lead_leader=cast.zhao, status="completed")
    MilestoneFactory(project=finished, name="竣工", **dates)
    send_twice(committed)
    expected = ["节点逾期：周塘区块旧城区改建 · 签约", "节点未按时启动：周塘区块旧城区改建 · 腾空"]
    assert told(cast.zhao, "projects.milestone_slipping") == expected
    assert told(cast.li, "projects.milestone_slipping") == expected
    assert told(cast.wang, "projects.milestone_slipping") == []


def test_a_kind_turned_off_sends_nothing(clock: Any, committed: Any, places: Places, cast: Cast) -> None:
    TaskFactory(area=places.sifang, lead_leader=cast.zhao, responsible=cast.li, due_on=TODAY)
    notification_preference_set(user=cast.li, kind="xicheng.task_due_today", enabled=False, channels=[])
    assert committed(r.reminders_send) == 0
    assert told(cast.li, "xicheng.task_due_today") == []


def broken_source(now: datetime) -> Iterator[Reminded]:
    raise RuntimeError("the source's table is gone")


def test_a_broken_source_is_logged_and_stops_no_other(
    clock: Any, committed: Any, places: Places, cast: Cast, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    TaskFactory(area=places.sifang, lead_leader=cast.zhao, responsible=cast.li, due_on=TODAY)
    broken = Reminder("tests.broken", "broken", "tests.supervision.test_reminders.broken_source")
    # The broken source runs first, before the kernel's and the domains'.
    kinds = {"tests.broken": broken, **r.reminder_kinds()}
    monkeypatch.setattr(r, "reminder_kinds", lambda: kinds)
    with caplog.at_level(logging.ERROR, logger="xicheng.supervision.reminders"):
        assert committed(r.reminders_send) == 1
    assert "The reminder source tests.broken failed" in caplog.text
    assert told(cast.li, "xicheng.task_due_today") != []


# The preferences page ---------------------------------------------------------------------------


def test_the_preferences_page_saves_one_s_choices_kind_by_kind(client: Client, cast: Cast) -> None:
    login(client, cast.li)
    page = client.get("/notifications/preferences/").content.decode()
    for label in ("交给我的督办单", "我负责的任务今天到期", "隐患逾期未整改", "每日未读消息摘要"):
        assert label in page
    assert 'href="/notifications/preferences/"' in client.get("/notifications/").content.decode()

    # Everything unticked but the overdue tasks by e-mail: a case given to her stays wanted.
    answer = client.post(
        "/notifications/preferences/",
        {"xicheng.task_overdue-wanted": "on", "xicheng.task_overdue-channels": ["email"]},
    )
    assert answer.status_code == 302
    mine = {p.kind: (p.enabled, p.channels) for p in NotificationPreference.objects.filter(user=cast.li)}
    assert mine["xicheng.task_overdue"] == (True, ["email"])
    assert mine["governance.hazard_overdue"] == (False, [])
    assert mine["case_opened"] == (True, [])
    assert not NotificationPreference.objects.exclude(user=cast.li).exists()  # 王's are untouched
    assert "消息设置已保存" in client.get("/notifications/preferences/").content.decode()


def test_the_preferences_page_refuses_an_unknown_channel_in_chinese_and_saves_nothing(
    client: Client, cast: Cast
) -> None:
    login(client, cast.li)
    answer = client.post(
        "/notifications/preferences/",
        {"xicheng.task_overdue-wanted": "on", "xicheng.task_overdue-channels": ["pigeon"]},
    )
    assert answer.status_code == 400
    page = answer.content.decode()
    assert 'role="alert"' in page and "我负责的任务已逾期：" in page and "pigeon" in page
    assert "有效" in page  # Django's own message, in Chinese
    assert not NotificationPreference.objects.exists()


def test_the_preferences_page_costs_the_same_whatever_one_has_chosen(client: Client, cast: Cast) -> None:
    login(client, cast.li)
    url = "/notifications/preferences/"
    client.get(url)  # the session warmed
    none_chosen = count_queries(lambda: client.get(url))
    for kind, _label in Notification._meta.get_field("kind").choices:
        notification_preference_set(user=cast.li, kind=kind, enabled=True, channels=["email", "sms"])
    all_chosen = count_queries(lambda: client.get(url))
    assert none_chosen == all_chosen == 8


# The daily digest -------------------------------------------------------------------------------


def test_the_daily_digest_counts_the_unread_by_kind_once_a_day_for_those_who_want_it(
    clock: Any, committed: Any, places: Places, cast: Cast
) -> None:
    li, wang = cast.li, cast.wang
    for user in (li, wang):
        user.email = f"{user.username}@example.cn"
        user.save(update_fields=["email"])
    for title in ("任务今天到期：垃圾分类督查", "任务今天到期：消防通道清理"):
        notify(recipient=li, kind="xicheng.task_due_today", title=title, key=title)
    notify(recipient=li, kind="governance.hazard_overdue", title="隐患逾期未整改：消防 · 楼道", key="h")
    read = notify(recipient=li, kind="governance.hazard_overdue", title="已读的", key="read")
    assert read is not None
    Notification.objects.filter(pk=read.pk).update(read_at=at(8))
    notify(recipient=wang, kind="xicheng.task_due_today", title="飞凤的任务", key="w")
    notification_preference_set(user=wang, kind="digest", enabled=False, channels=["email"])
    mail.outbox.clear()

    assert committed(r.digests_send) == 1
    assert committed(r.digests_send) == 0  # once a day
    digest = Notification.objects.get(kind="digest")
    assert digest.recipient == li and digest.title == "每日摘要：3 条未读消息"
    assert digest.read_at is not None  # in the centre for reference, not raising the unread count
    assert "我负责的任务今天到期：2 条" in digest.body and "我所在区域的隐患逾期未整改：1 条" in digest.body
    assert "已读的" not in digest.body and "消防通道清理" in digest.body
    [sent] = mail.outbox
    assert sent.to == ["li@example.cn"] and "每日摘要" in sent.subject


def test_every_kind_of_reminder_names_a_source_that_exists_and_is_a_notification_kind() -> None:
    from django.utils.module_loading import import_string

    kinds = dict(Notification._meta.get_field("kind").choices)
    for kind, reminder in r.reminder_kinds().items():
        assert callable(import_string(reminder.source)), kind
        assert kind in kinds and str(kinds[kind]) != kind
