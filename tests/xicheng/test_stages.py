"""Staged records (xicheng.stages): one declaration gives the constraints, the steps, the undo, the
services, the API's actions, the one-tap card and the funnel — tried on the three real registers.

The cast: a project in 悦虹湾小区 (四方社区) whose squad is led by 赵 with 王 (a cadre of 飞凤社区) as
its member; 李 serves 四方社区; 钱 a leader of 东城街道 who may change none of it; 周 a cadre of
东城街道 who sees none of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.test import Client
from rest_framework.test import APIClient

from governance.models import Dispute
from projects.models import Household, InvestmentLead
from tests.conftest import Cast, Places, make_user
from tests.governance.factories import DisputeFactory
from tests.projects.factories import HouseholdFactory, InvestmentLeadFactory, ProjectFactory, SquadFactory
from xicheng.metrics import registry
from xicheng.roles import Role
from xicheng.stages import Stages, Step, stage_advance, stage_revert

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


@dataclass
class Street:
    household: Household  # 已评估 on 2026-04-10, in 赵's squad with 王
    qian: User
    zhou: User


@pytest.fixture
def street(cast: Cast, places: Places) -> Street:
    head = make_user("head", Role.CADRE, "沈海燕", [places.feifeng], position="division_head")
    qian = make_user("qian", Role.LEADER, "钱立新", [places.dongcheng], position="leader")
    zhou = make_user("zhou", Role.CADRE, "周明", [places.dongcheng])
    project: Any = ProjectFactory(area=places.yuehongwan, lead_leader=cast.zhao)
    squad: Any = SquadFactory(project=project, leader=cast.zhao, head=head, members=[cast.wang])
    household: Any = HouseholdFactory(project=project, squad=squad, area=places.yuehongwan, evaluated=True)
    return Street(household=household, qian=qian, zhou=zhou)


def _signed(street: Street, user: User) -> Household:
    return stage_advance(street.household, on=date(2026, 5, 2), version=1, acting_user=user)


# The declaration -------------------------------------------------------------------------------


def test_a_step_follows_the_one_declared_before_it_unless_told_otherwise() -> None:
    stages = Stages(field="status", start="a", steps=(Step("b", "b_on"), Step("c", "c_on", after=("a", "b"))))
    assert [s.after for s in stages.steps] == [("a",), ("a", "b")]
    assert not stages.linear and Household.stages.linear
    assert Household.stages.date_fields == ("evaluated_on", "signed_on", "vacated_on", "demolished_on")


def test_the_generated_constraints_are_the_ones_the_database_has() -> None:
    # Declared once: the names the migrations created, so no migration was needed.
    names = {c.name for c in Household._meta.constraints if isinstance(c, models.CheckConstraint)}
    assert {"household_steps_in_order", "household_status_matches_dates"} <= names
    matches = next(c for c in InvestmentLead._meta.constraints if c.name == "investment_lead_stage_matches_dates")
    assert matches.condition == (
        Q(stage="talks", signed_on__isnull=True)
        | Q(stage="signed", signed_on__isnull=False, landed_on__isnull=True)
        | Q(stage="landed", landed_on__isnull=False, producing_on__isnull=True)
        | Q(stage="producing", producing_on__isnull=False)
    )


def test_a_branching_pipeline_declares_its_own_constraints() -> None:
    with pytest.raises(AssertionError):
        Dispute.stages.constraints("dispute")


def test_the_status_as_of_a_day_and_the_last_step_by_then() -> None:
    household = Household(
        status="signed", evaluated_on=date(2026, 4, 10), signed_on=date(2026, 5, 2), created_on=date(2026, 4, 1)
    )
    assert household.status_as_of(date(2026, 4, 9)) == "new"
    assert household.status_as_of(date(2026, 4, 30)) == "evaluated"
    assert household.last_step_as_of(date(2026, 4, 30)) == date(2026, 4, 10)
    assert household.last_step_as_of(date(2026, 4, 5)) == date(2026, 4, 1)  # listed then
    assert (household.next_status_label, household.previous_status_label) == ("已腾空", "已评估")


def test_a_dispute_offers_each_step_that_may_follow() -> None:
    dispute = Dispute(status="received", received_on=date(2026, 3, 10))
    assert [status for status, _label in dispute.next_choices] == ["mediating", "resolved", "escalated"]
    dispute.status, dispute.mediating_on = "mediating", date(2026, 3, 11)
    assert [status for status, _label in dispute.next_choices] == ["resolved", "escalated"]


def test_a_step_metric_counts_rows_from_the_day_they_reach_the_step() -> None:
    metric = registry.get("projects.households_signed")
    assert (metric.model, metric.date_field, metric.area) == (Household, "signed_on", "area")
    assert registry.get("governance.disputes_received").date_field == "received_on"


def test_the_funnel_counts_each_step_reached_by_the_day(street: Street, cast: Cast) -> None:
    _signed(street, cast.wang)
    counts = Household.objects.aggregate(**Household.stages.funnel(date(2026, 4, 30), total_since="created_on"))
    assert counts == {"total": 1, "evaluated": 1, "signed": 0, "vacated": 0, "demolished": 0}


# Undoing a step: the service ---------------------------------------------------------------------


def test_undoing_a_step_clears_its_day_and_goes_back_one_step(street: Street, cast: Cast) -> None:
    signed = _signed(street, cast.wang)
    back = stage_revert(signed, version=2, acting_user=cast.wang)
    assert (back.status, back.signed_on, back.last_step_on, back.version) == (
        "evaluated",
        None,
        date(2026, 4, 10),
        3,
    )
    # The history keeps the step and its undo, one change each.
    assert [h.status for h in street.household.history.order_by("history_id")] == ["evaluated", "signed", "evaluated"]


def test_undoing_the_first_step_goes_back_to_the_start(street: Street, cast: Cast) -> None:
    back = stage_revert(street.household, version=1, acting_user=cast.li)
    assert (back.status, back.evaluated_on, back.last_step_on) == ("new", None, None)
    with pytest.raises(ValidationError) as e:
        stage_revert(back, version=2, acting_user=cast.li)
    assert "没有可撤销的步骤" in e.value.messages[0]


def test_only_those_who_may_move_a_row_may_undo_its_step(street: Street, cast: Cast) -> None:
    _signed(street, cast.wang)
    with pytest.raises(PermissionDenied):
        stage_revert(street.household, version=2, acting_user=street.qian)
    street.household.refresh_from_db()
    assert (street.household.status, street.household.version) == ("signed", 2)


def test_a_stale_undo_changes_nothing(street: Street, cast: Cast) -> None:
    _signed(street, cast.wang)
    with pytest.raises(ValidationError) as e:
        stage_revert(street.household, version=1, acting_user=cast.li)
    assert "该征迁户已被他人修改" in e.value.messages[0]
    street.household.refresh_from_db()
    assert (street.household.status, street.household.signed_on) == ("signed", date(2026, 5, 2))


def test_an_undone_row_still_obeys_the_database(street: Street, cast: Cast) -> None:
    back = stage_revert(_signed(street, cast.wang), version=2, acting_user=cast.wang)
    with pytest.raises(IntegrityError), transaction.atomic():
        Household.objects.filter(pk=back.pk).update(status="signed")  # a status without its day


def test_a_lead_goes_back_to_talks(places: Places, cast: Cast) -> None:
    lead: Any = InvestmentLeadFactory(area=places.sifang, owner=cast.li)
    signed = stage_advance(lead, on=date(2026, 4, 1), version=1, acting_user=cast.li)
    back = stage_revert(signed, version=2, acting_user=cast.li)
    assert (back.stage, back.signed_on, back.talks_on) == ("talks", None, date(2026, 3, 1))


def test_a_dispute_goes_back_to_the_step_it_came_from(places: Places, cast: Cast) -> None:
    dispute: Any = DisputeFactory(area=places.sifang_grid)
    stage_advance(dispute, to="mediating", on=date(2026, 3, 11), version=1, acting_user=cast.li)
    stage_advance(dispute, to="resolved", on=date(2026, 3, 12), version=2, acting_user=cast.li)
    back = stage_revert(dispute, version=3, acting_user=cast.li)
    assert (back.status, back.resolved_on, back.mediating_on) == ("mediating", None, date(2026, 3, 11))
    straight: Any = DisputeFactory(area=places.sifang_grid)
    stage_advance(straight, to="escalated", on=date(2026, 3, 11), version=1, acting_user=cast.li)
    assert stage_revert(straight, version=2, acting_user=cast.li).status == "received"


# Undoing a step: the API --------------------------------------------------------------------------


def test_the_api_undoes_a_step_and_answers_409_to_a_stale_version(
    api_client: APIClient, street: Street, cast: Cast
) -> None:
    _signed(street, cast.wang)
    api_client.force_login(cast.wang)
    url = f"/api/v1/households/{street.household.pk}/revert/"
    response = api_client.post(url, {"version": 2}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["signed_on"], body["version"]) == ("evaluated", None, 3)
    assert response["ETag"] == '"3"'
    stale = api_client.post(url, {"version": 2}, format="json")
    assert stale.status_code == 409 and stale.json()["version"] == 3
    assert street.household.history.latest().history_user == cast.wang


def test_the_api_asks_for_the_version_read(api_client: APIClient, street: Street, cast: Cast) -> None:
    api_client.force_login(cast.wang)
    response = api_client.post(f"/api/v1/households/{street.household.pk}/revert/", {}, format="json")
    assert response.status_code == 400 and "version" in response.json()


def test_who_may_undo_through_the_api(api_client: APIClient, street: Street, cast: Cast) -> None:
    url = f"/api/v1/households/{street.household.pk}/revert/"
    api_client.force_login(street.qian)  # a leader outside the squad and its areas
    assert api_client.post(url, {"version": 1}, format="json").status_code == 403
    api_client.force_login(street.zhou)  # a cadre of another subdistrict
    assert api_client.post(url, {"version": 1}, format="json").status_code == 404
    api_client.force_login(cast.api)  # reads, never writes
    assert api_client.post(url, {"version": 1}, format="json").status_code == 403
    street.household.refresh_from_db()
    assert (street.household.status, street.household.version) == ("evaluated", 1)


def test_the_api_refuses_to_undo_what_has_not_moved(api_client: APIClient, places: Places, cast: Cast) -> None:
    lead: Any = InvestmentLeadFactory(area=places.sifang, owner=cast.li)
    api_client.force_login(cast.li)
    response = api_client.post(f"/api/v1/investment-leads/{lead.pk}/revert/", {"version": 1}, format="json")
    assert response.status_code == 400


def test_a_dispute_step_is_undone_through_the_api(api_client: APIClient, places: Places, cast: Cast) -> None:
    dispute: Any = DisputeFactory(area=places.sifang_grid)
    api_client.force_login(cast.li)
    api_client.post(f"/api/v1/disputes/{dispute.pk}/move/", {"to_status": "resolved", "on": "2026-03-12", "version": 1})
    response = api_client.post(f"/api/v1/disputes/{dispute.pk}/revert/", {"version": 2}, format="json")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["resolved_on"]) == ("received", None)
    api_client.force_login(cast.wang)  # 王 serves 飞凤社区
    assert api_client.post(f"/api/v1/disputes/{dispute.pk}/revert/", {"version": 3}).status_code == 404


def test_the_lead_advance_action_comes_from_the_kernel(api_client: APIClient, places: Places, cast: Cast) -> None:
    lead: Any = InvestmentLeadFactory(area=places.sifang, owner=cast.li)
    api_client.force_login(cast.li)
    response = api_client.post(f"/api/v1/investment-leads/{lead.pk}/advance/", {"version": 1, "on": "2026-04-01"})
    assert (response.status_code, response.json()["stage"]) == (200, "signed")
    early = api_client.post(f"/api/v1/investment-leads/{lead.pk}/advance/", {"version": 2, "on": "2026-03-15"})
    assert early.status_code == 400 and "2026-04-01" in str(early.json())


# Undoing a step: the one-tap card --------------------------------------------------------------------


def test_right_after_a_step_the_card_offers_to_undo_it(client: Client, street: Street, cast: Cast) -> None:
    client.force_login(cast.wang)
    page = client.post(f"/projects/households/{street.household.pk}/next-step/", {"version": 1}, **HX)
    content = page.content.decode()
    assert "已登记：已签约" in content and f"/projects/households/{street.household.pk}/undo-step/" in content
    undone = client.post(f"/projects/households/{street.household.pk}/undo-step/", {"version": 2}, **HX)
    assert undone.status_code == 200
    content = undone.content.decode()
    assert "已撤销，退回：已评估" in content and "下一步：已签约" in content and "undo-step" not in content
    street.household.refresh_from_db()
    assert (street.household.status, street.household.signed_on, street.household.version) == ("evaluated", None, 3)


def test_the_household_list_offers_no_undo(client: Client, street: Street, cast: Cast) -> None:
    client.force_login(cast.wang)
    assert "undo-step" not in client.get("/projects/households/").content.decode()


def test_a_stale_undo_on_the_card_shows_the_message(client: Client, street: Street, cast: Cast) -> None:
    client.force_login(cast.wang)
    client.post(f"/projects/households/{street.household.pk}/next-step/", {"version": 1}, **HX)
    response = client.post(f"/projects/households/{street.household.pk}/undo-step/", {"version": 1}, **HX)
    # A refusal is not a success: 400, which htmx still swaps in, so the card says why.
    assert response.status_code == 400 and "该征迁户已被他人修改" in response.content.decode()
    street.household.refresh_from_db()
    assert street.household.status == "signed"


def test_who_may_undo_on_the_card(client: Client, street: Street, cast: Cast) -> None:
    url = f"/projects/households/{street.household.pk}/undo-step/"
    client.force_login(street.qian)
    assert client.post(url, {"version": 1}, **HX).status_code == 403
    client.force_login(street.zhou)
    assert client.post(url, {"version": 1}, **HX).status_code == 404
    # Without htmx the undo answers with a redirect to the list, like the step; the undo is for
    # the one who took the step (here: li, just now).
    client.force_login(cast.li)
    before = (street.household.status, street.household.signed_on)
    client.post(f"/projects/households/{street.household.pk}/next-step/", {"version": 1})
    response = client.post(url, {"version": 2})
    assert response.status_code == 302
    street.household.refresh_from_db()
    assert (street.household.status, street.household.signed_on) == before


def test_a_register_may_narrow_who_moves_its_rows(street: Street, cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    # Besides the row's scope, a declaration may ask its own question (here: leaders only).
    monkeypatch.setattr(Household.stages, "may_move", lambda user, row: user.pk == cast.zhao.pk)
    with pytest.raises(PermissionDenied):
        stage_advance(street.household, on=date(2026, 5, 2), version=1, acting_user=cast.wang)
    with pytest.raises(PermissionDenied):
        stage_revert(street.household, version=1, acting_user=cast.wang)
    assert stage_advance(street.household, on=date(2026, 5, 2), version=1, acting_user=cast.zhao).status == "signed"
