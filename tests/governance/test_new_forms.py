"""The governance forms that had none (issue 12): a new rental house, a dispute received, the
inspection's address search, and the undo of a rectification — each through the HTTP client as a
cadre meets it: scoped, a bad date named, the saved record visible."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from governance.models import Dispute, Hazard, Inspection, RentalHouse
from tests.conftest import Cast, Places, assert_named_error, login
from tests.governance.factories import DisputeFactory, HazardFactory, RentalHouseFactory

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


# A new rental house ---------------------------------------------------------------------------


def test_a_cadre_adds_a_rental_house_in_their_grid_and_sees_it(client: Client, places: Places, cast: Cast) -> None:
    client.force_login(cast.li)
    page = client.get("/governance/houses/new/")
    assert page.status_code == 200
    # Only the areas li serves are offered.
    offered = {a.pk for a in page.context["form"].fields["area"].queryset}
    assert places.sifang_grid.pk in offered and places.feifeng_grid.pk not in offered
    data = {"area": places.sifang_grid.pk, "address": "四方路88号", "landlord": "陈", "landlord_phone": "", "rooms": 3}
    response = client.post("/governance/houses/new/", data, follow=True)
    house = RentalHouse.objects.get(address="四方路88号")
    assert response.redirect_chain[-1][0] == f"/governance/houses/{house.pk}/"
    assert "四方路88号" in response.content.decode()


def test_a_house_in_another_village_is_refused(client: Client, places: Places, cast: Cast) -> None:
    client.force_login(cast.li)
    data = {"area": places.feifeng_grid.pk, "address": "飞凤路1号", "landlord": "陈", "rooms": 3}
    response = client.post("/governance/houses/new/", data)
    assert_named_error(response, "area")
    assert not RentalHouse.objects.filter(address="飞凤路1号").exists()


def test_reading_roles_get_no_house_form(client: Client, cast: Cast) -> None:
    for user in (cast.api, cast.auditor, cast.nobody):
        login(client, user)
        assert client.get("/governance/houses/new/").status_code == 403


# A dispute received ---------------------------------------------------------------------------


def test_a_cadre_receives_a_dispute_and_sees_it_on_the_list(client: Client, places: Places, cast: Cast) -> None:
    client.force_login(cast.li)
    day = timezone.localdate() - timedelta(days=1)
    data = {"area": places.sifang.pk, "category": "neighbours", "summary": "楼上漏水", "received_on": day.isoformat()}
    response = client.post("/governance/disputes/new/", data, follow=True)
    dispute = Dispute.objects.get(summary="楼上漏水")
    assert (dispute.area, dispute.received_on, dispute.status) == (places.sifang, day, "received")
    assert f'id="dispute-{dispute.pk}"' in response.content.decode()


def test_a_dispute_dated_tomorrow_is_refused_naming_the_date(client: Client, places: Places, cast: Cast) -> None:
    client.force_login(cast.li)
    tomorrow = timezone.localdate() + timedelta(days=1)
    data = {"area": places.sifang.pk, "category": "neighbours", "summary": "楼上漏水", "received_on": tomorrow}
    response = client.post("/governance/disputes/new/", data)
    assert_named_error(response, "received_on")
    # What was typed stays.
    assert "楼上漏水" in response.content.decode()
    assert not Dispute.objects.exists()


def test_a_dispute_in_another_village_is_refused(client: Client, places: Places, cast: Cast) -> None:
    client.force_login(cast.wang)
    data = {"area": places.sifang.pk, "category": "neighbours", "summary": "x", "received_on": "2026-03-01"}
    assert_named_error(client.post("/governance/disputes/new/", data), "area")


def test_a_dispute_step_is_dated_and_its_maker_may_undo_it(client: Client, places: Places, cast: Cast) -> None:
    dispute = DisputeFactory(area=places.sifang_grid)
    client.force_login(cast.li)
    tomorrow = timezone.localdate() + timedelta(days=1)
    bad = client.post(
        f"/governance/disputes/{dispute.pk}/move/", {"to_status": "resolved", "on": tomorrow, "version": 1}, follow=True
    )
    dispute.refresh_from_db()
    assert dispute.status == "received"
    assert "Date: " in bad.content.decode() or "日期: " in bad.content.decode()
    day = timezone.localdate() - timedelta(days=2)
    moved = client.post(f"/governance/disputes/{dispute.pk}/move/", {"to_status": "resolved", "on": day, "version": 1})
    assert moved.status_code == 302 and f"undo={dispute.pk}" in moved["Location"]
    dispute.refresh_from_db()
    assert (dispute.status, dispute.resolved_on) == ("resolved", day)
    # Another cadre of the subdistrict (the leader) may not undo li's step.
    client.force_login(cast.zhao)
    client.post(f"/governance/disputes/{dispute.pk}/undo-step/", {"version": 2})
    dispute.refresh_from_db()
    assert dispute.status == "resolved"
    client.force_login(cast.li)
    client.post(f"/governance/disputes/{dispute.pk}/undo-step/", {"version": 2})
    dispute.refresh_from_db()
    assert (dispute.status, dispute.resolved_on) == ("received", None)
    # Another village's dispute is not there at all.
    client.force_login(cast.wang)
    assert client.post(f"/governance/disputes/{dispute.pk}/undo-step/", {"version": 3}).status_code == 404


# The inspection's way in: the address first ---------------------------------------------------


def test_the_address_search_offers_only_the_houses_the_cadre_may_inspect(
    client: Client, places: Places, cast: Cast
) -> None:
    mine = RentalHouseFactory(area=places.sifang_grid, address="童宅路12号")
    RentalHouseFactory(area=places.feifeng_grid, address="童宅路14号")
    client.force_login(cast.li)
    page = client.get("/governance/inspect/", {"q": "童宅路"})
    assert page.status_code == 200
    assert page.context["houses"] == [mine]
    assert f"/governance/houses/{mine.pk}/inspect/" in page.content.decode()
    client.force_login(cast.api)
    assert client.get("/governance/inspect/", {"q": "童宅路"}).status_code == 403


def test_my_work_leads_to_the_inspection(client: Client, cast: Cast) -> None:
    client.force_login(cast.li)
    assert 'href="/governance/inspect/"' in client.get("/my/").content.decode()


def test_an_inspection_hazard_needs_only_its_category(client: Client, places: Places, cast: Cast) -> None:
    house = RentalHouseFactory(area=places.sifang_grid)
    client.force_login(cast.li)
    form = client.get(f"/governance/houses/{house.pk}/inspect/").context["hazards"].forms[0]
    deadline = form["deadline"].value()
    data = {
        "inspected_on": timezone.localdate().isoformat(),
        "forces": ["grid"],
        "hazards-TOTAL_FORMS": "1",
        "hazards-INITIAL_FORMS": "0",
        "hazards-0-category": "gas",
        "hazards-0-deadline": deadline.isoformat() if isinstance(deadline, date) else deadline,
        "migrants-TOTAL_FORMS": "0",
        "migrants-INITIAL_FORMS": "0",
    }
    assert client.post(f"/governance/houses/{house.pk}/inspect/", data).status_code == 302
    hazard = Hazard.objects.get(house=house)
    assert hazard.category == "gas" and hazard.deadline == timezone.localdate() + timedelta(days=30)
    assert Inspection.objects.filter(house=house).count() == 1


def test_a_hazard_row_error_names_the_row_and_the_field(client: Client, places: Places, cast: Cast) -> None:
    house = RentalHouseFactory(area=places.sifang_grid)
    client.force_login(cast.li)
    data = {
        "inspected_on": timezone.localdate().isoformat(),
        "forces": ["grid"],
        "hazards-TOTAL_FORMS": "1",
        "hazards-INITIAL_FORMS": "0",
        "hazards-0-description": "楼道堆物",
        "hazards-0-deadline": "",
        "migrants-TOTAL_FORMS": "0",
        "migrants-INITIAL_FORMS": "0",
    }
    response = client.post(f"/governance/houses/{house.pk}/inspect/", data)
    assert response.status_code == 400
    text = response.content.decode()
    row = response.context["hazards"].forms[0]
    for field in ("category", "deadline"):
        assert str(row.fields[field].label) in text.split('data-row="hazard"')[1].split("</div>")[0]


# The undo of a rectification -------------------------------------------------------------------


def test_a_rectification_is_undone_by_its_maker_within_ten_minutes(client: Client, places: Places, cast: Cast) -> None:
    hazard = HazardFactory(area=places.sifang_grid)
    client.force_login(cast.li)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        saved = client.post(
            f"/governance/hazards/{hazard.pk}/rectify/", {"rectified_on": "2026-04-01", "version": 1}, **HX
        )
        assert "/undo-rectify/" in saved.content.decode()
        clock.shift(timedelta(minutes=9))
        undone = client.post(f"/governance/hazards/{hazard.pk}/undo-rectify/", {"version": 2}, **HX)
        assert undone.status_code == 200
        hazard.refresh_from_db()
        assert hazard.rectified_on is None and hazard.version == 3
        # The history keeps the rectification and its undo.
        assert [h.rectified_on for h in hazard.history.order_by("history_id")][-2:] == [date(2026, 4, 1), None]


def test_a_rectification_is_not_undone_eleven_minutes_later(client: Client, places: Places, cast: Cast) -> None:
    hazard = HazardFactory(area=places.sifang_grid)
    client.force_login(cast.li)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client.post(f"/governance/hazards/{hazard.pk}/rectify/", {"rectified_on": "2026-04-01", "version": 1})
        clock.shift(timedelta(minutes=11))
        refused = client.post(f"/governance/hazards/{hazard.pk}/undo-rectify/", {"version": 2}, **HX)
    assert refused.status_code == 400
    assert "10" in refused.content.decode() and 'role="alert"' in refused.content.decode()
    hazard.refresh_from_db()
    assert hazard.rectified_on == date(2026, 4, 1)


def test_a_rectification_is_not_undone_by_another_person(client: Client, places: Places, cast: Cast) -> None:
    hazard = HazardFactory(area=places.sifang_grid)
    client.force_login(cast.li)
    client.post(f"/governance/hazards/{hazard.pk}/rectify/", {"rectified_on": "2026-04-01", "version": 1})
    client.force_login(cast.zhao)
    refused = client.post(f"/governance/hazards/{hazard.pk}/undo-rectify/", {"version": 2}, **HX)
    assert 'role="alert"' in refused.content.decode()
    hazard.refresh_from_db()
    assert hazard.rectified_on == date(2026, 4, 1)
    client.force_login(cast.wang)
    assert client.post(f"/governance/hazards/{hazard.pk}/undo-rectify/", {"version": 2}).status_code == 404
