"""The livelihood API answers what its schema documents."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Cast
from tests.openapi import assert_matches_schema, openapi
from tests.welfare.factories import DAY, World

pytestmark = pytest.mark.django_db


def _delivery(world: World, delivered_at: str) -> dict[str, Any]:
    return {
        "center": world.center.pk,
        "village": world.sifang.pk,
        "day": DAY.isoformat(),
        "delivered_at": delivered_at,
        "courier": "胡师傅",
        "receipts": [{"elder": e.pk, "outcome": "delivered"} for e in world.sifang_elders],
    }


def test_a_delivery_time_is_a_wall_clock_time_as_documented(api_client: Any, cast: Cast, world: World) -> None:
    # OpenAPI's `format: time` demands an offset; the schema gives the pattern the times follow.
    documented = openapi()["components"]["schemas"]["MealDelivery"]["properties"]["delivered_at"]
    assert "format" not in documented and documented["pattern"]
    api_client.force_login(cast.li)
    created = api_client.post("/api/v1/meal-deliveries/", _delivery(world, "10:18"), format="json")
    assert created.status_code == 201 and created.json()["delivered_at"] == "10:18:00"
    assert_matches_schema(created, "/api/v1/meal-deliveries/", "POST")
    assert_matches_schema(api_client.get("/api/v1/meal-deliveries/"), "/api/v1/meal-deliveries/")


@pytest.mark.parametrize("delivered_at", ["10:18:00+08:00", "25:00", "10点18分", ""])
def test_a_delivery_time_not_written_hh_mm_is_refused(
    api_client: Any, cast: Cast, world: World, delivered_at: str
) -> None:
    api_client.force_login(cast.li)
    response = api_client.post("/api/v1/meal-deliveries/", _delivery(world, delivered_at), format="json")
    assert response.status_code == 400
    assert "delivered_at" in response.json()
