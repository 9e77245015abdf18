"""The rules of key projects, as the services and the database enforce them."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from projects.models import Household, InvestmentLead, ProjectIssue, Squad
from projects.services import (
    household_advance,
    issue_set_status,
    lead_advance,
    squad_create,
    squad_set_members,
)
from tests.conftest import Cast, Places
from tests.projects.conftest import Site
from tests.projects.factories import HouseholdFactory, InvestmentLeadFactory, ProjectIssueFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


# 1+1+N squads ----------------------------------------------------------------------------------


def test_a_squad_without_a_head_is_refused(site: Site, cast: Cast) -> None:
    with pytest.raises(ValidationError) as e:
        squad_create(
            project=site.project,
            name="第二攻坚小组",
            leader=cast.zhao,
            head=None,
            members=[cast.wang],
            acting_user=cast.admin,
        )
    assert "组长" in str(e.value.message_dict["head"])
    assert not Squad.objects.filter(name="第二攻坚小组").exists()


def test_a_squad_with_the_leader_as_a_member_is_refused(site: Site, cast: Cast) -> None:
    with pytest.raises(ValidationError) as e:
        squad_create(
            project=site.project,
            name="第二攻坚小组",
            leader=cast.zhao,
            head=site.head,
            members=[cast.wang, cast.zhao],
            acting_user=cast.admin,
        )
    assert "members" in e.value.message_dict
    assert not Squad.objects.filter(name="第二攻坚小组").exists()


def test_a_squad_with_the_head_as_a_member_or_no_members_is_refused(site: Site, cast: Cast) -> None:
    for members in ([site.head], []):
        with pytest.raises(ValidationError):
            squad_create(
                project=site.project,
                name="第二攻坚小组",
                leader=cast.zhao,
                head=site.head,
                members=members,
                acting_user=cast.admin,
            )


def test_the_leader_cannot_also_be_the_head_even_in_the_database(site: Site, cast: Cast) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Squad.objects.create(project=site.project, name="坏小组", leader=cast.zhao, head=cast.zhao)


def test_a_squad_is_built_1_plus_1_plus_n(site: Site, cast: Cast) -> None:
    squad = squad_create(
        project=site.project,
        name="第二攻坚小组",
        leader=cast.zhao,
        head=site.head,
        members=[cast.wang, cast.li],
        acting_user=cast.admin,
    )
    assert set(squad.members.all()) == {cast.wang, cast.li}
    with pytest.raises(ValidationError):
        squad_set_members(squad=squad, members=[], acting_user=cast.admin, version=squad.version)


# The household pipeline ------------------------------------------------------------------------


def test_a_household_cannot_jump_from_not_visited_to_signed(site: Site, places: Places, cast: Cast) -> None:
    household: Any = HouseholdFactory(project=site.project, squad=site.squad, area=places.yuehongwan)
    moved = household_advance(household=household, on=date(2026, 4, 10), version=1, acting_user=cast.wang)
    assert moved.status == Household.Status.EVALUATED  # one step, never two
    assert moved.signed_on is None
    # Nor can anything write a signed household without its evaluation, the database refuses it.
    with pytest.raises(IntegrityError), transaction.atomic():
        HouseholdFactory(
            project=site.project, area=places.yuehongwan, status=Household.Status.SIGNED, signed_on=date(2026, 5, 1)
        )


def test_a_step_cannot_be_dated_before_the_previous_one(site: Site, cast: Cast) -> None:
    with pytest.raises(ValidationError) as e:
        household_advance(household=site.household, on=date(2026, 4, 9), version=1, acting_user=cast.wang)
    assert "2026-04-10" in e.value.messages[0]
    site.household.refresh_from_db()
    assert (site.household.status, site.household.signed_on, site.household.version) == ("evaluated", None, 1)


def test_the_database_refuses_steps_out_of_order(site: Site, places: Places) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        HouseholdFactory(
            project=site.project,
            area=places.yuehongwan,
            status=Household.Status.SIGNED,
            evaluated_on=date(2026, 5, 1),
            signed_on=date(2026, 4, 1),
        )


def test_a_step_cannot_be_dated_in_the_future(site: Site, cast: Cast) -> None:
    with pytest.raises(ValidationError):
        household_advance(household=site.household, on=TODAY() + timedelta(days=1), version=1, acting_user=cast.wang)


def test_a_step_records_its_day_and_the_last_step(site: Site, cast: Cast) -> None:
    moved = household_advance(household=site.household, on=date(2026, 5, 2), version=1, acting_user=cast.wang)
    assert (moved.status, moved.signed_on, moved.last_step_on, moved.version) == (
        "signed",
        date(2026, 5, 2),
        date(2026, 5, 2),
        2,
    )
    assert moved.history.latest().history_user is None or moved.history.count() == 2


def test_a_stale_change_is_refused_with_a_clear_message_and_the_first_survives(site: Site, cast: Cast) -> None:
    household_advance(household=site.household, on=date(2026, 5, 2), version=1, acting_user=cast.wang)
    with pytest.raises(ValidationError) as e:
        household_advance(household=site.household, on=date(2026, 5, 3), version=1, acting_user=cast.li)
    assert "该征迁户已被他人修改" in e.value.messages[0]
    site.household.refresh_from_db()
    assert (site.household.status, site.household.signed_on, site.household.version) == ("signed", date(2026, 5, 2), 2)


def test_a_leader_outside_the_squad_and_areas_may_not_advance(site: Site) -> None:
    with pytest.raises(PermissionDenied):
        household_advance(household=site.household, on=date(2026, 5, 2), version=1, acting_user=site.qian)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_two_cadres_at_once_the_second_is_refused_and_the_first_change_survives(site: Site, cast: Cast) -> None:
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def advance(user: Any, day: date) -> None:
        from django.db import connections

        try:
            barrier.wait()
            household_advance(household=site.household, on=day, version=1, acting_user=user)
            outcomes.append("saved")
        except ValidationError as e:
            outcomes.append(e.messages[0])
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=advance, args=(cast.wang, date(2026, 5, 2))),
        threading.Thread(target=advance, args=(cast.li, date(2026, 5, 3))),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes)[0] == "saved" or "saved" in outcomes
    assert outcomes.count("saved") == 1
    assert any("该征迁户已被他人修改" in o for o in outcomes)
    site.household.refresh_from_db()
    assert site.household.status == "signed" and site.household.version == 2
    assert site.household.signed_on in (date(2026, 5, 2), date(2026, 5, 3))


# Issues and investment leads -------------------------------------------------------------------


def test_an_issue_is_resolved_only_with_a_resolution(site: Site, cast: Cast) -> None:
    issue: Any = ProjectIssueFactory(project=site.project, owner=site.head)
    moved = issue_set_status(issue=issue, status="reckoning", version=1, acting_user=site.head)
    with pytest.raises(ValidationError):
        issue_set_status(issue=issue, status="resolved", version=moved.version, acting_user=site.head)
    done = issue_set_status(
        issue=issue, status="resolved", resolution="已办结不动产登记", version=moved.version, acting_user=site.head
    )
    assert (done.status, done.resolved_on) == (ProjectIssue.Status.RESOLVED, TODAY())


def test_an_investment_lead_moves_one_stage_at_a_time(places: Places, cast: Cast) -> None:
    lead: Any = InvestmentLeadFactory(area=places.sifang, owner=cast.li)
    signed = lead_advance(lead=lead, on=date(2026, 4, 1), version=1, acting_user=cast.li)
    assert (signed.stage, signed.signed_on) == ("signed", date(2026, 4, 1))
    with pytest.raises(ValidationError):
        lead_advance(lead=lead, on=date(2026, 3, 1), version=2, acting_user=cast.li)
    assert InvestmentLead.objects.get().stage == "signed"


def test_a_household_joins_at_most_one_squad_of_its_own_project(site: Site, cast: Cast) -> None:
    from projects.services import household_assign_squad
    from tests.projects.factories import ProjectFactory, SquadFactory

    elsewhere: Any = ProjectFactory(area=site.project.area, lead_leader=cast.zhao)
    foreign: Any = SquadFactory(project=elsewhere, leader=cast.zhao, head=site.head, members=[cast.li])
    with pytest.raises(ValidationError):
        household_assign_squad(household=site.household, squad=foreign, version=1, acting_user=cast.admin)
    other: Any = SquadFactory(project=site.project, leader=cast.zhao, head=site.head, members=[cast.li])
    moved = household_assign_squad(household=site.household, squad=other, version=1, acting_user=cast.admin)
    assert moved.squad == other and list(Squad.objects.filter(households=site.household)) == [other]
