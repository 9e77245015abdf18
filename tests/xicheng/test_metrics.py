"""The metric registry: one query for every area and period, rolled up the tree; weekly series."""

from __future__ import annotations

from datetime import date

import pytest
from django.db.models import Q

from tests.conftest import Cast, Places, count_queries
from tests.factories import IndicatorFactory, ManualReadingFactory
from xicheng import metrics
from xicheng.models import ManualReading
from xicheng.periods import Period

pytestmark = pytest.mark.django_db

H2 = Period.half_year(2026, 2)
Q3 = Period.quarter(2026, 3)

READINGS = metrics.Metric(
    key="test.readings",
    label="readings",
    unit="家",
    model=ManualReading,
    date_field="on",
    area="area",
    how="sum",
    field="value",
    filter=Q(value__gt=0),
)


@pytest.fixture
def readings(cast: Cast, places: Places) -> None:
    indicator = IndicatorFactory()
    for area, on, value in [
        (places.sifang, date(2026, 7, 6), 10),
        (places.yuehongwan, date(2026, 7, 13), 5),
        (places.feifeng_grid, date(2026, 8, 2), 7),
        (places.feifeng, date(2026, 11, 1), 100),
        (places.dongcheng, date(2026, 7, 10), 1000),
    ]:
        ManualReadingFactory(indicator=indicator, area=area, on=on, value=value)


def test_values_for_several_periods_come_in_one_query(readings: None, places: Places) -> None:
    result: dict[Period, dict[int, float]] = {}

    def run() -> None:
        result.update(metrics.values_by_area(READINGS, [H2, Q3], date(2026, 12, 31)))

    assert count_queries(run) == 1
    rolled = metrics.rolled_up(result[H2], metrics.area_paths())
    assert rolled[places.xicheng.path] == 122
    assert rolled[places.sifang.path] == 15
    assert rolled[places.city.path] == 1122
    assert metrics.rolled_up(result[Q3], metrics.area_paths())[places.xicheng.path] == 22


def test_as_of_leaves_out_later_rows(readings: None, places: Places) -> None:
    assert metrics.value_for(READINGS, H2, places.xicheng, date(2026, 7, 31)) == 15
    assert metrics.value_for(READINGS, H2, places.xicheng, date(2026, 6, 30)) == 0


def test_the_weekly_series_is_cumulative_at_each_sunday(readings: None, places: Places) -> None:
    series = metrics.weekly_series(READINGS, H2, date(2026, 7, 31), area=places.xicheng)
    assert series[:3] == [(date(2026, 7, 5), 0), (date(2026, 7, 12), 10), (date(2026, 7, 19), 15)]
    assert series[-1] == (date(2026, 7, 31), 15)


def test_a_metric_key_is_registered_once() -> None:
    registry = metrics.MetricRegistry()
    registry.register(READINGS)
    with pytest.raises(ValueError, match="registered twice"):
        registry.register(metrics.Metric(**{**READINGS.__dict__, "how": "count"}))


def test_values_can_be_limited_to_subtrees(readings: None, places: Places) -> None:
    values = metrics.values_by_area(
        READINGS, [H2], date(2026, 12, 31), within=[places.sifang.path, places.yuehongwan.path]
    )
    assert metrics.rolled_up(values[H2], metrics.area_paths())[places.xicheng.path] == 15


def test_outermost_keeps_the_subtrees_that_cover_the_rest() -> None:
    assert metrics.outermost(["00010001", "000100010002", "00010002", "0001000100020003"]) == ["00010001", "00010002"]
