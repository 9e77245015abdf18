"""`manage.py benchmark` on a tiny dataset: it measures every page of its default set and writes
the figures as JSON, and its load mode drives a live server without an error. Nothing here is
timed: the figures are printed by the command, never asserted."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from governance.models import Inspection
from tests.conftest import Cast, Places
from tests.governance.factories import RentalHouseFactory

PAGE_FIGURES = {"user", "url", "cache", "status", "queries", "p50", "p95", "sql_floor", "ratio", "peak_mib"}


@pytest.mark.django_db
def test_it_writes_each_pages_figures_with_its_sql_floor(cast: Cast, places: Places, tmp_path: Path) -> None:
    RentalHouseFactory.create_batch(3, area=places.sifang_grid)
    out = io.StringIO()

    urls = ["/dashboard/", "/api/v1/dashboard/", "/governance/inspections/", "/governance/inspections/?page=200"]
    urls += ["/api/v1/migrants/?page_size=100"]
    call_command(
        "benchmark",
        *urls,
        "--user",
        "zhao",
        "--user",
        "li",
        "--repeat",
        "2",
        "--json",
        str(tmp_path / "b.json"),
        stdout=out,
    )

    results = json.loads((tmp_path / "b.json").read_text())
    measured = [page for page in results["pages"] if "skipped" not in page]
    # Each page as each user, cold and warm; page 200 is skipped where a tiny list has none.
    assert {(p["user"], p["url"], p["cache"]) for p in measured} == {
        (user, url, cache)
        for user in ("zhao", "li")
        for url in urls
        if "page=200" not in url
        for cache in ("cold", "warm")
    }
    assert [(p["user"], p["url"]) for p in results["pages"] if "skipped" in p] == [
        ("zhao", "/governance/inspections/?page=200"),
        ("li", "/governance/inspections/?page=200"),
    ]
    for page in measured:
        assert PAGE_FIGURES <= page.keys(), page["url"]
        assert page["status"] == 200, page["url"]
        assert page["queries"] > 0 and page["sql_floor"] > 0 and page["ratio"] > 0
        assert page["p95"] >= page["p50"] > 0
    assert "sql ms" in out.getvalue() and "ratio" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_the_load_mode_runs_the_mixed_workload_against_a_live_server_without_errors(
    live_server: Any, cast: Cast, places: Places, tmp_path: Path
) -> None:
    RentalHouseFactory.create_batch(3, area=places.sifang_grid)

    call_command(
        "benchmark",
        "--skip-pages",
        "--load",
        "--url",
        live_server.url,
        "--clients",
        "1",
        "--seconds",
        "2",
        "--json",
        str(tmp_path / "load.json"),
        stdout=io.StringIO(),
    )

    (level,) = json.loads((tmp_path / "load.json").read_text())["load"]["levels"]
    assert level["clients"] == 1 and level["errors"] == 0, level["error_examples"]
    assert level["requests"] >= 1 and level["rps"] > 0
    assert {"p50", "p95", "max"} <= level.keys()
    # Its writes are real form posts: the inspections are there (the untimed warm-up writes too).
    if "write" in level["by_kind"]:
        assert Inspection.objects.filter(inspector=cast.li).count() >= level["by_kind"]["write"]["requests"]
