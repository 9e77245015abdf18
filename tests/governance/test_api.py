"""The governance API: scope, writes through services, filters shared with the web."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from rest_framework.test import APIClient

from governance.models import Dispute, Hazard, Inspection, Migrant, ZeroReport
from tests.conftest import Cast, Places, assert_role_matrix, login
from tests.governance.factories import DisputeFactory, HazardFactory, id_number, wrong_check_digit
from xicheng import clock

pytestmark = pytest.mark.django_db


def test_the_migrant_list_answers_each_role(cast: Cast, sifang_house: Any) -> None:
    assert_role_matrix(
        cast,
        "get",
        "/api/v1/migrants/",
        {
            "anonymous": 401,
            "nobody": 403,
            "li": 200,
            "wang": 200,
            "zhao": 200,
            "admin": 200,
            "auditor": 403,
            "sysadmin": 403,
            "api": 200,
        },
        api=True,
    )


def test_registering_a_migrant_answers_each_role(cast: Cast, sifang_house: Any) -> None:
    data = {"house": sifang_house.pk, "name": "张三", "id_number": id_number(1), "registered_on": "2026-03-10"}
    assert_role_matrix(
        cast,
        "post",
        "/api/v1/migrants/",
        # 王 serves 飞凤社区: the house is not one he may choose.
        {
            "anonymous": 401,
            "nobody": 403,
            "li": 201,
            "wang": 400,
            "zhao": 201,
            "admin": 201,
            "auditor": 403,
            "sysadmin": 403,
            "api": 403,
        },
        data=data,
        api=True,
    )


def test_a_wrong_id_check_digit_is_refused_by_the_api(api_client: APIClient, cast: Cast, sifang_house: Any) -> None:
    api_client.force_login(cast.li)
    data = {
        "house": sifang_house.pk,
        "name": "张三",
        "id_number": wrong_check_digit(id_number(1)),
        "registered_on": "2026-03-10",
    }
    response = api_client.post("/api/v1/migrants/", data, format="json")
    assert response.status_code == 400 and "校验位错误" in response.content.decode()
    assert not Migrant.objects.exists()


def test_an_inspection_with_no_force_is_refused_by_the_api(
    api_client: APIClient, cast: Cast, sifang_house: Any
) -> None:
    api_client.force_login(cast.li)
    data = {"house": sifang_house.pk, "inspected_on": "2026-03-10", "forces": []}
    assert api_client.post("/api/v1/inspections/", data, format="json").status_code == 400
    data["forces"] = ["police", "grid"]
    response = api_client.post("/api/v1/inspections/", data, format="json")
    assert response.status_code == 201, response.content
    assert sorted(response.json()["forces"]) == ["grid", "police"]
    assert Inspection.objects.get().inspector == cast.li


def test_a_deadline_before_the_found_date_is_refused_by_the_api(
    api_client: APIClient, cast: Cast, sifang_house: Any
) -> None:
    api_client.force_login(cast.li)
    data = {"house": sifang_house.pk, "category": "fire", "found_on": "2026-03-10", "deadline": "2026-03-09"}
    response = api_client.post("/api/v1/hazards/", data, format="json")
    assert response.status_code == 400 and not Hazard.objects.exists()


def test_a_second_zero_report_is_refused_by_the_api(api_client: APIClient, cast: Cast, places: Places) -> None:
    api_client.force_login(cast.li)
    data = {"village": places.sifang.pk, "day": clock.today().isoformat(), "incidents": 0}
    assert api_client.post("/api/v1/zero-reports/", data, format="json").status_code == 201
    response = api_client.post("/api/v1/zero-reports/", data, format="json")
    assert response.status_code == 400 and "不能重复报送" in response.content.decode()
    assert ZeroReport.objects.count() == 1


def test_a_cadre_cannot_see_or_change_another_villages_hazard_by_api(
    api_client: APIClient, cast: Cast, places: Places
) -> None:
    hazard = HazardFactory(area=places.feifeng_grid)
    api_client.force_login(cast.li)
    assert api_client.get(f"/api/v1/hazards/{hazard.pk}/").status_code == 404
    assert api_client.post(f"/api/v1/hazards/{hazard.pk}/rectify/", {"rectified_on": "2026-03-20"}).status_code == 404
    assert api_client.get("/api/v1/hazards/").json()["count"] == 0


def test_hazards_are_rectified_through_the_api(api_client: APIClient, cast: Cast, places: Places) -> None:
    hazard = HazardFactory(area=places.sifang_grid)
    api_client.force_login(cast.li)
    response = api_client.post(f"/api/v1/hazards/{hazard.pk}/rectify/", {"rectified_on": "2026-03-20", "version": 1})
    assert response.status_code == 200 and response.json()["rectified_on"] == "2026-03-20"
    stale = api_client.post(f"/api/v1/hazards/{hazard.pk}/rectify/", {"rectified_on": "2026-03-21", "version": 1})
    assert stale.status_code == 409


def test_disputes_move_through_the_api(api_client: APIClient, cast: Cast, places: Places) -> None:
    dispute = DisputeFactory(area=places.sifang_grid)
    api_client.force_login(cast.li)
    response = api_client.post(
        f"/api/v1/disputes/{dispute.pk}/move/", {"to_status": "escalated", "on": "2026-03-11", "version": 1}
    )
    assert response.status_code == 200
    assert Dispute.objects.get().escalated_on == date(2026, 3, 11)
    wrong = api_client.post(
        f"/api/v1/disputes/{dispute.pk}/move/", {"to_status": "resolved", "on": "2026-03-12", "version": 2}
    )
    assert wrong.status_code == 400


def test_the_api_filters_like_the_web(api_client: APIClient, cast: Cast, places: Places) -> None:
    HazardFactory(area=places.sifang_grid, category="gas")
    HazardFactory(area=places.feifeng_grid, category="fire")
    api_client.force_login(cast.zhao)
    assert api_client.get("/api/v1/hazards/?category=gas").json()["count"] == 1
    assert api_client.get(f"/api/v1/hazards/?area={places.feifeng.pk}").json()["count"] == 1
    assert api_client.get("/api/v1/hazards/?found_after=2026-04-01").json()["count"] == 0


def test_nothing_is_deleted_through_the_api(api_client: APIClient, cast: Cast, places: Places) -> None:
    hazard = HazardFactory(area=places.sifang_grid)
    login(api_client, cast.admin)
    assert api_client.delete(f"/api/v1/hazards/{hazard.pk}/").status_code == 405
