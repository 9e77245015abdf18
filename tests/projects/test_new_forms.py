"""The projects forms that had none (issue 12): a project issue raised, a stage completed, an
investment lead filed and moved on in one tap — scoped, a bad date named, the saved record visible —
and the one-tap undo: the one who took the step, within 10 minutes."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from projects.models import InvestmentLead, ProjectIssue
from tests.conftest import Cast, Places, assert_named_error
from tests.projects.factories import (
    HouseholdFactory,
    InvestmentLeadFactory,
    MilestoneFactory,
    ProjectFactory,
    SquadFactory,
)

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def project(places: Places, cast: Cast) -> Any:
    project = ProjectFactory(area=places.sifang_grid, lead_leader=cast.zhao)
    SquadFactory(project=project, leader=cast.zhao, head=cast.li, members=[cast.li])
    return project


# A project issue ------------------------------------------------------------------------------


def test_a_cadre_raises_an_issue_on_their_project(client: Client, project: Any, cast: Cast) -> None:
    client.force_login(cast.li)
    page = client.get("/projects/issues/new/", {"project": project.pk})
    assert page.status_code == 200 and page.context["form"]["owner"].value() == cast.li.pk
    due = (timezone.localdate() + timedelta(days=20)).isoformat()
    data = {"project": project.pk, "title": "拆迁补偿款未到位", "owner": cast.li.pk, "due_on": due}
    response = client.post("/projects/issues/new/", data, follow=True)
    assert response.status_code == 200, (response.status_code, response.redirect_chain, response.content[:3000])
    issue = ProjectIssue.objects.get(title="拆迁补偿款未到位")
    assert (issue.project, issue.owner, issue.status) == (project, cast.li, "asking")
    assert "拆迁补偿款未到位" in response.content.decode()


def test_an_issue_on_another_villages_project_is_refused(client: Client, project: Any, cast: Cast) -> None:
    client.force_login(cast.wang)
    data = {"project": project.pk, "title": "x", "owner": cast.wang.pk, "due_on": "2026-12-31"}
    assert_named_error(client.post("/projects/issues/new/", data), "project")
    assert not ProjectIssue.objects.exists()


def test_an_issue_due_beyond_the_horizon_is_refused_naming_the_date(client: Client, project: Any, cast: Cast) -> None:
    client.force_login(cast.li)
    data = {"project": project.pk, "title": "x", "owner": cast.li.pk, "due_on": "2099-01-01"}
    assert_named_error(client.post("/projects/issues/new/", data), "due_on")


# A stage completed ----------------------------------------------------------------------------


def test_a_stage_is_completed_on_a_day(client: Client, project: Any, cast: Cast) -> None:
    milestone = MilestoneFactory(project=project)
    client.force_login(cast.li)
    detail = client.get(f"/projects/{project.pk}/").content.decode()
    assert f"/projects/milestones/{milestone.pk}/complete/" in detail
    day = timezone.localdate() - timedelta(days=3)
    response = client.post(f"/projects/milestones/{milestone.pk}/complete/", {"on": day, "version": 1}, follow=True)
    assert response.redirect_chain[-1][0] == f"/projects/{project.pk}/"
    milestone.refresh_from_db()
    assert milestone.actual_end == day
    assert day.isoformat() in response.content.decode()


def test_a_stage_completed_tomorrow_is_refused_naming_the_date(client: Client, project: Any, cast: Cast) -> None:
    milestone = MilestoneFactory(project=project)
    client.force_login(cast.li)
    tomorrow = timezone.localdate() + timedelta(days=1)
    assert_named_error(
        client.post(f"/projects/milestones/{milestone.pk}/complete/", {"on": tomorrow, "version": 1}), "on"
    )
    milestone.refresh_from_db()
    assert milestone.actual_end is None


def test_another_villages_stage_is_not_there(client: Client, project: Any, cast: Cast) -> None:
    milestone = MilestoneFactory(project=project)
    client.force_login(cast.wang)
    assert client.get(f"/projects/milestones/{milestone.pk}/complete/").status_code == 404
    assert client.post(f"/projects/milestones/{milestone.pk}/complete/", {"on": "2026-04-01"}).status_code == 404


# An investment lead ---------------------------------------------------------------------------


def test_a_cadre_files_a_lead_and_moves_it_on_in_one_tap(client: Client, places: Places, cast: Cast) -> None:
    client.force_login(cast.li)
    data = {
        "company": "永康五金有限公司",
        "industry": "hardware",
        "amount": "5000",
        "area": places.sifang.pk,
        "owner": cast.li.pk,
        "talks_on": "2026-03-01",
    }
    listed = client.post("/projects/leads/new/", data, follow=True)
    lead = InvestmentLead.objects.get(company="永康五金有限公司")
    assert (lead.stage, lead.talks_on, lead.area) == ("talks", date(2026, 3, 1), places.sifang)
    assert f'id="lead-{lead.pk}"' in listed.content.decode()
    # The next stage in one tap, on a day before today.
    signed = client.post(f"/projects/leads/{lead.pk}/next-step/", {"on": "2026-04-02", "version": 1}, **HX)
    assert signed.status_code == 200 and "/undo-step/" in signed.content.decode()
    lead.refresh_from_db()
    assert (lead.stage, lead.signed_on) == ("signed", date(2026, 4, 2))


def test_a_lead_in_another_village_or_dated_tomorrow_is_refused(client: Client, places: Places, cast: Cast) -> None:
    client.force_login(cast.wang)
    data = {
        "company": "x",
        "industry": "hardware",
        "amount": "1",
        "area": places.sifang.pk,
        "owner": cast.wang.pk,
        "talks_on": (timezone.localdate() + timedelta(days=1)).isoformat(),
    }
    response = client.post("/projects/leads/new/", data)
    assert_named_error(response, "area")
    assert_named_error(response, "talks_on")
    assert not InvestmentLead.objects.exists()


def test_a_step_dated_tomorrow_is_refused_naming_the_date(client: Client, places: Places, cast: Cast) -> None:
    lead = InvestmentLeadFactory(area=places.sifang, owner=cast.li)
    client.force_login(cast.li)
    tomorrow = timezone.localdate() + timedelta(days=1)
    refused = client.post(f"/projects/leads/{lead.pk}/next-step/", {"on": tomorrow, "version": 1}, **HX)
    form = refused.context["form"]
    assert "on" in form.errors and f"{form.fields['on'].label}: " in refused.content.decode()
    lead.refresh_from_db()
    assert lead.stage == "talks"
    client.force_login(cast.wang)
    assert client.post(f"/projects/leads/{lead.pk}/next-step/", {"version": 1}).status_code == 404


# The one-tap undo (xicheng.stages.stage_undo) --------------------------------------------------


def test_a_step_is_undone_by_its_maker_within_ten_minutes(client: Client, project: Any, cast: Cast) -> None:
    household = HouseholdFactory(project=project, area=project.area, evaluated=True)
    client.force_login(cast.li)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client.post(f"/projects/households/{household.pk}/next-step/", {"version": 1}, **HX)
        clock.shift(timedelta(minutes=9, seconds=59))
        undone = client.post(f"/projects/households/{household.pk}/undo-step/", {"version": 2}, **HX)
    assert undone.context["undone"]
    household.refresh_from_db()
    assert (household.status, household.signed_on) == ("evaluated", None)


def test_a_step_is_not_undone_eleven_minutes_later(client: Client, project: Any, cast: Cast) -> None:
    household = HouseholdFactory(project=project, area=project.area, evaluated=True)
    client.force_login(cast.li)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client.post(f"/projects/households/{household.pk}/next-step/", {"version": 1}, **HX)
        clock.shift(timedelta(minutes=11))
        refused = client.post(f"/projects/households/{household.pk}/undo-step/", {"version": 2}, **HX)
    assert not refused.context["undone"] and refused.context["errors"]
    household.refresh_from_db()
    assert household.status == "signed"


def test_a_step_is_not_undone_by_another_person(client: Client, project: Any, cast: Cast) -> None:
    household = HouseholdFactory(project=project, area=project.area, evaluated=True)
    client.force_login(cast.li)
    client.post(f"/projects/households/{household.pk}/next-step/", {"version": 1}, **HX)
    client.force_login(cast.zhao)  # the leader may move it, but the step was li's
    refused = client.post(f"/projects/households/{household.pk}/undo-step/", {"version": 2}, **HX)
    assert not refused.context["undone"] and refused.context["errors"]
    household.refresh_from_db()
    assert household.status == "signed"
