"""The projects API: stages and funnels, masked owners, one step at a time, squads ranked."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.conftest import Cast, Places, login
from tests.projects.conftest import Site
from tests.projects.factories import (
    HouseholdFactory,
    InvestmentLeadFactory,
    MilestoneFactory,
    ProjectIssueFactory,
    SquadFactory,
)

pytestmark = pytest.mark.django_db


def test_a_project_carries_its_current_stage_and_funnel(
    api_client: Any, site: Site, places: Places, cast: Cast
) -> None:
    MilestoneFactory(
        project=site.project, order=1, name="前期摸底调查", actual_start=date(2026, 1, 1), actual_end=date(2026, 2, 1)
    )
    MilestoneFactory(project=site.project, order=2, name="评估入户", planned_end=date(2026, 3, 1))
    HouseholdFactory(project=site.project, area=places.yuehongwan, created_on=date(2026, 8, 1))  # after as_of
    api_client.force_login(cast.api)
    body = api_client.get(f"/api/v1/projects/{site.project.pk}/?as_of=2026-06-30").json()
    assert (body["current_stage"], body["stages_done"], body["stages_total"], body["stages_overdue"]) == (
        "评估入户",
        1,
        2,
        1,
    )
    assert body["funnel"] == {
        "total": 1,
        "evaluated": 1,
        "signed": 0,
        "vacated": 0,
        "demolished": 0,
        "signed_rate": 0.0,
    }
    assert api_client.get("/api/v1/projects/").json()["results"][0]["funnel"]["total"] == 2


def test_households_come_with_masked_owner_data(api_client: Any, site: Site, cast: Cast) -> None:
    api_client.force_login(cast.li)
    body = api_client.get(f"/api/v1/households/{site.household.pk}/").json()
    assert (body["owner_name"], body["owner_phone"]) == ("应*华", "138****5678")
    login(api_client, cast.admin)  # holds the personal-data right
    assert api_client.get(f"/api/v1/households/{site.household.pk}/").json()["owner_phone"] == "13812345678"


def test_the_api_advances_one_step_and_answers_409_to_a_stale_version(api_client: Any, site: Site, cast: Cast) -> None:
    api_client.force_login(cast.wang)
    url = f"/api/v1/households/{site.household.pk}/advance/"
    response = api_client.post(url, {"version": 1, "on": "2026-05-02"}, format="json")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["signed_on"]) == ("signed", "2026-05-02")
    stale = api_client.post(url, {"version": 1}, format="json")
    assert stale.status_code == 409
    assert "该征迁户已被他人修改" in str(stale.json())


def test_the_api_refuses_a_step_dated_before_the_previous(api_client: Any, site: Site, cast: Cast) -> None:
    api_client.force_login(cast.wang)
    response = api_client.post(
        f"/api/v1/households/{site.household.pk}/advance/", {"version": 1, "on": "2026-04-01"}, format="json"
    )
    assert response.status_code == 400


def test_who_may_advance_through_the_api(api_client: Any, site: Site, cast: Cast) -> None:
    url = f"/api/v1/households/{site.household.pk}/advance/"
    api_client.force_login(site.qian)  # a leader outside the squad and its areas
    assert api_client.post(url, {"version": 1}, format="json").status_code == 403
    api_client.force_login(site.zhou)  # a cadre of another subdistrict
    assert api_client.post(url, {"version": 1}, format="json").status_code == 404
    api_client.force_login(cast.api)
    assert api_client.post(url, {"version": 1}, format="json").status_code == 403


def test_squads_are_ranked_by_signed_rate_then_signed_count(
    api_client: Any, site: Site, places: Places, cast: Cast
) -> None:
    second: Any = SquadFactory(
        project=site.project, name="第二攻坚小组", leader=cast.zhao, head=site.head, members=[cast.li]
    )
    for _ in range(2):
        HouseholdFactory(
            project=site.project,
            squad=second,
            area=places.yuehongwan,
            status="signed",
            evaluated_on=date(2026, 4, 1),
            signed_on=date(2026, 5, 1),
        )
    api_client.force_login(cast.zhao)
    rows = api_client.get(f"/api/v1/squads/?project={site.project.pk}").json()["results"]
    ranked = sorted(rows, key=lambda r: r["rank"])
    assert [(r["name"], r["funnel"]["signed_rate"]) for r in ranked] == [("第二攻坚小组", 100.0), ("第一攻坚小组", 0.0)]
    assert ranked[1]["member_names"] == ["王志强"]


def test_issues_change_status_through_the_api(api_client: Any, site: Site, cast: Cast) -> None:
    issue: Any = ProjectIssueFactory(project=site.project, owner=site.head)
    api_client.force_login(site.head)
    response = api_client.post(
        f"/api/v1/project-issues/{issue.pk}/status/",
        {"status": "resolved", "resolution": "已办结", "version": 1},
        format="json",
    )
    assert response.status_code == 200 and response.json()["status"] == "resolved"


def test_investment_leads_are_listed_by_industry(api_client: Any, places: Places, cast: Cast) -> None:
    InvestmentLeadFactory(area=places.sifang, owner=cast.li, industry="new_energy", company="晶科储能")
    InvestmentLeadFactory(area=places.sifang, owner=cast.li, industry="hardware", company="恒信五金")
    api_client.force_login(cast.zhao)
    rows = api_client.get("/api/v1/investment-leads/?industry=new_energy").json()["results"]
    assert [r["company"] for r in rows] == ["晶科储能"]


def test_unmasked_owner_data_over_the_api_is_logged(api_client: Any, site: Site, cast: Cast) -> None:
    from xicheng.models import AuditEvent

    api_client.force_login(cast.li)
    api_client.get("/api/v1/households/")
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.VIEW_PERSONAL).exists()
    login(api_client, cast.admin)
    api_client.get("/api/v1/households/")
    assert AuditEvent.objects.filter(action=AuditEvent.Action.VIEW_PERSONAL, user=cast.admin).count() == 1
