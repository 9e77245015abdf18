"""The projects API answers what its schema documents."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Cast, Places
from tests.openapi import assert_matches_schema
from tests.projects.conftest import Site
from tests.projects.factories import HouseholdFactory

pytestmark = pytest.mark.django_db


def test_a_household_without_a_squad_has_no_squad_name(api_client: Any, cast: Cast, places: Places, site: Site) -> None:
    lone = HouseholdFactory(project=site.project, squad=None, area=places.yuehongwan)
    api_client.force_login(cast.zhao)
    response = api_client.get(f"/api/v1/households/{lone.pk}/")
    assert (response.json()["squad"], response.json()["squad_name"]) == (None, None)
    assert_matches_schema(response, "/api/v1/households/{id}/")
    listed = api_client.get("/api/v1/households/")
    assert {h["squad_name"] for h in listed.json()["results"]} == {None, "第一攻坚小组"}
    assert_matches_schema(listed, "/api/v1/households/")
