"""The household lists and the project page cost the same for 20 households as for 2,000."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from projects.models import Household
from tests.conftest import Cast, count_queries, login
from tests.projects.conftest import Site

pytestmark = pytest.mark.django_db


def _households(site: Site, n: int) -> None:
    rows = []
    for i in range(n):
        signed = i % 3 == 0
        rows.append(
            Household(
                project=site.project,
                squad=site.squad,
                area=site.project.area,
                address=f"批量{i}号",
                owner_name="楼国平",
                owner_phone="13900001111",
                problem_loan=i % 7 == 0,
                status="signed" if signed else "evaluated",
                evaluated_on=date(2026, 4, 10),
                signed_on=date(2026, 6, 1) if signed else None,
                last_step_on=date(2026, 6, 1) if signed else date(2026, 4, 10),
                created_on=date(2026, 4, 1),
            )
        )
    Household.objects.bulk_create(rows)


# Pinned (as Zulip does): equal at two sizes proves a page flat; the number also catches one query more.
# The area filter is a search box (#13): no query for every area. Each page's header counts the
# user's unread notifications (督办): one query; *my work* also lists the cases to acknowledge.
QUERIES = {
    "wang": {
        "/projects/households/": 14,
        "/projects/households/?problem=any&status=evaluated": 14,
        "/api/v1/households/?page_size=500": 9,
        "/projects/{project}/": 14,
        "/api/v1/projects/{project}/": 9,
        "/api/v1/squads/": 12,
        "/my/": 19,
    },
    "zhao": {
        "/projects/households/": 14,
        "/projects/households/?problem=any&status=evaluated": 14,
        "/api/v1/households/?page_size=500": 8,
        "/projects/{project}/": 13,
        "/api/v1/projects/{project}/": 8,
        "/api/v1/squads/": 11,
        "/my/": 15,
    },
}


@pytest.mark.parametrize(
    "url",
    [
        "/projects/households/",
        "/projects/households/?problem=any&status=evaluated",
        "/api/v1/households/?page_size=500",
        "/projects/{project}/",
        "/api/v1/projects/{project}/",
        "/api/v1/squads/",
        "/my/",
    ],
)
@pytest.mark.parametrize("who", ["wang", "zhao"])
def test_lists_and_the_project_page_cost_the_same_for_20_and_2000_households(
    client: Client, site: Site, cast: Cast, url: str, who: str
) -> None:
    login(client, cast[who])
    pinned = QUERIES[who][url]
    url = url.format(project=site.project.pk)
    _households(site, 19)
    assert client.get(url).status_code == 200
    small = count_queries(lambda: client.get(url))
    _households(site, 1980)
    large = count_queries(lambda: client.get(url))
    assert small == large == pinned, (small, large, pinned)
