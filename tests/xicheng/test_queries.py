"""Lists cost a fixed number of queries whatever the data size."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.conftest import Cast, Places, count_queries
from tests.factories import IndicatorFactory, ManualReadingFactory, TargetFactory, TaskFactory

pytestmark = pytest.mark.django_db


def _targets(n: int, places: Places) -> None:
    areas = [places.xicheng, places.sifang, places.feifeng, places.zone]
    for i in range(n):
        indicator = IndicatorFactory()
        TargetFactory(indicator=indicator, area=areas[i % len(areas)], value=100 + i)
        ManualReadingFactory(indicator=indicator, area=places.sifang_grid, value=i)


# Pinned (as Zulip does): equal at two sizes proves a page flat; the number also catches one query more.
# Each page's header counts the unread notifications (督办): one query; *my work* also lists the
# cases to acknowledge.
QUERIES = {
    "/targets/?as_of=2026-09-30": 14,
    "/api/v1/targets/?as_of=2026-09-30&page_size=500": 10,
    "/tasks/": 14,  # the area filter is a search box: no query for every area
    "/my/": 16,
    "/api/v1/tasks/": 9,
}


@pytest.mark.parametrize("url", ["/targets/?as_of=2026-09-30", "/api/v1/targets/?as_of=2026-09-30&page_size=500"])
def test_the_target_list_costs_the_same_for_10_and_200_targets(
    client: Client, cast: Cast, places: Places, url: str
) -> None:
    client.force_login(cast.zhao)
    _targets(10, places)
    small = count_queries(lambda: client.get(url))
    _targets(190, places)
    response = client.get(url)
    assert response.status_code == 200
    large = count_queries(lambda: client.get(url))
    assert small == large == QUERIES[url], (small, large)


@pytest.mark.parametrize("url", ["/tasks/", "/my/", "/api/v1/tasks/"])
def test_task_lists_cost_the_same_for_5_and_100_tasks(client: Client, cast: Cast, places: Places, url: str) -> None:
    client.force_login(cast.li)

    def make(n: int) -> None:
        for _ in range(n):
            TaskFactory(area=places.sifang, lead_leader=cast.zhao, responsible=cast.li)

    make(5)
    small = count_queries(lambda: client.get(url))
    make(95)
    large = count_queries(lambda: client.get(url))
    assert small == large == QUERIES[url], (small, large)


def test_the_web_target_list_shows_the_numbers(client: Client, cast: Cast, places: Places) -> None:
    target: Any = TargetFactory(area=places.xicheng, value=200, indicator=IndicatorFactory(name="新增市场主体"))
    ManualReadingFactory(indicator=target.indicator, area=places.sifang, value=50)
    client.force_login(cast.zhao)
    page = client.get("/targets/?as_of=2026-09-30").content.decode()
    assert "新增市场主体" in page
    assert 'data-light="red"' in page  # 25 % done against 50 % expected
