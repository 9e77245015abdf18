"""The village ranking reads only the leader's scope, reuses the targets' figures, and folds."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from governance.dashboard import village_ranking
from governance.models import Hazard, Inspection, Migrant, RentalHouse
from tests.conftest import Cast, Places, add_area, count_queries, make_user
from tests.factories import IndicatorFactory, TargetFactory
from tests.governance.factories import id_number
from xicheng.figures import Figures
from xicheng.models import Area, Indicator, Target
from xicheng.periods import Period
from xicheng.personal import blind_index
from xicheng.roles import Role
from xicheng.selectors import target_progress

pytestmark = pytest.mark.django_db

H1 = Period.half_year(2026, 1)
AS_OF = date(2026, 6, 30)
QUERY = "start=2026-01-01&end=2026-06-30&as_of=2026-06-30"
# The tables whose rows the ranking counts.
REGISTERS = ("governance_inspection", "governance_migrant", "governance_hazard", "governance_dispute")


def _fill(area: Area, n: int, start: int = 0) -> None:
    inspector = User.objects.get(username="li")
    """n inspected houses, each with a migrant and a hazard, in the area (bulk: no history)."""
    houses = RentalHouse.objects.bulk_create(
        [RentalHouse(area=area, address=f"{area.code}路{start + i}号", landlord="张") for i in range(n)]
    )
    Inspection.objects.bulk_create(
        [Inspection(house=h, inspector=inspector, inspected_on=date(2026, 3, 10), with_grid=True) for h in houses]
    )
    Migrant.objects.bulk_create(
        [
            Migrant(
                house=h,
                name=f"外来{start + i}",
                id_number=id_number(start + i),
                id_number_index=blind_index(id_number(start + i)),
                phone="13500000000",
                registered_on=date(2026, 3, 1),
            )
            for i, h in enumerate(houses)
        ]
    )
    Hazard.objects.bulk_create(
        [
            Hazard(
                area=area,
                house=h,
                category=Hazard.Category.FIRE,
                found_on=date(2026, 3, 10),
                deadline=date(2026, 3, 31),
            )
            for h in houses
        ]
    )


@pytest.fixture
def dongcheng_village(places: Places) -> Area:
    zone = add_area("dong-zone", "东城片区", Area.Level.ZONE, places.dongcheng)
    return add_area("dong-village", "东城村", Area.Level.VILLAGE, zone)


@pytest.fixture
def city_leader(places: Places) -> User:
    return make_user("mayor", Role.LEADER, "钱市长", [places.city], position="leader")


def _ranking(client: Client) -> dict[str, list[object]]:
    data = client.get(f"/api/v1/dashboard/?{QUERY}").json()
    (section,) = [s for s in data["sections"] if s["key"] == "village_ranking"]
    return {row[0]: row[1:] for row in section["tables"][0]["rows"]}


def test_a_subdistrict_leaders_dashboard_reads_no_row_of_another_subdistrict(
    client: Client, cast: Cast, places: Places, dongcheng_village: Area
) -> None:
    _fill(places.sifang_grid, 3)
    client.force_login(cast.zhao)  # 赵 leads Xicheng
    before = _ranking(client)
    small = count_queries(lambda: client.get(f"/dashboard/?{QUERY}"))
    _fill(dongcheng_village, 200, start=1000)
    assert _ranking(client) == before
    assert set(before) == {"四方社区", "飞凤社区"}  # Dongcheng's village is not his
    assert before["四方社区"][:3] == [3, 3, 3]
    with CaptureQueriesContext(connection) as ctx:
        client.get(f"/dashboard/?{QUERY}")
    assert len(ctx.captured_queries) == small
    # Every query over a register is limited to Xicheng's subtree by its area path.
    over_registers = [q["sql"] for q in ctx.captured_queries if any(t in q["sql"] for t in REGISTERS)]
    assert over_registers
    for sql in over_registers:
        assert re.search(rf"LIKE\s+'?{places.xicheng.path}%", sql) or f"'{places.xicheng.path}%'" in sql, sql


def test_a_city_leader_sees_every_subdistricts_villages(
    client: Client, cast: Cast, places: Places, city_leader: User, dongcheng_village: Area
) -> None:
    _fill(places.sifang_grid, 3)
    _fill(dongcheng_village, 5, start=1000)
    client.force_login(city_leader)
    ranking = _ranking(client)
    assert set(ranking) == {"四方社区", "飞凤社区", "东城村"}
    assert ranking["东城村"][:3] == [5, 5, 5] and ranking["四方社区"][:3] == [3, 3, 3]


def test_the_ranking_reuses_what_the_targets_counted(cast: Cast, places: Places) -> None:
    _fill(places.sifang_grid, 3)
    indicator = IndicatorFactory(source=Indicator.Source.METRIC, metric="governance.migrants_registered")
    TargetFactory(indicator=indicator, area=places.xicheng, value=10, period_start=H1.start, period_end=H1.end)
    targets = list(Target.objects.select_related("indicator__work_line", "area"))
    village_ranking(cast.zhao, H1, AS_OF)  # the user's roles and areas are read once per user object
    alone = count_queries(lambda: village_ranking(cast.zhao, H1, AS_OF))
    figures = Figures(AS_OF)
    (row,) = target_progress(targets, AS_OF, figures)
    assert row.progress.actual == 3
    shared = count_queries(lambda: village_ranking(cast.zhao, H1, AS_OF, figures))
    # The migrants were counted for the target (and the area paths read): two queries fewer.
    assert shared == alone - 2
    assert village_ranking(cast.zhao, H1, AS_OF, figures) == village_ranking(cast.zhao, H1, AS_OF)


def test_the_ranking_shows_the_top_and_bottom_five_and_folds_the_rest(
    client: Client, cast: Cast, places: Places
) -> None:
    for i in range(10):
        village = add_area(f"v{i}", f"测试村{i:02d}", Area.Level.VILLAGE, places.zone)
        _fill(village, i + 1, start=100 * i)
    client.force_login(cast.zhao)
    page = client.get(f"/dashboard/?{QUERY}").content.decode()
    table = page[page.index('data-table="village_ranking"') :]
    table = table[: table.index("</figure>")]
    folded = table[table.index("<details") : table.index("</details>")]
    shown = table.replace(folded, "")
    names = lambda html: re.findall(r">(测试村\d\d|四方社区|飞凤社区)<", html)  # noqa: E731
    # Twelve villages, ranked by houses inspected: 测试村09 first, the two without any last.
    top = ["测试村09", "测试村08", "测试村07", "测试村06", "测试村05"]
    assert names(shown) == [*top, "测试村02", "测试村01", "测试村00", "四方社区", "飞凤社区"]
    assert names(folded) == ["测试村04", "测试村03"]
    assert 'data-folded="2"' in folded
    # The API and the workbook keep every row.
    assert len(_ranking(client)) == 12
