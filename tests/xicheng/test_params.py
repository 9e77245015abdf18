"""One reading of `start`, `end`, `as_of`, `year` and `period`: an impossible or out-of-range value is
a 400 naming the parameter in the API and a Chinese message on the page, never a 500 and never the
default period in its place."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.test import Client, override_settings

from tests.conftest import Cast, Places
from tests.factories import TargetFactory
from xicheng.params import ParamError, read_as_of, read_dates, read_path_day
from xicheng.periods import Period

pytestmark = pytest.mark.django_db

TODAY = date(2026, 9, 15)


# The reading itself --------------------------------------------------------------------------


def test_no_parameters_mean_this_half_year_as_of_today() -> None:
    asked = read_dates({}, TODAY)
    assert (asked.period, asked.as_of) == (Period.half_year(2026, 2), TODAY)


@pytest.mark.parametrize(
    ("params", "period"),
    [
        ({"period": "h1", "year": "2025"}, Period.half_year(2025, 1)),
        ({"period": "Q3"}, Period.quarter(2026, 3)),
        ({"period": "m2", "year": "2024"}, Period(date(2024, 2, 1), date(2024, 2, 29))),
        ({"period": "year", "year": "2025"}, Period.year(2025)),
        ({"year": "2025"}, Period.year(2025)),
        ({"start": "2026-03-01", "end": "2026-03-31", "period": "h2"}, Period(date(2026, 3, 1), date(2026, 3, 31))),
        ({"start": "", "end": "", "as_of": ""}, Period.half_year(2026, 2)),
    ],
)
def test_a_period_is_read_the_same_way_everywhere(params: dict[str, str], period: Period) -> None:
    assert read_dates(params, TODAY).period == period


@pytest.mark.parametrize(
    ("params", "name", "says"),
    [
        ({"as_of": "2026-13-40"}, "as_of", "2026-13-40"),
        ({"as_of": "notadate"}, "as_of", "YYYY-MM-DD"),
        ({"as_of": "0001-01-01"}, "as_of", "2000-01-01"),
        ({"as_of": "2101-01-01"}, "as_of", "2100-12-31"),
        ({"start": "2026-02-30", "end": "2026-03-31"}, "start", "2026-02-30"),
        ({"start": "2026-06-30", "end": "2026-01-01"}, "end", "start"),
        ({"start": "2026-01-01"}, "end", "end"),
        ({"end": "2026-01-01"}, "start", "start"),
        ({"start": "2000-01-01", "end": "2020-12-31"}, "end", "10"),
        ({"year": "99999", "period": "h1"}, "year", "2100"),
        ({"year": "abc"}, "year", "year"),
        ({"period": "h3"}, "period", "h1"),
    ],
)
def test_a_value_that_cannot_be_read_is_refused_with_its_name(params: dict[str, str], name: str, says: str) -> None:
    with pytest.raises(ParamError) as refused:
        read_dates(params, TODAY)
    assert list(refused.value.errors) == [name]
    assert says in refused.value.errors[name][0]


def test_the_years_kept_bound_every_date() -> None:
    assert read_as_of({"as_of": "2000-01-01"}) == date(2000, 1, 1)
    assert read_as_of({"as_of": "2100-12-31"}) == date(2100, 12, 31)
    with pytest.raises(ParamError):
        read_as_of({"as_of": "1999-12-31"})


@override_settings(EARLIEST_RECORD_DATE=date(2020, 1, 1))
def test_the_earliest_day_is_a_setting() -> None:
    with pytest.raises(ParamError) as refused:
        read_as_of({"as_of": "2019-12-31"})
    assert "2020-01-01" in refused.value.messages[0]


def test_a_day_in_a_path_is_read_by_the_same_rules() -> None:
    assert read_path_day("2026-06-30") == date(2026, 6, 30)
    for bad in ("2026-02-30", "26-6-30", "0001-01-01"):
        with pytest.raises(ParamError):
            read_path_day(bad)


# The API answers 400 naming the parameter -----------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/dashboard/?as_of=2026-13-40",
        "/api/v1/dashboard/?as_of=0001-01-01",
        "/api/v1/dashboard/?as_of=notadate",
        "/api/v1/targets/?as_of=2026-13-40",
        "/api/v1/targets/?as_of=0001-01-01",
    ],
)
def test_an_impossible_as_of_is_a_400_in_the_api(api_client: Any, cast: Cast, url: str) -> None:
    api_client.force_login(cast.zhao)
    response = api_client.get(url)
    assert response.status_code == 400
    [message] = response.json()["as_of"]
    assert "截至日期（as_of）" in message


def test_an_impossible_as_of_on_one_target_is_a_400(api_client: Any, cast: Cast, places: Places) -> None:
    target = TargetFactory(area=places.xicheng)
    api_client.force_login(cast.zhao)
    response = api_client.get(f"/api/v1/targets/{target.pk}/?as_of=2026-13-40")
    assert response.status_code == 400
    assert "as_of" in response.json()


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("year=99999&period=h1", "year"),
        ("period=h3", "period"),
        ("start=2026-06-30&end=2026-01-01", "end"),
        ("start=2026-01-01", "end"),
        ("start=2026-02-30&end=2026-03-31", "start"),
    ],
)
def test_a_period_that_cannot_be_read_is_a_400_in_the_dashboard_api(
    api_client: Any, cast: Cast, query: str, name: str
) -> None:
    api_client.force_login(cast.zhao)
    response = api_client.get(f"/api/v1/dashboard/?{query}")
    assert response.status_code == 400
    assert name in response.json()
    assert f"（{name}）" in response.json()[name][0]


def test_the_dashboard_api_reads_a_quarter_of_a_year(api_client: Any, cast: Cast) -> None:
    api_client.force_login(cast.zhao)
    body = api_client.get("/api/v1/dashboard/?period=q1&year=2025&as_of=2025-03-31").json()
    assert body["period"]["start"] == "2025-01-01" and body["period"]["end"] == "2025-03-31"
    assert body["as_of"] == "2025-03-31"


# The pages show the message in Chinese, with status 400 ----------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/dashboard/?as_of=2026-13-40",
        "/dashboard/screen/?as_of=2026-13-40",
        "/dashboard/export.xlsx?as_of=2026-13-40",
        "/targets/?as_of=2026-13-40",
        "/dashboard/?as_of=0001-01-01",
        "/targets/?as_of=notadate",
    ],
)
def test_a_page_asked_an_impossible_as_of_says_so_in_chinese(client: Client, cast: Cast, url: str) -> None:
    client.force_login(cast.zhao)
    response = client.get(url)
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="param-errors"' in page
    assert "截至日期（as_of）" in page


def test_the_drill_down_refuses_an_impossible_as_of(client: Client, cast: Cast, places: Places) -> None:
    target = TargetFactory(area=places.xicheng)
    client.force_login(cast.zhao)
    response = client.get(f"/dashboard/targets/{target.pk}/areas/?as_of=2026-13-40")
    assert response.status_code == 400
    assert "日历上没有 2026-13-40 这一天" in response.content.decode()


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("year=99999&period=h1", "年份（year）须为 2000 至 2100 之间的年份"),
        ("start=2026-06-30&end=2026-01-01", "结束日期（end）早于开始日期（start）"),
        ("period=h9", "周期（period）只能是"),
    ],
)
def test_the_dashboard_page_shows_why_it_cannot_show_a_period(
    client: Client, cast: Cast, query: str, says: str
) -> None:
    client.force_login(cast.zhao)
    response = client.get(f"/dashboard/?{query}")
    assert response.status_code == 400
    page = response.content.decode()
    assert says in page
    # The controls stay, so the leader can mend the dates; no figures of some other period show.
    assert 'name="as_of"' in page and 'class="dash-summary"' not in page


def test_the_error_page_offers_the_page_without_the_bad_values(client: Client, cast: Cast) -> None:
    client.force_login(cast.zhao)
    page = client.get("/targets/?as_of=2026-13-40&work_line=1").content.decode()
    assert 'href="/targets/?work_line=1"' in page
