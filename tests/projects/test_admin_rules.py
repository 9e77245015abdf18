"""The admin obeys the services: steps read-only and taken by an action, a stale form refused, a
squad of another project refused, a stage completed through milestone_complete (also in the API)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from projects.models import Household, InvestmentLead, Milestone
from tests.conftest import Cast, login
from tests.projects.conftest import Site
from tests.projects.factories import InvestmentLeadFactory, MilestoneFactory, ProjectFactory, SquadFactory
from xicheng import clock

pytestmark = pytest.mark.django_db


def _household_form(household: Household, **changes: Any) -> dict[str, Any]:
    data = {
        "project": household.project_id,
        "squad": household.squad_id or "",
        "area": household.area_id,
        "address": household.address,
        "owner_name": household.owner_name,
        "owner_phone": household.owner_phone,
        "floor_area": str(household.floor_area),
        "problem_note": household.problem_note,
        "created_on": household.created_on.isoformat(),
        "version": household.version,
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_the_admin_cannot_move_a_household_two_steps(client: Client, site: Site, cast: Cast) -> None:
    household = site.household  # 已评估
    login(client, cast.admin)
    page = client.get(f"/admin/projects/household/{household.pk}/change/").content.decode()
    assert 'name="status"' not in page and 'name="signed_on"' not in page and 'name="vacated_on"' not in page
    # Posting the steps anyway changes nothing: they are not fields of the form.
    client.post(
        f"/admin/projects/household/{household.pk}/change/",
        _household_form(household, status="vacated", signed_on="2026-05-01", vacated_on="2026-05-02"),
    )
    household.refresh_from_db()
    assert (household.status, household.signed_on, household.vacated_on) == ("evaluated", None, None)
    # The action takes exactly one step, today, through household_advance.
    response = client.post(
        "/admin/projects/household/",
        {"action": "advance_household", "_selected_action": [household.pk]},
        follow=True,
    )
    assert "1 户已推进一步" in response.content.decode()
    household.refresh_from_db()
    assert (household.status, household.signed_on, household.vacated_on) == ("signed", clock.today(), None)
    assert household.version == 3  # the form's save, then the step
    assert household.history.latest().history_user == cast.admin


def test_a_household_saved_in_the_admin_bumps_its_version_with_history(client: Client, site: Site, cast: Cast) -> None:
    login(client, cast.admin)
    response = client.post(
        f"/admin/projects/household/{site.household.pk}/change/", _household_form(site.household, address="周塘村88号")
    )
    assert response.status_code == 302
    site.household.refresh_from_db()
    assert (site.household.address, site.household.version) == ("周塘村88号", 2)
    assert site.household.history.latest().history_user == cast.admin


def test_a_stale_admin_form_is_refused_in_chinese_and_keeps_what_was_typed(
    client: Client, site: Site, cast: Cast
) -> None:
    Household.objects.filter(pk=site.household.pk).update(version=4)  # changed by a cadre meanwhile
    login(client, cast.admin)
    response = client.post(
        f"/admin/projects/household/{site.household.pk}/change/",
        _household_form(site.household, address="周塘村99号", version=1),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "已被他人修改" in page and "周塘村99号" in page
    site.household.refresh_from_db()
    assert site.household.address != "周塘村99号"


def test_the_admin_refuses_a_squad_of_another_project(client: Client, site: Site, cast: Cast) -> None:
    elsewhere: Any = ProjectFactory(area=site.project.area, lead_leader=cast.zhao)
    foreign: Any = SquadFactory(project=elsewhere, leader=cast.zhao, head=site.head, members=[cast.li])
    login(client, cast.admin)
    response = client.post(
        f"/admin/projects/household/{site.household.pk}/change/", _household_form(site.household, squad=foreign.pk)
    )
    assert response.status_code == 200 and "该攻坚小组属于其他项目" in response.content.decode()
    site.household.refresh_from_db()
    assert site.household.squad == site.squad


def test_the_admin_completes_a_stage_through_the_service(client: Client, site: Site, cast: Cast) -> None:
    stage: Any = MilestoneFactory(project=site.project, name="评估入户", actual_start=date(2026, 3, 1))
    login(client, cast.admin)
    page = client.get(f"/admin/projects/milestone/{stage.pk}/change/").content.decode()
    assert 'name="actual_end"' not in page
    client.post("/admin/projects/milestone/", {"action": "complete_stage", "_selected_action": [stage.pk]})
    stage.refresh_from_db()
    assert (stage.actual_end, stage.version) == (clock.today(), 2)
    assert stage.history.latest().history_user == cast.admin
    # A second completion is refused with the row named, not silently redone.
    response = client.post(
        "/admin/projects/milestone/", {"action": "complete_stage", "_selected_action": [stage.pk]}, follow=True
    )
    assert "评估入户" in response.content.decode() and "已于" in response.content.decode()


def test_the_admin_moves_an_investment_lead_one_stage_on(client: Client, cast: Cast, site: Site) -> None:
    lead: Any = InvestmentLeadFactory(area=site.project.area, owner=cast.li)
    login(client, cast.admin)
    client.post("/admin/projects/investmentlead/", {"action": "advance_lead", "_selected_action": [lead.pk]})
    lead.refresh_from_db()
    assert (lead.stage, lead.signed_on, lead.version) == (InvestmentLead.Stage.SIGNED, clock.today(), 2)


def test_a_leader_completes_a_stage_through_the_api(site: Site, cast: Cast) -> None:
    stage: Any = MilestoneFactory(project=site.project, name="签约", actual_start=date(2026, 4, 1))
    client = APIClient()
    client.force_authenticate(cast.zhao)
    url = f"/api/v1/milestones/{stage.pk}/complete/"
    assert client.post(url, {"on": "2026-05-10"}, format="json").status_code == 400  # no version
    assert client.post(url, {"on": "2099-05-10", "version": 1}, format="json").status_code == 400
    done = client.post(url, {"on": "2026-05-10", "version": 1}, format="json")
    assert done.status_code == 200 and done.json()["actual_end"] == "2026-05-10" and done.json()["version"] == 2
    again = client.post(url, {"on": "2026-05-11", "version": 1}, format="json")
    assert again.status_code == 409 and again.json()["version"] == 2
    assert Milestone.objects.get(pk=stage.pk).actual_end == date(2026, 5, 10)


def test_a_stage_is_completed_only_by_those_who_may_change_the_project(site: Site, cast: Cast) -> None:
    stage: Any = MilestoneFactory(project=site.project, name="腾空")
    for user, status in [(site.zhou, 404), (cast.api, 403), (cast.auditor, 403)]:
        client = APIClient()
        client.force_authenticate(user)
        response = client.post(f"/api/v1/milestones/{stage.pk}/complete/", {"version": 1}, format="json")
        assert response.status_code == status, user
    stage.refresh_from_db()
    assert stage.actual_end is None


def test_a_cadre_may_not_reassign_a_households_squad(site: Site, cast: Cast) -> None:
    from django.core.exceptions import PermissionDenied

    from projects.services import household_assign_squad

    other: Any = SquadFactory(project=site.project, leader=cast.zhao, head=site.head, members=[cast.li])
    with pytest.raises(PermissionDenied):
        household_assign_squad(household=site.household, squad=other, version=1, acting_user=cast.li)
    moved = household_assign_squad(household=site.household, squad=other, version=1, acting_user=cast.zhao)
    assert (moved.squad, moved.version) == (other, 2)


def test_the_admin_history_is_read_never_replayed(client: Client, site: Site, cast: Cast) -> None:
    from projects.services import household_advance

    household_advance(household=site.household, on=date(2026, 5, 2), version=1, acting_user=cast.wang)
    earlier = site.household.history.earliest()
    login(client, cast.admin)
    assert client.get(f"/admin/projects/household/{site.household.pk}/history/").status_code == 200
    revert = f"/admin/projects/household/{site.household.pk}/history/{earlier.history_id}/"
    assert client.post(revert, {"version": 1}).status_code == 403
    site.household.refresh_from_db()
    assert (site.household.status, site.household.version) == ("signed", 2)
