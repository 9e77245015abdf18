"""The governance API answers what its schema documents."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Cast, Places
from tests.governance.factories import MigrantFactory, RentalHouseFactory, id_number
from tests.openapi import assert_matches_schema, openapi

pytestmark = pytest.mark.django_db


def test_the_id_number_search_answers_a_plain_list_as_documented(api_client: Any, cast: Cast, places: Places) -> None:
    schema = openapi()["paths"]["/api/v1/migrants/search/"]["post"]["responses"]["200"]["content"]
    assert schema["application/json"]["schema"]["type"] == "array"
    house = RentalHouseFactory(area=places.sifang_grid)
    MigrantFactory(house=house, id_number=id_number(7), name="张外来")
    api_client.force_login(cast.li)
    response = api_client.post("/api/v1/migrants/search/", {"id_number": id_number(7)}, format="json")
    assert [m["name"] for m in response.json()] == ["张外来"]
    assert_matches_schema(response, "/api/v1/migrants/search/", "POST")


def test_an_id_number_sent_as_a_number_is_refused(api_client: Any, cast: Cast) -> None:
    api_client.force_login(cast.li)
    response = api_client.post("/api/v1/migrants/search/", {"id_number": 0}, format="json")
    assert response.status_code == 400
    assert "id_number" in response.json()
