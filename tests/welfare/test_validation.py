"""Facts that can happen in welfare: an elder enrolled in 2099 or born in 3000, a delivery before
the floor, a 1 MB finding, a change without its version: each a 400 with a clear message."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.conftest import Cast
from tests.welfare.factories import DAY, SafetyCheckFactory, World
from welfare.models import Elder

pytestmark = pytest.mark.django_db


def _api(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _elder(world: World, **changes: Any) -> dict[str, Any]:
    data = {"name": "应金花", "village": world.sifang.pk, "birth_year": 1942, "enrolled_on": "2026-03-01"}
    data.update(changes)
    return data


@pytest.mark.parametrize(
    "change, field",
    [
        ({"enrolled_on": "2099-01-01"}, "enrolled_on"),
        ({"enrolled_on": "1999-01-01"}, "enrolled_on"),
        ({"birth_year": 3000}, "birth_year"),
        ({"birth_year": 1800}, "birth_year"),
        ({"phone": "abc"}, "phone"),
        ({"emergency_contact": "儿子" * 100}, "emergency_contact"),
    ],
    ids=["enrolled-2099", "enrolled-1999", "born-3000", "born-1800", "phone-abc", "contact-too-long"],
)
def test_an_impossible_elder_is_a_400_naming_the_field(
    world: World, cast: Cast, change: dict[str, Any], field: str
) -> None:
    response = _api(cast.li).post("/api/v1/elders/", _elder(world, **change), format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()
    assert not Elder.objects.filter(name="应金花").exists()


def test_the_enrolment_page_says_what_is_wrong_in_chinese(client: Client, world: World, cast: Cast) -> None:
    client.force_login(cast.li)
    response = client.post("/welfare/elders/new/", _elder(world, birth_year=3000, enrolled_on="2099-01-01"))
    page = response.content.decode()
    assert response.status_code == 400
    assert "3000 晚于今年" in page and "2099-01-01 晚于今天" in page
    assert "应金花" in page  # what was typed stays


def test_a_delivery_before_the_floor_is_refused(world: World, cast: Cast) -> None:
    elders = world.sifang_elders
    response = _api(cast.li).post(
        "/api/v1/meal-deliveries/",
        {
            "center": world.center.pk,
            "village": world.sifang.pk,
            "day": "1999-03-02",
            "delivered_at": "10:35",
            "courier": "胡师傅",
            "receipts": [{"elder": e.pk, "outcome": "delivered"} for e in elders],
        },
        format="json",
    )
    assert response.status_code == 400 and "1999-03-02" in str(response.json())


def test_a_courier_name_longer_than_the_column_is_refused_not_cut(client: Client, world: World, cast: Cast) -> None:
    client.force_login(cast.li)
    data = world.post_data()
    data[f"c-{world.sifang.pk}"] = "胡" * 60
    response = client.post(f"/welfare/centres/{world.center.pk}/sheet/{DAY.isoformat()}/", data)
    assert response.status_code == 400 and "超过 50 个字" in response.content.decode()


def test_leaving_needs_the_version_read(world: World, cast: Cast) -> None:
    url = f"/api/v1/elders/{world.alone.pk}/leave/"
    client = _api(cast.li)
    assert client.post(url, {"left_on": "2026-06-01"}, format="json").status_code == 400
    assert client.post(url, {"left_on": "2026-06-01", "version": 7}, format="json").status_code == 409
    assert client.post(url, {"left_on": "2026-06-01", "version": 1}, format="json").status_code == 200


def test_a_safety_check_follow_up_needs_the_version_and_a_sane_finding(world: World, cast: Cast) -> None:
    check: Any = SafetyCheckFactory(elder=world.alone)
    url = f"/api/v1/safety-checks/{check.pk}/resolve/"
    client = _api(cast.li)
    assert client.post(url, {"finding": "已电话联系，老人在女儿家"}, format="json").status_code == 400
    too_long = client.post(url, {"finding": "查" * 340_000, "version": 1}, format="json")
    assert too_long.status_code == 400 and "2000" in too_long.json()["finding"][0]
    assert client.post(url, {"finding": "已电话联系，老人在女儿家", "version": 1}, format="json").status_code == 200
