"""Who may take which step on a case, and when; whom a case is shown to; who holds each rung;
how each person is told."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.conftest import Cast, Places, make_user
from tests.factories import TargetFactory
from tests.supervision.conftest import People, Robot, fresh
from xicheng import plugins
from xicheng.locking import Conflict
from xicheng.models import Task
from xicheng.roles import Role, role_permissions
from xicheng.supervision import services as s
from xicheng.supervision.models import Case, Channel, Delivery, Light, Notification, RobotGroup
from xicheng.supervision.notifications import channels_for, deliveries_requeue, notification_preference_set, notify

pytestmark = pytest.mark.django_db

TODAY = date.today()


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


def refused(code: str, write: Any) -> None:
    with pytest.raises(ValidationError) as raised:
        write()
    codes = {e.code for e in raised.value.error_list} if not hasattr(raised.value, "error_dict") else set()
    assert code in codes or code in str(raised.value), raised.value


# Who, and when ----------------------------------------------------------------------------------


def test_only_a_leader_opens_a_case(people: People, task: Task) -> None:
    refused("not_leader", lambda: open_case(people, task, acting_user=fresh(people.zhou), owner=fresh(people.li)))


def test_a_case_is_opened_only_on_a_record_the_leader_can_see_of_a_known_kind(people: People, task: Task) -> None:
    with pytest.raises(ValidationError, match="kind"):
        open_case(people, task, kind="governance.nothing")
    with pytest.raises(ValidationError, match="object_id"):
        open_case(people, task, object_id=task.pk + 1000)


def test_a_case_cannot_be_due_in_the_past_nor_given_to_its_issuer(people: People, task: Task) -> None:
    with pytest.raises(ValidationError, match="due_on"):
        open_case(people, task, due_on=TODAY - timedelta(days=1))
    with pytest.raises(ValidationError, match="owner"):
        open_case(people, task, owner=fresh(people.zhao))


def test_only_the_owner_acknowledges_replies_asks_for_time_and_reports(people: People, task: Task) -> None:
    case = open_case(people, task)
    wang, zhao = fresh(people.wang), fresh(people.zhao)
    for someone in (wang, zhao):
        refused("not_owner", lambda u=someone: s.case_acknowledge(case=case, version=case.version, acting_user=u))
        refused("not_owner", lambda u=someone: s.case_reply(case=case, text="好", acting_user=u))
        refused(
            "not_owner",
            lambda u=someone: s.case_report_done(case=case, text="完成", version=case.version, acting_user=u),
        )
    assert list(case.steps.values_list("kind", flat=True)) == ["opened"]


def test_only_the_issuer_decides_sends_back_and_accepts(people: People, task: Task) -> None:
    li = fresh(people.li)
    case = open_case(people, task)
    case = s.case_acknowledge(case=case, version=case.version, acting_user=li)
    case = s.case_request_extension(
        case=case, due_on=case.due_on + timedelta(days=3), reason="雨天", version=case.version, acting_user=li
    )
    case = s.case_report_done(case=case, text="完成", version=case.version, acting_user=li)
    for someone in (li, fresh(people.shu), fresh(people.zhou)):
        refused(
            "not_issuer",
            lambda u=someone: s.case_decide_extension(case=case, approve=True, version=case.version, acting_user=u),
        )
        refused("not_issuer", lambda u=someone: s.case_accept(case=case, version=case.version, acting_user=u))
        refused(
            "not_issuer",
            lambda u=someone: s.case_send_back(case=case, text="再改", version=case.version, acting_user=u),
        )
    case.refresh_from_db()
    assert case.status == Case.Status.REPORTED


def test_each_step_is_refused_in_the_wrong_state(people: People, task: Task) -> None:
    li, zhao = fresh(people.li), fresh(people.zhao)
    case = open_case(people, task)
    # Not yet acknowledged: no reply, no report, nothing to accept.
    refused("wrong_status", lambda: s.case_reply(case=case, text="进展", acting_user=li))
    refused("wrong_status", lambda: s.case_report_done(case=case, text="完成", version=case.version, acting_user=li))
    refused("wrong_status", lambda: s.case_accept(case=case, version=case.version, acting_user=zhao))
    case = s.case_acknowledge(case=case, version=case.version, acting_user=li)
    refused("wrong_status", lambda: s.case_acknowledge(case=case, version=case.version, acting_user=li))
    refused("wrong_status", lambda: s.case_send_back(case=case, text="再改", version=case.version, acting_user=zhao))
    refused(
        "no_request", lambda: s.case_decide_extension(case=case, approve=True, version=case.version, acting_user=zhao)
    )
    with pytest.raises(ValidationError, match="due_on"):
        s.case_request_extension(case=case, due_on=case.due_on, reason="再等等", version=case.version, acting_user=li)
    case = s.case_report_done(case=case, text="完成", version=case.version, acting_user=li)
    case = s.case_accept(case=case, version=case.version, acting_user=zhao)
    refused("wrong_status", lambda: s.case_send_back(case=case, text="再改", version=case.version, acting_user=zhao))
    refused("wrong_status", lambda: s.case_reply(case=case, text="进展", acting_user=li))


def test_a_step_taken_on_a_stale_case_is_a_conflict_and_writes_nothing(people: People, task: Task) -> None:
    case = open_case(people, task)
    with pytest.raises(Conflict):
        s.case_acknowledge(case=case, version=case.version + 1, acting_user=fresh(people.li))
    case.refresh_from_db()
    assert case.status == Case.Status.OPENED and case.steps.count() == 1


def test_a_refused_extension_keeps_the_due_date(people: People, task: Task) -> None:
    li, zhao = fresh(people.li), fresh(people.zhao)
    case = open_case(people, task)
    due = case.due_on
    case = s.case_acknowledge(case=case, version=case.version, acting_user=li)
    case = s.case_request_extension(
        case=case, due_on=due + timedelta(days=5), reason="材料未到", version=case.version, acting_user=li
    )
    refused(
        "pending",
        lambda: s.case_request_extension(
            case=case, due_on=due + timedelta(days=9), reason="再等", version=case.version, acting_user=li
        ),
    )
    case = s.case_decide_extension(case=case, approve=False, text="不同意", version=case.version, acting_user=zhao)
    assert case.due_on == due and case.extension_requested_to is None
    assert case.steps.last().kind == "extension_refused"  # type: ignore[union-attr]


# Scope --------------------------------------------------------------------------------------------


def test_a_cadre_sees_the_cases_of_her_areas_and_those_she_is_chased_about(
    people: People, task: Task, cast: Cast
) -> None:
    case = open_case(people, task)
    seen = lambda user: set(Case.objects.visible_to(fresh(user)).values_list("pk", flat=True))  # noqa: E731
    assert case.pk in seen(people.li)  # her case, in her village
    assert case.pk in seen(people.zhou)  # the first rung of its ladder
    assert case.pk in seen(people.zhao) and case.pk in seen(cast.admin)
    assert case.pk not in seen(people.wang)  # another village's cadre
    assert case.pk not in seen(cast.sysadmin) and case.pk not in seen(cast.auditor)


# The ladder's rungs -------------------------------------------------------------------------------


def test_the_first_rung_is_the_nearest_head_above_the_owner_unless_one_is_named(
    people: People, task: Task, places: Places
) -> None:
    # A division head of the whole subdistrict is further away than 周 of the zone.
    make_user("qian", Role.CADRE, "钱主任", [places.xicheng], position="division_head")
    assert open_case(people, task).head == people.zhou
    named = make_user("sun", Role.CADRE, "孙组长", [places.sifang], position="staff")
    case = open_case(people, task, head=named)
    assert (case.head, case.leader, case.secretary) == (named, people.zhao, people.shu)
    assert [rung for rung, _holder in case.escalation_chain] == [1, 2, 3]


def test_a_rung_no_one_else_holds_is_left_empty_and_the_ladder_passes_over_it(
    people: People, task: Task, settings: Any
) -> None:
    settings.SUPERVISION_SECRETARY_USERNAME = "zhao"  # the issuer is the secretary himself
    case = open_case(people, task, owner=fresh(people.zhou))  # a division head has no head above her
    assert (case.head, case.leader, case.secretary) == (None, people.zhao, None)
    settings.SUPERVISION_SECRETARY_USERNAME = ""
    assert open_case(people, task).secretary is None


def test_a_domain_kind_may_name_the_head_of_its_records(people: People, monkeypatch: pytest.MonkeyPatch) -> None:
    from django.apps import apps

    target = TargetFactory(area=people.li.cadre.areas.get())
    kind = plugins.Supervisable(
        "toy.target", "xicheng.Target", "Target", head="tests.supervision.test_services.wang_heads_it"
    )
    monkeypatch.setattr(apps.get_app_config("governance"), "supervisable", [kind])
    case = open_case(people, target, kind="toy.target", object_id=target.pk)  # type: ignore[arg-type]
    assert case.head == people.wang and case.area == target.area


def wang_heads_it(record: Any) -> User:
    return User.objects.get(username="wang")


# Lights --------------------------------------------------------------------------------------------


def test_the_light_is_the_same_read_from_a_row_or_from_the_query(people: People, task: Task) -> None:
    case = open_case(people, task, due_on=TODAY + timedelta(days=10))
    for day, light in (
        (TODAY, Light.ON_TIME),
        (TODAY + timedelta(days=8), Light.DUE_SOON),
        (TODAY + timedelta(days=11), Light.OVERDUE),
    ):
        assert case.light(day) == light
        assert Case.objects.with_light(day).get(pk=case.pk).light == light  # type: ignore[attr-defined]


# Notifications ------------------------------------------------------------------------------------


def test_a_case_s_own_notices_cannot_be_turned_off_but_how_they_come_can(people: People) -> None:
    li = fresh(people.li)
    li.email = "li@example.cn"
    li.save(update_fields=["email"])
    K = Notification.Kind
    assert channels_for(li, K.CASE_OPENED) == [Channel.IN_APP, Channel.EMAIL]  # no robot group, no SMS gateway
    with pytest.raises(ValidationError, match="enabled"):
        notification_preference_set(user=li, kind=K.CASE_ESCALATED, enabled=False, channels=[])
    notification_preference_set(user=li, kind=K.CASE_ESCALATED, enabled=True, channels=[])
    assert channels_for(li, K.CASE_ESCALATED) == [Channel.IN_APP]
    notification_preference_set(user=li, kind=K.CASE_UPDATE, enabled=False, channels=[])
    assert channels_for(li, K.CASE_UPDATE) == []
    with pytest.raises(ValidationError, match="channels"):
        notification_preference_set(user=li, kind=K.CASE_UPDATE, enabled=True, channels=["pigeon"])


def test_a_robot_reaches_only_the_members_of_an_active_group(people: People) -> None:
    li, wang = fresh(people.li), fresh(people.wang)
    group = RobotGroup.objects.create(
        name="四方群", kind=RobotGroup.Kind.WECOM, webhook_url="https://example.cn/x?key=k"
    )
    group.members.set([li])
    assert Channel.WECOM in channels_for(li, Notification.Kind.CASE_OPENED)
    assert Channel.WECOM not in channels_for(wang, Notification.Kind.CASE_OPENED)
    group.active = False
    group.save(update_fields=["active"])
    assert Channel.WECOM not in channels_for(li, Notification.Kind.CASE_OPENED)


def test_a_robot_group_refuses_an_address_that_is_not_http() -> None:
    group = RobotGroup(name="坏地址", kind=RobotGroup.Kind.DINGTALK, webhook_url="file:///etc/passwd")
    with pytest.raises(ValidationError, match="webhook_url"):
        group.full_clean()


# Roles and the schedule -----------------------------------------------------------------------------


def test_the_robots_and_the_delivery_log_are_the_system_admin_s_and_no_one_else_s(db: None) -> None:
    perms = role_permissions()
    robots = {("supervision", "view_robotgroup"), ("supervision", "change_robotgroup")}
    assert robots <= perms[Role.SYSTEM_ADMIN] and ("supervision", "view_delivery") in perms[Role.SYSTEM_ADMIN]
    assert ("supervision", "view_case") not in perms[Role.SYSTEM_ADMIN]
    for role in (Role.DATA_ADMIN, Role.LEADER, Role.CADRE, Role.API_CLIENT):
        assert not robots & perms[role], role
        assert ("supervision", "view_notification") not in perms[role]
    assert ("supervision", "view_case") in perms[Role.CADRE] and ("supervision", "change_case") in perms[Role.CADRE]
    assert ("supervision", "view_case") in perms[Role.DATA_ADMIN]


def test_the_ladder_runs_on_celery_beat() -> None:
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["supervision-escalate-due"]
    assert entry["task"] == "supervision.tasks.escalate_due"
    from xicheng.celery import app

    app.autodiscover_tasks(force=True)  # what the worker does as it starts: each app's tasks.py
    assert "supervision.tasks.escalate_due" in app.tasks and "supervision.tasks.deliver" in app.tasks


def test_the_history_of_cases_and_steps_is_part_of_the_append_only_audit_trail(db: None) -> None:
    from django.db import connection

    from xicheng.audit import audit_tables
    from xicheng.audit_trail import history_models

    tables = set(audit_tables(connection.introspection.table_names()))
    assert {
        "supervision_historicalcase",
        "supervision_historicalcasestep",
        "supervision_historicalrobotgroup",
    } <= tables
    assert {"supervision.case", "supervision.casestep"} <= set(history_models())


def test_a_delivery_the_broker_never_took_is_queued_again_by_the_sweep(people: People, robot: Robot) -> None:
    li = fresh(people.li)
    group = RobotGroup.objects.create(
        name="四方群", kind=RobotGroup.Kind.DINGTALK, webhook_url=robot.url, secret=robot.secret
    )
    group.members.set([li])
    now = timezone.now()
    # Written, but never handed to a worker (the broker was down after the commit).
    lost = notify(recipient=li, kind=Notification.Kind.CASE_OPENED, title="督办：楼道照明整改")
    fresh_one = notify(recipient=li, kind=Notification.Kind.CASE_OPENED, title="督办：外立面整治")
    assert lost is not None and fresh_one is not None
    Delivery.objects.filter(notification=lost).update(created_at=now - timedelta(minutes=20))

    queued = deliveries_requeue(now)
    assert queued == [Delivery.objects.get(notification=lost, channel=Channel.DINGTALK).pk]
    assert ["楼道照明整改" in post["body"]["text"]["content"] for post in robot.posts] == [True]
    assert Delivery.objects.get(notification=fresh_one, channel=Channel.DINGTALK).status == Delivery.Status.PENDING
    assert deliveries_requeue(now) == []  # sent: never again
