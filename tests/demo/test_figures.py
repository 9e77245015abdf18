"""Every figure follows to its rows (issue 12): on the demo data, the list each metric's link
opens — on the web and in the API, with the same parameters — holds exactly the rows the figure
counts (or, for a sum, rows whose values add up to it), for the first half-year as of 30 June and
the second as of today, for the subdistrict and for two villages."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from tests.demo.conftest import TODAY
from xicheng import metrics
from xicheng.models import Area, Cadre, Indicator
from xicheng.overview import _metric_for
from xicheng.periods import Period
from xicheng.roles import Role

pytestmark = pytest.mark.django_db

CASES = [(Period.half_year(2026, 1), date(2026, 6, 30)), (Period.half_year(2026, 2), TODAY)]
AREAS = ["xicheng", "sifang", "yongfeng"]


def _figures() -> list[metrics.Metric]:
    """Every registered metric (but the toy register's, which has no demo rows), and the figure
    of every manual indicator."""
    declared = [m for m in metrics.registry if not m.key.startswith("toyregister.")]
    manual = Indicator.objects.filter(source=Indicator.Source.MANUAL).order_by("code")
    return declared + [m for m in map(_metric_for, manual) if m is not None]


def _figure(metric: metrics.Metric, period: Period, as_of: date, area: Area) -> float:
    """The figure as the dashboard shows it: the values by area, rolled up the tree."""
    values = metrics.values_by_area(metric, [period], as_of, within=[area.path])[period]
    return metrics.rolled_up(values, metrics.area_paths()).get(area.path, 0.0)


def _api_rows(client: Client, url: str) -> list[dict[str, Any]]:
    """Every row the API list answers, page by page."""
    rows: list[dict[str, Any]] = []
    next_url: str | None = f"{url}&page_size=500"
    while next_url:
        body = _api_page(client, next_url)
        rows += body["results"]
        next_url = body["next"]
        if next_url:
            parts = urlsplit(next_url)
            next_url = f"{parts.path}?{parts.query}"
    return rows


def _api_page(client: Client, url: str) -> dict[str, Any]:
    answer = client.get(url)
    assert answer.status_code == 200, (url, answer.content[:300])
    body: dict[str, Any] = answer.json()
    return body


def test_every_figure_opens_the_rows_it_counts_on_the_web_and_in_the_api(as_user: Any, settings: Any) -> None:
    # Counted exactly, however many: past EXACT_COUNT_LIMIT a big list says "约 N 条" (issue 13),
    # which is the page's choice, not the rows it opens.
    settings.EXACT_COUNT_LIMIT = 10**9
    leader = as_user("zhao")
    areas = {a.code: a for a in Area.objects.filter(code__in=AREAS)}
    checked = 0
    for metric in _figures():
        assert metric.listing is not None, f"{metric.key} lists no rows"
        for period, as_of in CASES:
            for code in AREAS:
                area = areas[code]
                figure = _figure(metric, period, as_of, area)
                web = metric.records_url(period, as_of, area)
                api = metric.listing.link(period.start, period.end, as_of, area, api=True)
                assert web is not None and api is not None, metric.key
                page = leader.get(web)
                assert page.status_code == 200, (metric.key, web)
                shown = page.context["page"].paginator.count
                where = f"{metric.key} {period.label} as of {as_of} in {area.name}: {web}"
                if metric.how == "sum":
                    rows = _api_rows(leader, api)
                    assert shown == len(rows), where
                    assert sum(float(row[metric.field]) for row in rows) == pytest.approx(figure), where
                else:
                    assert _api_page(leader, f"{api}&page_size=1")["count"] == shown == figure, where
                checked += bool(figure)
    # Most figures are not zero: the test compares something.
    assert checked > len(_figures()) * 2


def _ranked_villages(client: Client) -> set[str]:
    sections = client.get(f"/api/v1/dashboard/?period=h2&year=2026&as_of={TODAY}").json()["sections"]
    (ranking,) = [t for s in sections for t in s["tables"] if t["key"] == "village_ranking"]
    return {row[0] for row in ranking["rows"]}


def test_a_xicheng_leader_s_ranking_lists_no_village_of_another_subdistrict(as_user: Any) -> None:
    xicheng = Area.objects.get(code="xicheng")
    ours = set(Area.objects.within(xicheng).filter(level=Area.Level.VILLAGE).values_list("name", flat=True))
    ranked = _ranked_villages(as_user("zhao"))
    assert ranked == ours
    assert "东方社区" not in ranked


def test_a_xicheng_leader_s_dashboard_shows_nothing_of_another_subdistrict(as_user: Any) -> None:
    dongcheng = Area.objects.get(code="dongcheng")
    theirs = set(Area.objects.within(dongcheng).values_list("name", flat=True))
    body = as_user("zhao").get(f"/api/v1/dashboard/?period=h2&year=2026&as_of={TODAY}").json()
    assert body["alerts"] and not {alert["area"] for alert in body["alerts"]} & theirs
    assert body["targets"] and not {target["area"] for target in body["targets"]} & theirs


def test_a_city_leader_s_ranking_lists_the_city_s_villages(as_user: Any) -> None:
    city = Area.objects.get(code="yongkang")
    user = User.objects.create_user("mayor")
    user.groups.add(Group.objects.get(name=Role.LEADER))
    Cadre.objects.create(user=user, name="市领导", position=Cadre.Position.LEADER).areas.set([city])
    client = Client()
    client.force_login(user)
    ranked = _ranked_villages(client)
    assert "东方社区" in ranked
    assert ranked == set(Area.objects.within(city).filter(level=Area.Level.VILLAGE).values_list("name", flat=True))
