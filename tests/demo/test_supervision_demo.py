"""The demo's month of 督办 (issue 14: "a believable month of cases … and the dashboard's 督办
section shows them"), on the demo seeded once for the package. Cases live on the real clock, so
the figures are read as of today."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from xicheng.demo import DemoContext
from xicheng.scope import area_of
from xicheng.supervision import demo as supervision_demo
from xicheng.supervision.kinds import alert_record, record_for, supervisable_kinds
from xicheng.supervision.models import Case, CaseStep, Channel, Delivery, Notification

from .conftest import TODAY

pytestmark = pytest.mark.django_db

Step = CaseStep.Kind


def _cases() -> list[Case]:
    return list(Case.objects.select_related("owner", "head", "leader").prefetch_related("steps").order_by("pk"))


def _kinds(case: Case) -> list[str]:
    return [step.kind for step in case.steps.all()]


def test_zhao_opened_a_month_of_cases_on_red_things_of_every_kind(demo: DemoContext) -> None:
    cases = _cases()
    now = timezone.now()
    assert 12 <= len(cases) <= 20
    assert {case.issuer.username for case in cases} == {"zhao"}
    assert all(now - timedelta(days=31) <= case.opened_at <= now for case in cases)
    assert {case.kind for case in cases} >= {
        "xicheng.task",
        "xicheng.target",
        "governance.hazard",
        "governance.dispute",
        "projects.household",
        "projects.milestone",
        "welfare.safety_check",
    }
    assert {"li", "wang"} <= {case.owner.username for case in cases}
    assert len({case.owner_id for case in cases}) >= 5
    # Each case's steps follow one another after its opening, never in the future, and its history
    # is dated as its steps are: the audit trail tells the month as it happened.
    for case in cases:
        moments = [step.at for step in case.steps.all()]
        assert moments == sorted(moments) and moments[0] == case.opened_at and moments[-1] <= now, case
        history = sorted(case.history.values_list("history_date", flat=True))
        assert history[0] == case.opened_at and history[-1] <= now, case
        assert set(history) <= set(moments), case


def test_the_month_has_late_acknowledgements_two_escalations_a_send_back_and_an_extension(demo: DemoContext) -> None:
    cases = _cases()
    late = [case for case in cases if case.acknowledged_at and case.acknowledged_at > case.ack_due_at]
    assert len(late) >= 3
    for case in late:
        kinds = _kinds(case)
        assert kinds.index(Step.REMINDED) < kinds.index(Step.ACKNOWLEDGED), case
    # One awaits its acknowledgement after the reminder; one was opened hours ago.
    waiting = [case for case in cases if case.status == Case.Status.OPENED]
    assert any(Step.REMINDED in _kinds(case) for case in waiting)
    assert any(case.ack_due_at > timezone.now() for case in waiting)

    escalated = sorted(
        (c for c in cases if c.status != Case.Status.CLOSED and c.escalation), key=lambda c: c.escalation
    )
    assert [case.escalation for case in escalated] == [Case.Rung.HEAD, Case.Rung.LEADER]
    to_head, to_leader = escalated
    # The first climbed to the household's squad head, the other on to the leader who issued it.
    assert to_head.kind == "projects.household" and to_head.head is not None
    household = record_for(supervisable_kinds()[to_head.kind], to_head.object_id, to_head.issuer)
    assert to_head.head == household.squad.head  # type: ignore[union-attr]
    ladder = [(s.rung, s.to_user) for s in to_leader.steps.all() if s.kind == Step.ESCALATED]
    assert ladder == [(Case.Rung.HEAD, to_leader.head), (Case.Rung.LEADER, to_leader.issuer)]

    (sent_back,) = [case for case in cases if Step.SENT_BACK in _kinds(case)]
    kinds = _kinds(sent_back)
    assert kinds.index(Step.SENT_BACK) < len(kinds) - 1 - kinds[::-1].index(Step.REPORTED)
    assert sent_back.status == Case.Status.REPORTED

    closed = [case for case in cases if case.status == Case.Status.CLOSED]
    assert len(closed) >= 4 and all(_kinds(case)[-1] == Step.ACCEPTED for case in closed)
    today = timezone.localdate()
    assert sum(case.light(today) == "due_soon" for case in cases) == 1
    (extended,) = [case for case in cases if Step.EXTENSION_APPROVED in _kinds(case)]
    approved = next(s for s in extended.steps.all() if s.kind == Step.EXTENSION_APPROVED)
    assert extended.due_on == approved.due_on >= today and extended.escalation == 0
    assert sum(case.light(today) == "on_time" and case.status != Case.Status.REPORTED for case in cases) >= 4


def test_the_cases_told_their_people_in_the_system_only(demo: DemoContext) -> None:
    notifications = Notification.objects.filter(case__isnull=False)
    assert notifications.count() >= Case.objects.count()
    assert set(Delivery.objects.values_list("channel", flat=True)) == {Channel.IN_APP}
    # Told when the step was taken; what was acted on since was read by then.
    for notification in notifications.select_related("case"):
        assert notification.case is not None and notification.created_at >= notification.case.opened_at
        assert notification.read_at is None or notification.read_at > notification.created_at
    assert notifications.filter(read_at__isnull=True).exists() and notifications.filter(read_at__isnull=False).exists()


def test_the_dashboard_section_shows_the_case_rows(as_user: Any) -> None:
    body = as_user("zhao").get("/api/v1/dashboard/").json()
    section = next(s for s in body["sections"] if s["key"] == "supervision")
    tables = {table["key"]: table["rows"] for table in section["tables"]}
    today = timezone.localdate()
    open_cases = [case for case in _cases() if case.status != Case.Status.CLOSED]
    by_level = {row[0]: row[1:] for row in tables["cases_by_level"]}
    for level, label in Case.Level.choices:
        mine = [case for case in open_cases if case.level == level]
        expected = [len(mine), sum(c.due_on < today for c in mine), sum(c.escalation > 0 for c in mine)]
        assert by_level[str(label)] == expected, label
    assert tables["cases_by_level"][-1][1:] == [len(open_cases), 2, 2]  # the total
    assert len(tables["cases_escalated"]) == 2
    # Every owner judged (closed, or open and overdue) is ranked by the share done on time.
    ranked = {row[0]: row[1:] for row in tables["cases_on_time"]}
    for owner in {case.owner for case in _cases()}:
        theirs = [case for case in _cases() if case.owner_id == owner.pk]
        closed = [c for c in theirs if c.status == Case.Status.CLOSED]
        on_time = sum(timezone.localdate(c.reported_at) <= c.due_on for c in closed if c.reported_at)
        overdue = sum(c.status != Case.Status.CLOSED and c.due_on < today for c in theirs)
        if closed or overdue:
            name = owner.cadre.name
            assert ranked[name][:3] == [on_time, len(closed) - on_time, overdue], name
    assert any(row[1] > 0 for row in ranked.values()) and any(row[2] > 0 for row in ranked.values())


def test_the_big_screen_shows_the_escalated_cases(as_user: Any) -> None:
    page = as_user("zhao").get("/dashboard/screen/").content.decode()
    escalated = Case.objects.exclude(status=Case.Status.CLOSED).filter(escalation__gt=0)
    assert page.count('data-kind="case_escalated"') == escalated.count() == 2
    for case in escalated:
        assert case.title in page and case.owner_unit in page
    assert "逾期" in page and "分管领导" in page  # days overdue, the rung reached


def test_every_red_item_a_case_can_be_opened_on_leads_a_leader_to_its_form(demo: DemoContext) -> None:
    from xicheng.overview import compute_overview

    zhao = demo.users["zhao"]
    client = Client()
    client.force_login(zhao)
    alerts = compute_overview(zhao, demo.h2, TODAY).alerts
    first: dict[str, tuple[str, int]] = {}
    for alert in alerts:
        named = alert_record(alert)
        if named is not None:
            first.setdefault(alert.kind, named)
    assert set(first) >= {
        "task_overdue",
        "target_red",
        "hazard_overdue",
        "dispute_long_open",
        "safety_check",
        "milestone_overdue",
        "project_issue_overdue",
        "household_stalled",
    }
    for alert_kind, (kind, object_id) in first.items():
        record = record_for(supervisable_kinds()[kind], object_id, zhao)
        assert record is not None and area_of(record) is not None, alert_kind
        response = client.get("/supervision/cases/new/", {"kind": kind, "id": object_id})
        assert response.status_code == 200 and response.context["record"] == record, alert_kind
    # A stage's item links to its project's page, and names the stage itself.
    stage = next(a for a in alerts if a.kind == "milestone_overdue")
    assert alert_record(stage) == ("projects.milestone", stage.record_id)


def test_the_month_is_seeded_once(demo: DemoContext) -> None:
    counts = (Case.objects.count(), CaseStep.objects.count(), Notification.objects.count())
    out = io.StringIO()
    supervision_demo.seed(DemoContext(today=TODAY, scale=1, rng=demo.rng, out=out, users=dict(demo.users)))
    assert (Case.objects.count(), CaseStep.objects.count(), Notification.objects.count()) == counts
    assert "exist already" in out.getvalue()
