"""The leaders' dashboard on the demo data (issue: the dashboard's "Done means")."""

from __future__ import annotations

from io import BytesIO
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

pytestmark = pytest.mark.django_db

H1_AS_OF_30_JUNE = "period=h1&year=2026&as_of=2026-06-30"
H2_AS_OF_TODAY = "period=h2&year=2026&as_of=2026-11-26"

PUBLISHED_H1 = {
    "rental-houses-inspected": 8000,
    "migrants-registered": 30000,
    "fire-hazards-rectified": 2000,
    "disputes-resolved": 300,
    "market-entities-added": 389,
    "live-streaming-sales": 25000,
    "villages-served-meals": 10,
}


@pytest.fixture
def leader(as_user: Any) -> Client:
    return as_user("zhao")


def test_the_demo_dashboard_reproduces_the_half_year_and_agrees_everywhere(leader: Client) -> None:
    h1 = {t["indicator_code"]: t for t in leader.get(f"/api/v1/dashboard/?{H1_AS_OF_30_JUNE}").json()["targets"]}
    for code, published in PUBLISHED_H1.items():
        assert h1[code]["actual"] >= published, code
        assert h1[code]["light"] == "done", code

    h2 = leader.get(f"/api/v1/dashboard/?{H2_AS_OF_TODAY}").json()
    # 149 of H2's 184 days are gone by 26 November: the pace asks for 80.98 % of each target.
    for target in h2["targets"]:
        pace = target["target"] * 149 / 184
        assert target["expected"] == pytest.approx(pace, abs=0.01)
        gap = target["percent"] - 149 / 184 * 100
        expected_light = (
            "done"
            if target["actual"] >= target["target"]
            else "green"
            if gap >= 0
            else "yellow"
            if gap > -10
            else "red"
        )
        assert target["light"] == expected_light, target
    assert {t["light"] for t in h2["targets"]} == {"done", "green", "yellow", "red"}

    page = leader.get(f"/dashboard/?{H2_AS_OF_TODAY}").content.decode()
    workbook = load_workbook(BytesIO(leader.get(f"/dashboard/export.xlsx?{H2_AS_OF_TODAY}").content))
    sheet = workbook["目标任务"]
    rows = {r[1]: r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] and r[0] != "周期"}
    for target in h2["targets"]:
        assert f'data-indicator="{target["indicator_code"]}"' in page
        assert rows[target["indicator"]][5] == target["actual"]
        assert rows[target["indicator"]][6] == target["target"]
        assert rows[target["indicator"]][7] == target["percent"]
    # Each section the API returns has a sheet and a place on the page.
    for section in h2["sections"]:
        assert f'id="section-{section["key"]}"' in page
        for table in section["tables"]:
            assert any(name.startswith(str(table["title"])[:26]) for name in workbook.sheetnames), table["title"]


def test_later_records_do_not_leak_into_the_30_june_dashboard(leader: Client) -> None:
    then = leader.get(f"/api/v1/dashboard/?{H1_AS_OF_30_JUNE}").json()
    later = leader.get("/api/v1/dashboard/?period=h1&year=2026&as_of=2026-11-26").json()
    # Nothing dated after the half-year counts towards it, whenever it is asked.
    assert [t["actual"] for t in then["targets"]] == [t["actual"] for t in later["targets"]]
    may = leader.get("/api/v1/dashboard/?period=h1&year=2026&as_of=2026-05-31").json()
    assert all(m["actual"] <= t["actual"] for m, t in zip(may["targets"], then["targets"], strict=True))
    assert any(m["actual"] < t["actual"] for m, t in zip(may["targets"], then["targets"], strict=True))


@pytest.mark.parametrize("username", ["zhao", "li"])
def test_each_part_of_the_overview_reads_only_the_apps_it_declares(demo: Any, username: str) -> None:
    # A part cached on its own is counted again only after a write to what it declares it reads
    # (xicheng.overview_cache.Parts): a part that read another domain's rows, or their facts,
    # would go on showing them stale.
    import re
    from datetime import date

    from django.apps import apps
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from xicheng import dashboard, metrics, plugins
    from xicheng.figures import Figures
    from xicheng.periods import Period

    app_of_table = {m._meta.db_table: m._meta.app_label for m in apps.get_models()}
    app_of_metric = {m.key: m.model._meta.app_label for m in metrics.registry}
    domains = set(plugins.labels())
    user = User.objects.get(username=username)
    period = Period(date(2026, 7, 1), date(2026, 12, 31))
    checked = 0
    for as_of in (timezone.localdate(), date(2026, 11, 26), date(2026, 9, 30)):
        day = as_of
        parts = [(s.key, s.reads, lambda s=s, d=day: s.build(user, period, d, Figures(d))) for s in dashboard.sections]
        parts += [(a.key, a.reads, lambda a=a, d=day: a.collect(user, d)) for a in dashboard.alerts]
        for key, reads, run in parts:
            assert reads is not None, f"{key} declares what it reads"
            with CaptureQueriesContext(connection) as queries:
                run()
            read: set[str] = set()
            for query in queries:
                read |= {app_of_table[t] for t in re.findall(r'"(\w+)"', query["sql"]) if t in app_of_table}
                read |= {
                    app for metric, app in app_of_metric.items() if re.search(rf"\b{re.escape(metric)}\b", query["sql"])
                }
            assert read & domains <= set(reads), (key, as_of, read)
            checked += len(queries)
    assert checked > 50  # the parts ran their queries


@pytest.mark.parametrize("as_of", ["", "&as_of=2026-09-30"])
def test_the_overview_decrypts_no_personal_data_it_does_not_show(
    leader: Client, decrypted: list[str], as_of: str
) -> None:
    # The dashboard shows names (kept in clear, masked without the right), never a phone: the
    # phones of the landlords, owners, elders and cadres its rows carry are left unread.
    assert leader.get(f"/api/v1/dashboard/?period=h2&year=2026{as_of}").status_code == 200
    assert len(decrypted) <= 1, decrypted  # the leader's own row, for her name
