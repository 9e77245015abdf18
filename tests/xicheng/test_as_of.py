"""The kernel's reading of rows as they stood on a day, from the history tables (xicheng.asof)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db.models import Count
from django.utils import timezone

from tests.conftest import Cast, Places, count_queries
from tests.factories import TaskFactory, WorkLineFactory
from xicheng.asof import records_as_of, rows_as_of, totals_as_of
from xicheng.models import Task

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _at(*when: int) -> Any:
    return time_machine.travel(datetime(2026, *when, tzinfo=SHANGHAI), tick=False)


def test_a_row_is_read_as_it_stood_then_or_as_first_known_or_as_it_is(cast: Cast, places: Places) -> None:
    with _at(6, 1, 9):
        tracked = TaskFactory(area=places.sifang, lead_leader=cast.zhao, responsible=cast.li, title="六月")
    with _at(7, 1, 9):
        tracked.title = "七月"
        tracked.save()
    with _at(8, 1, 9):
        late = TaskFactory(area=places.sifang, lead_leader=cast.zhao, responsible=cast.li, title="八月录入")
    # Written without history (bulk inserts of generated data): read as it is.
    Task.objects.bulk_create(
        [
            Task(
                title="无历史",
                work_line=WorkLineFactory(),
                area=places.sifang,
                lead_leader=cast.zhao,
                responsible=cast.li,
                due_on=date(2026, 12, 1),
            )
        ]
    )
    june = date(2026, 6, 30)
    assert {r.title for r in records_as_of(Task.objects.all(), june)} == {"六月", "八月录入"}
    rows = rows_as_of(Task.objects.all(), june, related=("area",), order_by=("title",), key=lambda t: t.title)
    assert [t.title for t in rows] == sorted(["六月", "八月录入", "无历史"])
    assert rows[0].area == places.sifang and rows[0].pk in {tracked.pk, late.pk}
    assert [t["n"] for t in totals_as_of(Task.objects.all(), june, {"n": _count()})] == [3]
    grouped = totals_as_of(Task.objects.all(), june, {"n": _count()}, group_by=["area_id"])
    assert grouped == [{"area_id": places.sifang.pk, "n": 3}]


def _count() -> Any:
    return Count("pk")


def test_today_costs_what_it_did_and_a_past_day_a_fixed_number(cast: Cast, places: Places) -> None:
    TaskFactory(area=places.sifang, lead_leader=cast.zhao, responsible=cast.li)
    today = timezone.localdate()
    assert count_queries(lambda: rows_as_of(Task.objects.all(), today, limit=5)) == 1
    assert count_queries(lambda: totals_as_of(Task.objects.all(), today, {"n": _count()})) == 1
    for _ in range(5):
        TaskFactory(area=places.sifang, lead_leader=cast.zhao, responsible=cast.li)
    june = date(2026, 6, 30)
    assert count_queries(lambda: rows_as_of(Task.objects.all(), june, related=("area",))) == 2
    assert count_queries(lambda: totals_as_of(Task.objects.all(), june, {"n": _count()}, group_by=["area_id"])) == 1
