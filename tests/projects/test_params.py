"""Projects, squads and milestones read `as_of` like every other figure: an impossible day is a 400
naming it (API) or a Chinese message (pages), never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.conftest import Cast
from tests.projects.conftest import Site
from tests.projects.factories import MilestoneFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("endpoint", ["projects", "squads", "milestones"])
@pytest.mark.parametrize("as_of", ["2026-13-40", "0001-01-01", "notadate"])
def test_an_impossible_as_of_is_a_400_naming_it(
    api_client: Any, cast: Cast, site: Site, endpoint: str, as_of: str
) -> None:
    MilestoneFactory(project=site.project)
    api_client.force_login(cast.zhao)
    for url in (f"/api/v1/{endpoint}/", f"/api/v1/{endpoint}/{_first(api_client, endpoint)}/"):
        response = api_client.get(f"{url}?as_of={as_of}")
        assert response.status_code == 400, url
        assert "截至日期（as_of）" in response.json()["as_of"][0]


def _first(api_client: Any, endpoint: str) -> int:
    return int(api_client.get(f"/api/v1/{endpoint}/").json()["results"][0]["id"])


def test_the_project_pages_say_why_they_cannot_show_a_day(client: Client, cast: Cast, site: Site) -> None:
    client.force_login(cast.zhao)
    for url in ("/projects/", f"/projects/{site.project.pk}/"):
        response = client.get(f"{url}?as_of=2026-13-40")
        assert response.status_code == 400, url
        assert "日历上没有 2026-13-40 这一天" in response.content.decode()
