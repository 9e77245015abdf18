"""The metric facts' kernel: kept with a toolkit write (a house moved carries its inspections),
rebuilt and verified by `manage.py rebuild_facts` and by the worker's task."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.management import call_command

from governance.models import Inspection
from tests.conftest import Cast, Places
from tests.governance.factories import InspectionFactory, RentalHouseFactory
from xicheng import facts, metrics, tasks
from xicheng.models import MetricFact, MetricMonth
from xicheng.periods import Period

pytestmark = pytest.mark.django_db

KEY = "governance.inspections"


def _facts() -> dict[tuple[int, date], float]:
    return {(f.area_id, f.day): float(f.value) for f in MetricFact.objects.filter(metric=KEY).exclude(value=0)}


def test_a_house_moved_to_another_grid_takes_its_inspections_facts_along(places: Places, cast: Cast) -> None:
    house = RentalHouseFactory(area=places.sifang_grid)
    InspectionFactory(house=house, inspected_on=date(2026, 3, 10), inspector=cast.li)
    InspectionFactory(house=house, inspected_on=date(2026, 3, 10), inspector=cast.li)
    assert _facts() == {(places.sifang_grid.pk, date(2026, 3, 10)): 2.0}
    house.area = places.feifeng_grid
    house.save()
    assert _facts() == {(places.feifeng_grid.pk, date(2026, 3, 10)): 2.0}
    assert facts.differences() == []


def test_a_month_keeps_its_days_added_up_and_a_period_reads_whole_months_from_it(places: Places, cast: Cast) -> None:
    house = RentalHouseFactory(area=places.sifang_grid)
    for day in (date(2026, 7, 3), date(2026, 7, 30), date(2026, 8, 1), date(2026, 11, 2)):
        InspectionFactory(house=house, inspected_on=day, inspector=cast.li)
    months = {(m.month, float(m.value)) for m in MetricMonth.objects.filter(metric=KEY).exclude(value=0)}
    assert months == {(date(2026, 7, 1), 2.0), (date(2026, 8, 1), 1.0), (date(2026, 11, 1), 1.0)}
    # Moved back a month: both months follow.
    moved = Inspection.objects.get(inspected_on=date(2026, 8, 1))
    moved.inspected_on = date(2026, 7, 31)
    moved.save()
    months = {(m.month, float(m.value)) for m in MetricMonth.objects.filter(metric=KEY).exclude(value=0)}
    assert months == {(date(2026, 7, 1), 3.0), (date(2026, 11, 1), 1.0)}
    assert facts.differences() == []

    h2 = Period.half_year(2026, 2)
    # July to October from the months, 1–29 November from the days.
    assert facts.split(h2, date(2026, 11, 29)) == (
        (date(2026, 7, 1), date(2026, 10, 1)),
        (date(2026, 11, 1), date(2026, 11, 29)),
    )
    assert facts.split(h2, date(2026, 11, 30)) == ((date(2026, 7, 1), date(2026, 11, 1)), None)
    assert facts.split(h2, date(2026, 7, 20)) == (None, (date(2026, 7, 1), date(2026, 7, 20)))
    assert facts.split(Period(date(2026, 7, 15), date(2026, 9, 30)), date(2026, 11, 29)) == (
        None,
        (date(2026, 7, 15), date(2026, 9, 30)),
    )
    metric = metrics.registry.get(KEY)
    for as_of in (date(2026, 7, 30), date(2026, 11, 1), date(2026, 11, 29)):
        assert facts.values_by_area(metric, [h2], as_of, None) == metrics.values_from_rows(metric, [h2], as_of)


def test_the_command_reports_facts_that_drifted_and_rebuilds_them(places: Places, cast: Cast) -> None:
    house = RentalHouseFactory(area=places.sifang_grid)
    InspectionFactory(house=house, inspected_on=date(2026, 3, 10), inspector=cast.li)
    # A bulk write sends no signals: the facts miss it until a rebuild (or the writer's refresh).
    Inspection.objects.bulk_create(
        [Inspection(house=house, inspected_on=date(2026, 3, 11), inspector=cast.li, with_grid=True)]
    )
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit:
        call_command("rebuild_facts", "--verify", stdout=out, stderr=io.StringIO())
    assert exit.value.code == 1
    assert f"{KEY} area {places.sifang_grid.pk} 2026-03-11: facts 0, rows 1" in out.getvalue()
    call_command("rebuild_facts", "--metric", KEY, "--since", "2026-03-01", stdout=out)
    call_command("rebuild_facts", "--verify", stdout=out)
    assert _facts() == {
        (places.sifang_grid.pk, date(2026, 3, 10)): 1.0,
        (places.sifang_grid.pk, date(2026, 3, 11)): 1.0,
    }


def test_the_worker_rebuilds_a_range_of_days(places: Places, cast: Cast) -> None:
    house = RentalHouseFactory(area=places.sifang_grid)
    Inspection.objects.bulk_create(
        [Inspection(house=house, inspected_on=date(2026, 4, d), inspector=cast.li, with_grid=True) for d in (1, 2)]
    )
    tasks.rebuild_metric_facts.delay([KEY], "2026-04-02", "2026-04-30")
    assert _facts() == {(places.sifang_grid.pk, date(2026, 4, 2)): 1.0}


def test_today_s_figures_come_from_the_facts_and_equal_the_rows(places: Places, cast: Cast) -> None:
    from django.utils import timezone

    from xicheng.periods import Period

    house = RentalHouseFactory(area=places.sifang_grid)
    for day in (date(2026, 1, 5), date(2026, 3, 10), date(2026, 8, 1)):
        InspectionFactory(house=house, inspected_on=day, inspector=cast.li)
    metric = metrics.registry.get(KEY)
    today = timezone.localdate()
    periods = [Period.half_year(2026, 1), Period.half_year(2026, 2)]
    assert metrics.values_by_area(metric, periods, today) == metrics.values_from_rows(metric, periods, today)
    # A past half-year is read from its months: without them, it is nothing.
    MetricMonth.objects.filter(metric=KEY).delete()
    assert metrics.values_by_area(metric, periods, today)[periods[0]] == {}
    MetricFact.objects.filter(metric=KEY).delete()  # without facts, today's figure is nothing
    assert metrics.values_by_area(metric, periods, today)[periods[1]] == {}


def test_migrate_counts_the_facts_a_database_has_rows_for_but_no_facts_yet(places: Places, cast: Cast) -> None:
    """An existing database gains the facts table on upgrade: `migrate` counts them, no manual step."""
    house = RentalHouseFactory(area=places.sifang_grid)
    InspectionFactory(house=house, inspected_on=date(2026, 3, 10), inspector=cast.li)
    MetricFact.objects.all().delete()  # as a database that had rows before the facts existed
    call_command("migrate", verbosity=0)
    assert _facts() == {(places.sifang_grid.pk, date(2026, 3, 10)): 1.0}
    assert facts.differences() == []
