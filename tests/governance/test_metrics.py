"""What governance counts, and the dashboard parts it registers."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from governance.dashboard import collect_alerts, village_ranking
from governance.models import Hazard
from tests.conftest import Cast, Places
from tests.governance.factories import (
    DisputeFactory,
    HazardFactory,
    InspectionFactory,
    MigrantFactory,
    RentalHouseFactory,
    ZeroReportFactory,
)
from xicheng import metrics
from xicheng.dashboard import alerts, nav, sections, workbench
from xicheng.periods import Period

pytestmark = pytest.mark.django_db

H1 = Period.half_year(2026, 1)
KEYS = [
    "governance.rental_houses_inspected",
    "governance.inspections",
    "governance.migrants_registered",
    "governance.hazards_found",
    "governance.hazards_rectified",
    "governance.fire_hazards_rectified",
    "governance.hazards_overdue",
    "governance.disputes_received",
    "governance.disputes_resolved",
]


def value(key: str, area: object, as_of: date = date(2026, 6, 30), period: Period = H1) -> float:
    return metrics.value_for(metrics.registry.get(key), period, area, as_of)  # type: ignore[arg-type]


def test_every_governance_metric_is_registered() -> None:
    assert all(key in metrics.registry for key in KEYS)


def test_houses_inspected_counts_distinct_houses(cast: Cast, places: Places) -> None:
    house = RentalHouseFactory(area=places.sifang_grid)
    InspectionFactory(house=house, inspector=cast.li, inspected_on=date(2026, 3, 1))
    InspectionFactory(house=house, inspector=cast.li, inspected_on=date(2026, 4, 1))
    InspectionFactory(house=RentalHouseFactory(area=places.feifeng_grid), inspector=cast.wang)
    assert value("governance.rental_houses_inspected", places.xicheng) == 2
    assert value("governance.inspections", places.xicheng) == 3
    assert value("governance.rental_houses_inspected", places.sifang, as_of=date(2026, 3, 5)) == 1


def test_hazard_metrics_count_from_their_own_days(places: Places) -> None:
    HazardFactory(
        area=places.sifang_grid, found_on=date(2026, 3, 1), deadline=date(2026, 3, 15), rectified_on=date(2026, 3, 10)
    )
    HazardFactory(
        area=places.sifang_grid,
        category="gas",
        found_on=date(2026, 3, 1),
        deadline=date(2026, 3, 15),
        rectified_on=date(2026, 4, 10),
    )
    HazardFactory(area=places.sifang_grid, found_on=date(2026, 5, 1), deadline=date(2026, 5, 15))
    assert value("governance.hazards_found", places.sifang) == 3
    assert value("governance.hazards_rectified", places.sifang) == 2
    assert value("governance.fire_hazards_rectified", places.sifang) == 1
    assert value("governance.hazards_rectified", places.sifang, as_of=date(2026, 3, 31)) == 1
    # As of 1 April the gas hazard is past its deadline and not yet rectified; by June only the May one is.
    assert value("governance.hazards_overdue", places.sifang, as_of=date(2026, 4, 1)) == 1
    assert value("governance.hazards_overdue", places.sifang, as_of=date(2026, 6, 30)) == 1
    assert value("governance.hazards_overdue", places.sifang, as_of=date(2026, 5, 10)) == 0


def test_migrants_and_disputes_count_from_their_days(places: Places) -> None:
    house = RentalHouseFactory(area=places.sifang_grid)
    MigrantFactory(house=house, registered_on=date(2026, 2, 1))
    MigrantFactory(house=house, registered_on=date(2026, 8, 1))
    DisputeFactory(area=places.sifang_grid, status="resolved", resolved_on=date(2026, 3, 20))
    DisputeFactory(area=places.sifang_grid, status="escalated", escalated_on=date(2026, 3, 20))
    assert value("governance.migrants_registered", places.sifang) == 1
    assert value("governance.disputes_received", places.sifang) == 2
    assert value("governance.disputes_resolved", places.sifang) == 1


def test_the_dashboard_parts_are_registered() -> None:
    assert any(s.key == "village_ranking" and s.order == 40 for s in sections)
    assert any(a.key == "governance" for a in alerts)
    assert {"governance_zero_report", "governance_overdue_hazards"} <= {p.key for p in workbench}
    assert any(link.url_name == "governance:home" for link in nav)


def test_the_village_ranking_has_a_row_per_village_as_of_the_day(cast: Cast, places: Places) -> None:
    house = RentalHouseFactory(area=places.sifang_grid)
    InspectionFactory(house=house, inspector=cast.li, inspected_on=date(2026, 3, 1))
    MigrantFactory(house=house, registered_on=date(2026, 3, 1))
    HazardFactory(
        area=places.sifang_grid, found_on=date(2026, 3, 1), deadline=date(2026, 3, 15), rectified_on=date(2026, 3, 10)
    )
    HazardFactory(area=places.sifang_grid, found_on=date(2026, 3, 1), deadline=date(2026, 3, 15))
    ZeroReportFactory(village=places.sifang, day=date(2026, 3, 1))
    data = village_ranking(cast.zhao, Period(date(2026, 3, 1), date(2026, 3, 31)), date(2026, 3, 20))
    assert data is not None
    table = data.tables[0]
    rows = {row[0]: row for row in table.rows}
    assert rows["四方社区"] == ["四方社区", 1, 1, 2, 1, 50.0, 1, 0, 19]
    assert rows["飞凤社区"][1:] == [0, 0, 0, 0, 0.0, 0, 0, 20]
    assert table.links[0] is not None and f"area={places.sifang.pk}" in table.links[0]
    # As of a day before everything happened, nothing counts.
    early = village_ranking(cast.zhao, Period(date(2026, 2, 1), date(2026, 3, 31)), date(2026, 2, 20))
    assert early is not None and {row[0]: row for row in early.tables[0].rows}["四方社区"][1] == 0


def test_a_cadre_ranks_only_their_own_village(cast: Cast, places: Places) -> None:
    data = village_ranking(cast.li, H1, date(2026, 6, 30))
    assert data is not None and [row[0] for row in data.tables[0].rows] == ["四方社区"]


def test_alerts_put_the_most_overdue_hazard_first(cast: Cast, places: Places) -> None:
    today = timezone.localdate()
    HazardFactory(
        area=places.sifang_grid,
        description="晚一点",
        found_on=today - timedelta(days=20),
        deadline=today - timedelta(days=2),
    )
    HazardFactory(
        area=places.sifang_grid,
        description="最久",
        found_on=today - timedelta(days=60),
        deadline=today - timedelta(days=40),
    )
    found = [a for a in collect_alerts(cast.zhao, today) if a.kind == "hazard_overdue"]
    assert [a.due for a in found] == [today - timedelta(days=40), today - timedelta(days=2)]


def test_alerts_name_villages_missing_todays_report_only_for_today(cast: Cast, places: Places) -> None:
    today = timezone.localdate()
    ZeroReportFactory(village=places.sifang, day=today)
    missing = [a.area for a in collect_alerts(cast.zhao, today) if a.kind == "zero_report_missing"]
    assert missing == ["飞凤社区"]
    assert not [a for a in collect_alerts(cast.zhao, today - timedelta(days=3)) if a.kind == "zero_report_missing"]


def test_alerts_name_disputes_open_for_more_than_30_days(cast: Cast, places: Places) -> None:
    today = timezone.localdate()
    DisputeFactory(area=places.sifang_grid, summary="久拖不决", received_on=today - timedelta(days=31))
    DisputeFactory(area=places.sifang_grid, summary="新受理", received_on=today - timedelta(days=5))
    found = [a.title for a in collect_alerts(cast.zhao, today) if a.kind == "dispute_long_open"]
    assert found == ["久拖不决"]


def test_alerts_stop_at_50(cast: Cast, places: Places) -> None:
    today = timezone.localdate()
    Hazard.objects.bulk_create(
        [
            Hazard(
                area=places.sifang_grid,
                category="fire",
                found_on=today - timedelta(days=30),
                deadline=today - timedelta(days=3),
            )
            for _ in range(60)
        ]
    )
    assert len(collect_alerts(cast.zhao, today)) == 50


def test_alerts_start_from_the_users_scope(cast: Cast, places: Places) -> None:
    today = timezone.localdate()
    HazardFactory(area=places.feifeng_grid, found_on=today - timedelta(days=30), deadline=today - timedelta(days=3))
    assert not [a for a in collect_alerts(cast.li, today) if a.kind == "hazard_overdue"]


def test_many_overdue_hazards_leave_room_for_the_other_alerts(cast: Cast, places: Places) -> None:
    today = timezone.localdate()
    Hazard.objects.bulk_create(
        [
            Hazard(
                area=places.sifang_grid,
                category="fire",
                found_on=today - timedelta(days=30),
                deadline=today - timedelta(days=3),
            )
            for _ in range(60)
        ]
    )
    DisputeFactory(area=places.sifang_grid, received_on=today - timedelta(days=40))
    kinds = [a.kind for a in collect_alerts(cast.zhao, today)]
    assert len(kinds) == 50
    assert kinds.count("zero_report_missing") == 2 and kinds.count("dispute_long_open") == 1
