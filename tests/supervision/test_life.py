"""A case's whole life with the clock moved, and the robot that carries its escalations.

opened → reminded after the acknowledgement window → acknowledged → reply → extension asked and
granted → overdue → escalated to the unit head, then to the leader → reported done → sent back →
reported done → accepted. Every step is on the case and in the audit trail, every notification
went out exactly once over each of its channels, and the ladder run twice at each moment does
nothing the second time."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.conftest import Cast, login
from tests.supervision.conftest import Robot, fresh
from xicheng.models import Task
from xicheng.supervision import services as s
from xicheng.supervision.models import Case, CaseStep, Channel, Delivery, Light, Notification, RobotGroup

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
Step = CaseStep.Kind


def at(day: int, hour: int, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=SHANGHAI)


@pytest.fixture
def committed(django_capture_on_commit_callbacks: Any) -> Callable[[Callable[[], Any]], Any]:
    """Run a write as a request would: its transaction commits, so the deliveries queued after
    the commit go out (eagerly, as in development)."""

    def run(write: Callable[[], Any]) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return write()

    return run


@pytest.fixture
def clock() -> Iterator[Any]:
    with time_machine.travel(at(2, 9), tick=False) as traveller:
        yield traveller


def ladder_twice(committed: Callable[[Callable[[], Any]], Any]) -> list[CaseStep]:
    """The ladder as beat runs it, twice at the same moment: the second run takes nothing."""
    first = committed(s.cases_escalate_due)
    assert committed(s.cases_escalate_due) == []
    return list(first)


def test_a_case_lives_from_opening_to_acceptance_with_every_step_kept_and_told_once(
    clock: Any, committed: Callable[[Callable[[], Any]], Any], people: Any, task: Task, robot: Robot, cast: Cast
) -> None:
    li, zhao, zhou = fresh(people.li), fresh(people.zhao), fresh(people.zhou)
    for user, address in ((li, "li@example.cn"), (zhou, "zhou@example.cn")):
        user.email = address
        user.save(update_fields=["email"])
    group = RobotGroup.objects.create(
        name="西城督办群", kind=RobotGroup.Kind.DINGTALK, webhook_url=robot.url, secret=robot.secret
    )
    group.members.set([li, zhou, zhao])

    # 2 March, 09:00: 赵 opens the case, due on the 10th.
    case = committed(
        lambda: s.case_open(
            kind="xicheng.task",
            object_id=task.pk,
            title="老旧小区改造进度滞后",
            instruction="请于3月10日前完成外立面整治并反馈。",
            owner=li,
            due_on=date(2026, 3, 10),
            level=Case.Level.KEY,
            acting_user=zhao,
        )
    )
    assert (case.head, case.leader, case.secretary) == (zhou, zhao, people.shu)
    assert case.area == task.area and case.light() == Light.ON_TIME
    assert ladder_twice(committed) == []

    # 3 March, 10:00: past the 24 hours to acknowledge — one reminder (催办), only one.
    clock.move_to(at(3, 10))
    [reminder] = ladder_twice(committed)
    assert (reminder.kind, reminder.to_user, reminder.actor) == (Step.REMINDED, li, None)

    # 李 acknowledges, replies with a photo, asks for two more days; 赵 grants them.
    clock.move_to(at(3, 11))
    case = committed(lambda: s.case_acknowledge(case=case, version=case.version, acting_user=li))
    photo = SimpleUploadedFile("facade.jpg", b"\xff\xd8\xff photo", content_type="image/jpeg")
    reply = committed(lambda: s.case_reply(case=case, text="外立面已完成六成。", attachment=photo, acting_user=li))
    assert reply.attachment.name.endswith(".jpg")
    case = committed(
        lambda: s.case_request_extension(
            case=case, due_on=date(2026, 3, 12), reason="雨天停工两日。", version=case.version, acting_user=li
        )
    )
    case = committed(lambda: s.case_decide_extension(case=case, approve=True, version=case.version, acting_user=zhao))
    assert case.due_on == date(2026, 3, 12) and case.extension_requested_to is None
    assert ladder_twice(committed) == []  # acknowledged: no second reminder

    # Due the 12th: on the 13th at 01:00 it is overdue and climbs to the unit head (周)…
    clock.move_to(at(12, 23))
    assert ladder_twice(committed) == []
    clock.move_to(at(13, 1))
    [first] = ladder_twice(committed)
    assert (first.kind, first.rung, first.to_user) == (Step.ESCALATED, Case.Rung.HEAD, zhou)
    case.refresh_from_db()
    assert case.light() == Light.ESCALATED
    assert Case.objects.with_light().get(pk=case.pk).light == Light.ESCALATED  # type: ignore[attr-defined]
    # …and 48 hours after the due day ended, to the responsible leader (赵), not yet the secretary.
    clock.move_to(at(14, 23))
    assert ladder_twice(committed) == []
    clock.move_to(at(15, 1))
    [second] = ladder_twice(committed)
    assert (second.rung, second.to_user) == (Case.Rung.LEADER, zhao)

    # 李 reports it done; 赵 sends it back; 李 reports again; 赵 accepts — the only way it closes.
    clock.move_to(at(15, 10))
    case.refresh_from_db()
    case = committed(
        lambda: s.case_report_done(case=case, text="外立面整治完成。", version=case.version, acting_user=li)
    )
    assert ladder_twice(committed) == []  # a report waits on the issuer: the ladder stops
    case = committed(
        lambda: s.case_send_back(case=case, text="楼道照明未整改。", version=case.version, acting_user=zhao)
    )
    case = committed(
        lambda: s.case_report_done(case=case, text="楼道照明已整改。", version=case.version, acting_user=li)
    )
    case = committed(lambda: s.case_accept(case=case, text="同意办结。", version=case.version, acting_user=zhao))
    assert case.status == Case.Status.CLOSED and case.light() == Light.CLOSED
    clock.move_to(at(20, 9))
    assert ladder_twice(committed) == []  # closed: never to the secretary

    # Every step on the case, in order, by whom.
    steps = list(case.steps.order_by("at", "pk"))
    expected = [
        (Step.OPENED, zhao),
        (Step.REMINDED, None),
        (Step.ACKNOWLEDGED, li),
        (Step.REPLIED, li),
        (Step.EXTENSION_REQUESTED, li),
        (Step.EXTENSION_APPROVED, zhao),
        (Step.ESCALATED, None),
        (Step.ESCALATED, None),
        (Step.REPORTED, li),
        (Step.SENT_BACK, zhao),
        (Step.REPORTED, li),
        (Step.ACCEPTED, zhao),
    ]
    assert [(step.kind, step.actor) for step in steps] == expected

    # In the audit trail: each step's creation and each change of the case, with who made it.
    step_history = CaseStep.history.filter(case_id=case.pk).order_by("history_date", "history_id")  # type: ignore[attr-defined]
    assert [(h.kind, h.history_type, h.history_user) for h in step_history] == [(k, "+", who) for k, who in expected]
    case_history = case.history.order_by("history_date", "history_id")  # type: ignore[attr-defined]
    assert [(h.status, h.escalation, h.history_user) for h in case_history] == [
        ("opened", 0, zhao),  # opened
        ("opened", 0, None),  # reminded
        ("acknowledged", 0, li),
        ("acknowledged", 0, li),  # extension asked
        ("acknowledged", 0, zhao),  # granted
        ("acknowledged", 1, None),
        ("acknowledged", 2, None),
        ("reported", 2, li),
        ("acknowledged", 2, zhao),  # sent back
        ("reported", 2, li),
        ("closed", 2, zhao),
    ]
    auditor = Client()
    login(auditor, cast.auditor)
    page = auditor.get("/audit/", {"model": "supervision.casestep", "user": "李晓燕"}).content.decode()
    assert page.split("<tbody>")[1].count("<tr>") == 5  # her five steps, by her
    page = auditor.get("/audit/", {"model": "supervision.case", "object": case.pk}).content.decode()
    assert page.split("<tbody>")[1].count("<tr>") == len(case_history)  # every change of the case

    # Who was told what: each notification once, over each channel it had, each delivered once.
    told = Counter((n.recipient.username, n.kind) for n in Notification.objects.filter(case=case))
    K = Notification.Kind
    assert told == {
        ("li", K.CASE_OPENED): 1,
        ("li", K.CASE_REMINDER): 1,
        ("li", K.CASE_ESCALATED): 2,
        ("li", K.CASE_UPDATE): 3,  # extension granted, sent back, accepted
        ("zhou", K.CASE_ESCALATED): 1,
        ("zhao", K.CASE_ESCALATED): 1,
        ("zhao", K.CASE_UPDATE): 5,  # acknowledged, the reply, the extension asked, reported twice
    }
    deliveries = Delivery.objects.filter(notification__case=case)
    assert set(deliveries.values_list("status", flat=True)) == {Delivery.Status.SENT}
    assert all(d.attempts == 1 for d in deliveries)
    per_channel = Counter(deliveries.values_list("notification_id", "channel"))
    assert set(per_channel.values()) == {1}
    for notification in Notification.objects.filter(case=case):
        channels = set(notification.deliveries.values_list("channel", flat=True))
        if notification.kind == K.CASE_UPDATE:
            assert channels == {Channel.IN_APP}
        elif notification.recipient_id == zhao.pk:
            assert channels == {Channel.IN_APP, Channel.DINGTALK}  # no e-mail address
        else:
            assert channels == {Channel.IN_APP, Channel.DINGTALK, Channel.EMAIL}
    robot_count = deliveries.filter(channel=Channel.DINGTALK).count()
    assert len(robot.posts) == robot_count == 6 and robot.refused == 0
    assert len(mail.outbox) == deliveries.filter(channel=Channel.EMAIL).count() == 5


def test_an_escalation_reaches_a_signed_robot_and_with_the_robot_down_is_kept_in_app_and_retried(
    committed: Callable[[Callable[[], Any]], Any],
    people: Any,
    task: Task,
    robot: Robot,
    settings: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings.SUPERVISION_DELIVERY_ATTEMPTS = 3
    li, zhao, zhou = fresh(people.li), fresh(people.zhao), fresh(people.zhou)
    zhou.email = "zhou@example.cn"
    zhou.save(update_fields=["email"])
    group = RobotGroup.objects.create(
        name="童宅片区群", kind=RobotGroup.Kind.DINGTALK, webhook_url=robot.url, secret=robot.secret
    )
    group.members.set([zhou])

    def open_case(title: str, due_on: date) -> Case:
        return committed(
            lambda: s.case_open(
                kind="xicheng.task",
                object_id=task.pk,
                title=title,
                instruction="限期整改。",
                owner=li,
                due_on=due_on,
                acting_user=zhao,
            )
        )

    def escalation_to_zhou(case: Case) -> Notification:
        return Notification.objects.get(case=case, recipient=zhou, kind=Notification.Kind.CASE_ESCALATED)

    with time_machine.travel(at(2, 9), tick=False) as traveller:
        up = open_case("消防通道堵塞", date(2026, 3, 10))
        traveller.move_to(at(11, 1))
        committed(s.cases_escalate_due)
        [post] = robot.posts
        text = post["body"]["text"]["content"]
        assert post["body"]["msgtype"] == "text" and "周海峰" in text and "消防通道堵塞" in text
        assert escalation_to_zhou(up).deliveries.get(channel=Channel.DINGTALK).status == Delivery.Status.SENT

        robot.stop()  # the robot is down
        traveller.move_to(at(12, 9))
        down = open_case("燃气管道老化", date(2026, 3, 12))
        traveller.move_to(at(13, 1))
        caplog.set_level("WARNING", logger="xicheng.supervision.notifications")
        committed(s.cases_escalate_due)

    notification = escalation_to_zhou(down)  # in the in-app centre all the same
    assert notification.deliveries.get(channel=Channel.IN_APP).status == Delivery.Status.SENT
    failed = notification.deliveries.get(channel=Channel.DINGTALK)
    assert (failed.status, failed.attempts) == (Delivery.Status.FAILED, 3)
    assert failed.last_error.startswith("not reached") and "test-token" not in failed.last_error
    assert notification.deliveries.get(channel=Channel.EMAIL).status == Delivery.Status.SENT  # not held back
    logged = [r.getMessage() for r in caplog.records if "failed" in r.getMessage()]
    assert len(logged) == 3 and "attempt 3 of 3" in logged[-1]
    assert len(robot.posts) == 1
