"""Governance lists cost a fixed number of queries whatever the data size."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from governance.dashboard import collect_alerts, village_ranking
from governance.models import Dispute, Hazard, Inspection, Migrant, RentalHouse, ZeroReport
from tests.conftest import Cast, Places, count_queries
from tests.governance.factories import id_number
from xicheng import facts
from xicheng.periods import Period
from xicheng.personal import blind_index

pytestmark = pytest.mark.django_db


def _migrants(house: RentalHouse, n: int, start: int) -> None:
    Migrant.objects.bulk_create(
        [
            Migrant(
                house=house,
                name=f"外来{i}",
                id_number=id_number(i),
                id_number_index=blind_index(id_number(i)),
                phone="13500000000",
                registered_on=date(2026, 3, 1),
            )
            for i in range(start, start + n)
        ],
        batch_size=2000,
    )


# Pinned (as Zulip does): equal at two sizes proves a page flat; the number also catches one query more.
# The area filter is a search box (#13): no query for every area. Each page's header counts the
# user's unread notifications (督办): one query; *my work* also lists the cases to acknowledge.
MIGRANT_QUERIES = {
    "/governance/migrants/": 11,
    "/api/v1/migrants/": 9,
    "/governance/migrants/?area={area}&page=2": 12,
    "/api/v1/migrants/?page_size=100": 9,
}
PAGE_QUERIES = {
    "/governance/": 10,
    "/governance/houses/": 11,
    "/governance/inspections/": 11,
    "/governance/hazards/?overdue=true": 11,
    "/governance/disputes/": 11,
    "/governance/zero-reports/": 11,
    "/governance/zero-reports/missing/": 9,
    "/governance/migrants/duplicates/": 9,
    "/my/": 17,
    "/api/v1/rental-houses/": 9,
    "/api/v1/inspections/": 9,
    "/api/v1/hazards/": 9,
    "/api/v1/disputes/": 9,
    "/api/v1/zero-reports/": 9,
}
# The ranking reads its metrics' whole months in one query and the days of the month under way in
# another; on a month's last day the half-year so far is whole months, and the second is not needed.
PART_QUERIES = {"village_ranking": 6, "collect_alerts": 3}


@pytest.mark.parametrize(
    "url",
    [
        "/governance/migrants/",
        "/api/v1/migrants/",
        "/governance/migrants/?area={area}&page=2",
        "/api/v1/migrants/?page_size=100",
    ],
)
def test_the_migrant_list_costs_the_same_for_30_and_30000_migrants(
    client: Client, cast: Cast, places: Places, url: str
) -> None:
    house = RentalHouse.objects.create(area=places.sifang_grid, address="四方路1号", landlord="张")
    pinned = MIGRANT_QUERIES[url]
    url = url.format(area=places.sifang.pk)
    client.force_login(cast.li)
    _migrants(house, 60, 0)
    small = count_queries(lambda: client.get(url))
    _migrants(house, 30000 - 60, 60)
    response = client.get(url)
    assert response.status_code == 200
    large = count_queries(lambda: client.get(url))
    assert small == large == pinned, (small, large, pinned)


def _grow(places: Places, cast: Cast, n: int) -> None:
    today = timezone.localdate()
    houses = RentalHouse.objects.bulk_create(
        [RentalHouse(area=places.sifang_grid, address=f"四方路{i}号", landlord="张") for i in range(n)]
    )
    houses = list(RentalHouse.objects.order_by("-pk")[:n])
    Inspection.objects.bulk_create(
        [Inspection(house=h, inspected_on=today, inspector=cast.li, with_grid=True) for h in houses]
    )
    Hazard.objects.bulk_create(
        [
            Hazard(
                house=h,
                area=places.sifang_grid,
                category="fire",
                found_on=today - timedelta(days=40),
                deadline=today - timedelta(days=10),
            )
            for h in houses
        ]
    )
    Dispute.objects.bulk_create(
        [
            Dispute(category="other", area=places.sifang_grid, summary="纠纷", received_on=today - timedelta(days=45))
            for _ in houses
        ]
    )
    start = ZeroReport.objects.count()
    ZeroReport.objects.bulk_create(
        [ZeroReport(village=places.sifang, day=today - timedelta(days=start + i + 1)) for i in range(n)]
    )


@pytest.mark.parametrize(
    "url",
    [
        "/governance/",
        "/governance/houses/",
        "/governance/inspections/",
        "/governance/hazards/?overdue=true",
        "/governance/disputes/",
        "/governance/zero-reports/",
        "/governance/zero-reports/missing/",
        "/governance/migrants/duplicates/",
        "/my/",
        "/api/v1/rental-houses/",
        "/api/v1/inspections/",
        "/api/v1/hazards/",
        "/api/v1/disputes/",
        "/api/v1/zero-reports/",
    ],
)
def test_governance_pages_cost_the_same_for_5_and_60_rows(client: Client, cast: Cast, places: Places, url: str) -> None:
    client.force_login(cast.li)
    _grow(places, cast, 5)
    small = count_queries(lambda: client.get(url))
    _grow(places, cast, 55)
    assert client.get(url).status_code == 200
    large = count_queries(lambda: client.get(url))
    assert small == large == PAGE_QUERIES[url], (small, large)


@pytest.mark.parametrize("build", [village_ranking, collect_alerts])
def test_the_dashboard_parts_cost_the_same_for_5_and_60_rows(
    cast: Cast, places: Places, build: Callable[..., Any]
) -> None:
    today = timezone.localdate()
    args = (cast.zhao, Period.half_year_of(today), today) if build is village_ranking else (cast.zhao, today)
    _grow(places, cast, 5)
    build(*args)  # the user's roles and areas are read once per user object
    small = count_queries(lambda: build(*args))
    _grow(places, cast, 55)
    large = count_queries(lambda: build(*args))
    expected = PART_QUERIES[build.__name__]
    if build is village_ranking and facts.split(args[1], today)[1] is None:
        expected -= 1  # a month's last day: no days to read
    assert small == large == expected, (small, large)
