"""Facts that can happen in governance: every impossible one is a 400 with a clear message in the
API and a Chinese message on the page; a rectification is corrected, with history."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from governance.models import Dispute, Hazard, Inspection, RentalHouse, ZeroReport
from tests.conftest import Cast, Places
from tests.governance.factories import DisputeFactory, HazardFactory, id_number
from xicheng import clock

pytestmark = pytest.mark.django_db


def _api(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _today() -> date:
    return clock.today()


def test_an_inspection_dated_in_the_future_is_refused_on_the_page_in_chinese(
    client: Client, cast: Cast, sifang_house: Any
) -> None:
    client.force_login(cast.li)
    response = client.post(
        f"/governance/houses/{sifang_house.pk}/inspect/",
        {
            "inspected_on": "2027-03-01",
            "forces": ["grid"],
            "note": "夜查",
            "hazards-TOTAL_FORMS": "0",
            "hazards-INITIAL_FORMS": "0",
            "migrants-TOTAL_FORMS": "0",
            "migrants-INITIAL_FORMS": "0",
        },
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "2027-03-01 晚于今天" in page and "夜查" in page
    assert not Inspection.objects.exists()


@pytest.mark.parametrize("day", ["2099-01-01", "0001-01-01"])
def test_an_inspection_through_the_api_is_refused_in_the_future_or_before_the_floor(
    cast: Cast, sifang_house: Any, day: str
) -> None:
    response = _api(cast.li).post(
        "/api/v1/inspections/", {"house": sifang_house.pk, "inspected_on": day, "forces": ["grid"]}, format="json"
    )
    assert response.status_code == 400
    assert day in response.json()["inspected_on"][0]


@pytest.mark.parametrize("found_on", ["2099-01-01", "0001-01-01"])
def test_a_hazard_found_in_2099_or_in_year_one_is_refused(cast: Cast, places: Places, found_on: str) -> None:
    response = _api(cast.li).post(
        "/api/v1/hazards/",
        {"area": places.sifang.pk, "category": "fire", "found_on": found_on, "deadline": "2099-12-31"},
        format="json",
    )
    assert response.status_code == 400
    assert found_on in response.json()["found_on"][0]
    assert not Hazard.objects.exists()


def test_a_hazard_deadline_beyond_the_horizon_is_refused(cast: Cast, places: Places) -> None:
    response = _api(cast.li).post(
        "/api/v1/hazards/",
        {"area": places.sifang.pk, "category": "fire", "found_on": str(_today()), "deadline": "9999-12-31"},
        format="json",
    )
    assert response.status_code == 400 and "太远" in response.json()["deadline"][0]


def test_a_hazard_cannot_be_rectified_in_the_future(cast: Cast, places: Places) -> None:
    hazard: Any = HazardFactory(area=places.sifang)
    response = _api(cast.li).post(
        f"/api/v1/hazards/{hazard.pk}/rectify/", {"rectified_on": "2099-01-01", "version": 1}, format="json"
    )
    assert response.status_code == 400 and "晚于今天" in response.json()["rectified_on"][0]
    hazard.refresh_from_db()
    assert (hazard.rectified_on, hazard.version) == (None, 1)


def test_a_rectification_is_corrected_by_whoever_may_change_the_hazard_with_history(cast: Cast, places: Places) -> None:
    hazard: Any = HazardFactory(area=places.sifang)
    li, zhao = _api(cast.li), _api(cast.zhao)
    first = li.post(
        f"/api/v1/hazards/{hazard.pk}/rectify/", {"rectified_on": "2026-03-20", "version": 1}, format="json"
    )
    assert first.status_code == 200
    corrected = zhao.post(
        f"/api/v1/hazards/{hazard.pk}/rectify/", {"rectified_on": "2026-03-18", "version": 2}, format="json"
    )
    assert corrected.status_code == 200 and corrected.json()["rectified_on"] == "2026-03-18"
    reopened = li.post(f"/api/v1/hazards/{hazard.pk}/rectify/", {"rectified_on": None, "version": 3}, format="json")
    assert reopened.status_code == 200 and reopened.json()["rectified_on"] is None
    hazard.refresh_from_db()
    assert hazard.version == 4
    history = [(h.rectified_on, h.history_user) for h in hazard.history.order_by("history_date", "history_id")]
    assert history[1:] == [(date(2026, 3, 20), cast.li), (date(2026, 3, 18), cast.zhao), (None, cast.li)]


def test_a_rectification_without_a_version_is_refused(cast: Cast, places: Places) -> None:
    hazard: Any = HazardFactory(area=places.sifang)
    response = _api(cast.li).post(
        f"/api/v1/hazards/{hazard.pk}/rectify/", {"rectified_on": "2026-03-20"}, format="json"
    )
    assert response.status_code == 400 and "version" in response.json()


def test_a_rectified_hazard_can_be_corrected_on_the_page(client: Client, cast: Cast, places: Places) -> None:
    hazard: Any = HazardFactory(area=places.sifang, rectified_on=date(2026, 3, 20))
    client.force_login(cast.li)
    page = client.get("/governance/hazards/").content.decode()
    assert "更正日期" in page
    refused = client.post(
        f"/governance/hazards/{hazard.pk}/rectify/",
        {"rectified_on": "2099-01-01", "version": 1},
        HTTP_HX_REQUEST="true",
    )
    assert refused.status_code == 400 and "晚于今天" in refused.content.decode()
    assert 'value="2099-01-01"' in refused.content.decode()  # what was typed stays
    client.post(f"/governance/hazards/{hazard.pk}/rectify/", {"rectified_on": "2026-03-19", "version": 1})
    hazard.refresh_from_db()
    assert (hazard.rectified_on, hazard.version) == (date(2026, 3, 19), 2)


@pytest.mark.parametrize("received_on", ["2099-12-31", "1999-12-31"])
def test_a_dispute_received_in_2099_or_before_the_floor_is_refused(
    cast: Cast, places: Places, received_on: str
) -> None:
    response = _api(cast.li).post(
        "/api/v1/disputes/",
        {"category": "neighbours", "area": places.sifang.pk, "summary": "邻里纠纷", "received_on": received_on},
        format="json",
    )
    assert response.status_code == 400 and received_on in response.json()["received_on"][0]
    assert not Dispute.objects.exists()


def test_a_dispute_step_cannot_be_dated_in_the_future(cast: Cast, places: Places) -> None:
    dispute: Any = DisputeFactory(area=places.sifang)
    response = _api(cast.li).post(
        f"/api/v1/disputes/{dispute.pk}/move/",
        {"to_status": "mediating", "on": "2099-01-01", "version": 1},
        format="json",
    )
    assert response.status_code == 400 and "晚于今天" in response.json()["on"][0]


def test_a_dispute_summary_of_a_megabyte_is_refused(cast: Cast, places: Places) -> None:
    response = _api(cast.li).post(
        "/api/v1/disputes/",
        {"category": "neighbours", "area": places.sifang.pk, "summary": "纠" * 340_000, "received_on": "2026-03-10"},
        format="json",
    )
    assert response.status_code == 400 and "2000" in response.json()["summary"][0]


def test_a_mediator_is_one_of_the_subdistricts_people(cast: Cast, places: Places) -> None:
    response = _api(cast.li).post(
        "/api/v1/disputes/",
        {
            "category": "neighbours",
            "area": places.sifang.pk,
            "summary": "邻里纠纷",
            "received_on": "2026-03-10",
            "mediator": cast.api.pk,
        },
        format="json",
    )
    assert response.status_code == 400 and "mediator" in response.json()


@pytest.mark.parametrize("offset, status", [(0, 201), (1, 201), (2, 400), (-1, 400)])
def test_a_zero_report_is_sent_for_today_or_yesterday_only(
    cast: Cast, places: Places, offset: int, status: int
) -> None:
    day = _today() - timedelta(days=offset)
    response = _api(cast.li).post(
        "/api/v1/zero-reports/", {"village": places.sifang.pk, "day": str(day)}, format="json"
    )
    assert response.status_code == status, response.json()
    if status == 400:
        assert ZeroReport.objects.count() == 0
        assert "今天或昨天" in str(response.json()) or "晚于今天" in str(response.json())


@pytest.mark.parametrize("day", ["2099-01-01", "2025-01-01"])
def test_a_zero_report_for_2099_or_back_dated_to_2025_is_refused(cast: Cast, places: Places, day: str) -> None:
    response = _api(cast.li).post("/api/v1/zero-reports/", {"village": places.sifang.pk, "day": day}, format="json")
    assert response.status_code == 400
    assert not ZeroReport.objects.exists()


@pytest.mark.parametrize("phone", ["abc", "1381234", "0579-0000"])
def test_a_landlord_phone_that_is_not_a_mainland_number_is_refused(cast: Cast, places: Places, phone: str) -> None:
    response = _api(cast.li).post(
        "/api/v1/rental-houses/",
        {"area": places.sifang_grid.pk, "address": "四方路9号", "landlord": "张建华", "landlord_phone": phone},
        format="json",
    )
    assert response.status_code == 400 and "手机号" in response.json()["landlord_phone"][0]
    assert not RentalHouse.objects.exists()


def test_a_landline_with_its_area_code_is_a_landlord_phone(cast: Cast, places: Places) -> None:
    response = _api(cast.li).post(
        "/api/v1/rental-houses/",
        {
            "area": places.sifang_grid.pk,
            "address": "四方路9号",
            "landlord": "张建华",
            "landlord_phone": "0579-87654321",
        },
        format="json",
    )
    assert response.status_code == 201


@pytest.mark.parametrize("rooms", [0, 10_000])
def test_a_rental_house_has_a_sane_number_of_rooms(cast: Cast, places: Places, rooms: int) -> None:
    response = _api(cast.li).post(
        "/api/v1/rental-houses/",
        {"area": places.sifang_grid.pk, "address": "四方路9号", "landlord": "张建华", "rooms": rooms},
        format="json",
    )
    assert response.status_code == 400 and "rooms" in response.json()


def test_a_rental_house_patch_with_a_made_up_version_is_a_409(cast: Cast, sifang_house: Any) -> None:
    response = _api(cast.li).patch(
        f"/api/v1/rental-houses/{sifang_house.pk}/", {"rooms": 6, "version": 99}, format="json"
    )
    assert response.status_code == 409 and response.json()["version"] == 1
    sifang_house.refresh_from_db()
    assert (sifang_house.rooms, sifang_house.version) == (4, 1)


def test_a_rental_house_patch_needs_the_version_and_then_bumps_it(cast: Cast, sifang_house: Any) -> None:
    client = _api(cast.li)
    assert client.patch(f"/api/v1/rental-houses/{sifang_house.pk}/", {"rooms": 6}, format="json").status_code == 400
    response = client.patch(f"/api/v1/rental-houses/{sifang_house.pk}/", {"rooms": 6, "version": 1}, format="json")
    assert response.status_code == 200 and response.json()["version"] == 2 and response["ETag"] == '"2"'


def test_a_migrant_phone_must_be_a_mainland_number(cast: Cast, sifang_house: Any) -> None:
    response = _api(cast.li).post(
        "/api/v1/migrants/",
        {
            "house": sifang_house.pk,
            "name": "张三",
            "id_number": id_number(1),
            "registered_on": "2026-03-10",
            "phone": "abc",
        },
        format="json",
    )
    assert response.status_code == 400 and "phone" in response.json()


def test_a_migrant_registered_in_the_future_is_refused(cast: Cast, sifang_house: Any) -> None:
    response = _api(cast.li).post(
        "/api/v1/migrants/",
        {"house": sifang_house.pk, "name": "张三", "id_number": id_number(1), "registered_on": "2099-03-10"},
        format="json",
    )
    assert response.status_code == 400 and "registered_on" in response.json()
