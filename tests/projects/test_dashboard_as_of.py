"""As of means as of: a past day is read from the history the system keeps (xicheng.asof), so the
dashboard and the red-light list for 30 June are the same whenever they are asked."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from projects.models import Household, ProjectIssue
from tests.conftest import Cast, Places
from tests.factories import IndicatorFactory, ManualReadingFactory, TargetFactory, TaskFactory
from tests.projects.conftest import Site
from tests.projects.factories import HouseholdFactory, ProjectIssueFactory
from xicheng.models import Indicator, Task

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
H1 = "start=2026-01-01&end=2026-06-30&as_of=2026-06-30"


def _at(*when: int) -> Any:
    """Write history at a moment of 2026 (Shanghai time), as the people did then."""
    return time_machine.travel(datetime(2026, *when, tzinfo=SHANGHAI), tick=False)


@pytest.fixture
def first_half(site: Site, cast: Cast, places: Places) -> dict[str, Any]:
    """What stood on 30 June, entered as it happened in May and June."""
    made: dict[str, Any] = {}
    with _at(5, 2, 9):
        made["task"] = TaskFactory(
            title="六月中旬前完成入户摸底",
            area=places.sifang,
            lead_leader=cast.zhao,
            responsible=cast.li,
            due_on=date(2026, 6, 15),
            created_on=date(2026, 5, 2),
        )
        made["household"] = HouseholdFactory(
            project=site.project, squad=site.squad, area=places.yuehongwan, address="周塘村88号"
        )
        made["issue"] = ProjectIssueFactory(
            project=site.project, owner=site.head, title="转贷难", due_on=date(2026, 6, 20), created_on=date(2026, 5, 2)
        )
        manual = IndicatorFactory(name="新增市场主体", headline=True)
        made["target"] = TargetFactory(
            indicator=manual,
            area=places.xicheng,
            value=100,
            period_start=date(2026, 1, 1),
            period_end=date(2026, 6, 30),
        )
        ManualReadingFactory(indicator=manual, area=places.sifang, on=date(2026, 5, 20), value=45)
        for metric in ("projects.issues_resolved", "projects.households_evaluated"):
            TargetFactory(
                indicator=IndicatorFactory(name=metric, source=Indicator.Source.METRIC, metric=metric, headline=True),
                area=places.xicheng,
                value=4,
                period_start=date(2026, 1, 1),
                period_end=date(2026, 6, 30),
            )
    with _at(6, 10, 15):
        issue = made["issue"]
        issue.status, issue.resolved_on, issue.resolution = ProjectIssue.Status.RESOLVED, date(2026, 6, 10), "已办结"
        issue.save()
    return made


def _later_changes(made: dict[str, Any], site: Site) -> None:
    """In November: the task is finished, the issue reopened, the household moved a step (dated in
    June, as a late entry may be) and to another squad, and the target raised."""
    with _at(11, 20, 10):
        task = made["task"]
        task.status = Task.Status.DONE
        task.save()
        issue = made["issue"]
        issue.status, issue.resolved_on, issue.resolution = ProjectIssue.Status.ASKING, None, ""
        issue.save()
        household = made["household"]
        household.status = Household.Status.EVALUATED
        household.evaluated_on = household.last_step_on = date(2026, 6, 20)
        household.squad = None
        household.save()
        target = made["target"]
        target.value = 60
        target.save()


def test_the_first_half_as_of_30_june_is_the_same_before_and_after_later_changes(
    client: Client, cast: Cast, site: Site, first_half: dict[str, Any]
) -> None:
    client.force_login(cast.zhao)
    before = client.get(f"/api/v1/dashboard/?{H1}").json()
    page_before = client.get(f"/dashboard/?{H1}").content.decode()

    _later_changes(first_half, site)

    after = client.get(f"/api/v1/dashboard/?{H1}").json()
    assert after == before
    page_after = client.get(f"/dashboard/?{H1}").content.decode()
    assert _without_tokens(page_after) == _without_tokens(page_before)

    # And what it shows is what stood then.
    alerts = {(a["kind"], a["title"]) for a in after["alerts"]}
    assert ("task_overdue", "六月中旬前完成入户摸底") in alerts
    assert not any(kind == "project_issue_overdue" and "转贷难" in title for kind, title in alerts)
    assert any(kind == "household_stalled" and "周塘村88号" in title for kind, title in alerts)
    figures = {t["indicator"]: (t["target"], t["actual"]) for t in after["targets"]}
    assert figures["新增市场主体"] == (100, 45)
    assert figures["projects.issues_resolved"] == (4, 1)
    assert figures["projects.households_evaluated"] == (4, 1)  # the fixture's household, evaluated 10 April
    ranking = next(s for s in after["sections"] if s["key"] == "squad_ranking")["tables"][0]["rows"]
    assert ranking[0][5:7] == [2, 1]  # two households in the squad on 30 June, one of them evaluated


def _without_tokens(page: str) -> str:
    """The page without its CSRF tokens (64 characters, new for each response)."""
    return re.sub(r"\b[A-Za-z0-9]{64}\b", "", page)


def test_today_shows_the_changes(client: Client, cast: Cast, site: Site, first_half: dict[str, Any]) -> None:
    _later_changes(first_half, site)
    client.force_login(cast.zhao)
    today = client.get("/api/v1/dashboard/?start=2026-01-01&end=2026-06-30").json()
    kinds = {(a["kind"], a["title"]) for a in today["alerts"]}
    assert ("task_overdue", "六月中旬前完成入户摸底") not in kinds
    assert any(kind == "project_issue_overdue" and "转贷难" in title for kind, title in kinds)
    figures = {t["indicator"]: (t["target"], t["actual"]) for t in today["targets"]}
    assert figures["新增市场主体"] == (60, 45)
    assert figures["projects.issues_resolved"] == (4, 0)


def test_a_task_due_15_june_and_finished_in_november_is_on_the_30_june_red_list(
    client: Client, cast: Cast, places: Places
) -> None:
    with _at(6, 1, 9):
        task = TaskFactory(
            title="六月任务", area=places.sifang, lead_leader=cast.zhao, responsible=cast.li, due_on=date(2026, 6, 15)
        )
    with _at(11, 10, 16):
        task.status = Task.Status.DONE
        task.save()
    client.force_login(cast.zhao)
    alerts = client.get(f"/api/v1/dashboard/?{H1}").json()["alerts"]
    assert {"kind": "task_overdue", "title": "六月任务", "due": "2026-06-15"}.items() <= next(
        a for a in alerts if a["title"] == "六月任务"
    ).items()
    # As of a day in November, after it was finished, it is not.
    later = client.get("/api/v1/dashboard/?start=2026-07-01&end=2026-12-31&as_of=2026-11-15").json()["alerts"]
    assert "六月任务" not in {a["title"] for a in later}
