"""The metric registry: domain apps declare what they count, the kernel computes it.

A metric is a declaration — model, date field, path to the area, aggregate, filter — made in an
app's `metrics.py` and handed over through its DomainConfig (xicheng.plugins). The date field says when a row
starts to count, which is what makes *as of* work. From one declaration the kernel computes:

- `values_by_area`: the value for any number of periods, grouped by area, in one query;
- `rolled_up`: those values added up the area tree, in memory;
- `weekly_series`: the cumulative value at each week's end, in one query (`weekly_series_of`:
  several metrics' series from the facts in one).

For today's as-of, the metrics the kernel keeps as daily facts (every metric without a state:
xicheng.facts) are read from the facts rather than the rows, with the same result — a distinct
metric for a half-year (or its start up to a day); a past as-of, a state metric and a distinct
metric over any other period are read from the rows (and their history) as before.

So a page that shows metrics costs a fixed number of queries whatever the data size.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlencode

from django.db import models
from django.db.models import Count, Q, Sum
from django.urls import NoReverseMatch, reverse

from xicheng.asof import is_past, totals_as_of

if TYPE_CHECKING:
    from xicheng.models import Area
    from xicheng.periods import Period


@dataclass(frozen=True)
class Listing:
    """Where the rows behind a metric's figure are listed, and the query parameters that list's
    FilterSet reads to show exactly those rows: so a figure and the count of the rows its link
    opens agree. The web list and the API list share the FilterSet, so the same parameters serve
    both.

    `dates` names the parameters for the first and the last day counted (the metric's date
    field); `as_of` the parameter for the as-of day, for metrics that count a state; `params`
    the fixed parameters that say the metric's filter (e.g. `(("status", "resolved"),)`). A distinct
    metric lists the distinct things (houses, not inspections), so its list is theirs."""

    url: str  # the web list's URL name
    api: str = ""  # the API list's URL name, e.g. "dispute-list"
    area: str = "area"
    dates: tuple[str, str] = ("", "")
    as_of: str = ""
    params: tuple[tuple[str, str], ...] = ()

    def query(self, start: date, end: date, as_of: date, area: Area | None = None) -> str:
        """The query string for the rows counted from `start` to `end` (at most `as_of`)."""
        query: dict[str, str] = dict(self.params)
        if area is not None:
            query[self.area] = str(area.pk)
        first, last = self.dates
        if first:
            query[first] = start.isoformat()
        if last:
            query[last] = min(end, as_of).isoformat()
        if self.as_of:
            query[self.as_of] = as_of.isoformat()
        return urlencode(query)

    def link(self, start: date, end: date, as_of: date, area: Area | None = None, *, api: bool = False) -> str | None:
        """The list's URL with the query (None when the list is not installed)."""
        try:
            url = reverse(self.api if api else self.url)
        except NoReverseMatch:
            return None
        return f"{url}?{self.query(start, end, as_of, area)}"


@dataclass(frozen=True)
class Metric:
    key: str
    label: Any  # a lazy translation
    unit: Any
    model: type[models.Model]
    date_field: str  # a DateField path; a row counts from this day on
    area: str  # path to the row's Area, e.g. "house__area"
    how: Literal["count", "distinct", "sum"] = "count"
    field: str = "pk"  # what is counted or summed
    filter: Q | None = None
    # For states rather than events (e.g. "overdue"): a filter that depends on the as-of day.
    state: Callable[[date], Q] | None = None
    lower_is_better: bool = False
    # Where the rows behind the figure are listed, filtered to exactly them.
    listing: Listing | None = None

    def aggregate(self, condition: Q) -> models.Aggregate:
        if self.how == "sum":
            return Sum(self.field, filter=condition)
        return Count(self.field, filter=condition, distinct=self.how == "distinct")

    def rows(self, lo: date, hi: date, as_of: date) -> models.QuerySet[Any]:
        return self.narrowed(self.model._default_manager.all(), lo, hi, as_of)

    def narrowed(self, qs: models.QuerySet[Any], lo: date, hi: date, as_of: date) -> models.QuerySet[Any]:
        """The rows (or their historical records, xicheng.asof) that count between lo and hi."""
        if self.filter is not None:
            qs = qs.filter(self.filter)
        if self.state is not None:
            qs = qs.filter(self.state(as_of))
        return qs.filter(**{f"{self.date_field}__gte": lo, f"{self.date_field}__lte": hi})

    def records_url(self, period: Period, as_of: date, area: Area | None = None) -> str | None:
        """The list of the rows behind the figure for the period, as of the day, in the area."""
        if self.listing is None:
            return None
        return self.listing.link(period.start, period.end, as_of, area)

    def in_period(self, period: Period, as_of: date) -> Q:
        return Q(**{f"{self.date_field}__gte": period.start, f"{self.date_field}__lte": min(period.end, as_of)})


class MetricRegistry:
    def __init__(self) -> None:
        self._metrics: dict[str, Metric] = {}

    def register(self, metric: Metric) -> Metric:
        if metric.key in self._metrics and self._metrics[metric.key] != metric:
            raise ValueError(f"Metric {metric.key!r} is registered twice.")
        self._metrics[metric.key] = metric
        return metric

    def get(self, key: str) -> Metric:
        return self._metrics[key]

    def __contains__(self, key: object) -> bool:
        return key in self._metrics

    def __iter__(self) -> Any:
        return iter(sorted(self._metrics.values(), key=lambda m: m.key))

    def choices(self) -> list[tuple[str, str]]:
        return [(m.key, f"{m.key} · {m.label}") for m in self]


registry = MetricRegistry()


def register(metric: Metric) -> Metric:
    return registry.register(metric)


def outermost(paths: Iterable[str]) -> list[str]:
    """The paths not inside another of them: the subtrees that cover them all."""
    result: list[str] = []
    for path in sorted(set(paths)):
        if not result or not path.startswith(result[-1]):
            result.append(path)
    return result


def values_by_area(
    metric: Metric, periods: Sequence[Period], as_of: date, within: Iterable[str] | None = None
) -> dict[Period, dict[int, float]]:
    """The metric's value for each period up to as_of, by the area the rows point at: one query.
    `within` (area paths) limits the rows to those subtrees, so only the data asked about is read."""
    periods = list(dict.fromkeys(periods))
    result: dict[Period, dict[int, float]] = {p: {} for p in periods}
    live = [p for p in periods if p.start <= as_of]
    if not live:
        return result
    if reads_facts(metric, as_of, live):
        from xicheng import facts

        return {**result, **facts.values_by_area(metric, live, as_of, within)}
    return {**result, **values_from_rows(metric, live, as_of, within)}


def values_from_rows(
    metric: Metric, periods: Sequence[Period], as_of: date, within: Iterable[str] | None = None
) -> dict[Period, dict[int, float]]:
    """`values_by_area` read from the rows (or their history, for a past as-of), never from the
    facts: for periods that start on or before as_of."""
    live = list(periods)
    result: dict[Period, dict[int, float]] = {p: {} for p in live}
    lo = min(p.start for p in live)
    hi = min(max(p.end for p in live), as_of)
    annotations = {f"p{i}": metric.aggregate(metric.in_period(p, as_of)) for i, p in enumerate(live)}
    subtrees: Q | None = None
    if within is not None:
        subtrees = Q(pk__in=[])
        for path in outermost(within):
            subtrees |= Q(**{f"{metric.area}__path__startswith": path})

    def narrow(qs: models.QuerySet[Any]) -> models.QuerySet[Any]:
        qs = metric.narrowed(qs, lo, hi, as_of)
        return qs.filter(subtrees) if subtrees is not None else qs

    rows = totals_as_of(metric.model._default_manager.all(), as_of, annotations, narrow=narrow, group_by=[metric.area])
    for row in rows:
        area_id = row[metric.area]
        for i, period in enumerate(live):
            if area_id is not None and row[f"p{i}"]:
                result[period][area_id] = float(row[f"p{i}"])
    return result


def reads_facts(metric: Metric, as_of: date, periods: Iterable[Period]) -> bool:
    """Whether the figures are read from the kept facts: today's (or a later) as-of, a kept
    metric, periods the facts answer (xicheng.facts.answers)."""
    if is_past(as_of):
        return False
    from xicheng import facts

    return facts.answers(metric, periods)


def area_paths() -> dict[int, str]:
    from xicheng.models import Area

    return dict(Area.objects.values_list("id", "path").order_by())


def rolled_up(values: dict[int, float], paths: dict[int, str], steplen: int = 4) -> dict[str, float]:
    """Values by area id, added up into every area above: the result is keyed by area path."""
    totals: dict[str, float] = defaultdict(float)
    for area_id, value in values.items():
        path = paths.get(area_id)
        if path is None:
            continue
        for end in range(steplen, len(path) + 1, steplen):
            totals[path[:end]] += value
    return dict(totals)


def value_for(metric: Metric, period: Period, area: Area, as_of: date) -> float:
    """One figure: the metric over the period for an area's subtree, as of a day."""
    if period.start > as_of:
        return 0.0
    if reads_facts(metric, as_of, [period]):
        from xicheng import facts

        return facts.total(metric, period.start, min(period.end, as_of), area.path)

    def narrow(qs: models.QuerySet[Any]) -> models.QuerySet[Any]:
        rows = metric.narrowed(qs, period.start, min(period.end, as_of), as_of)
        return rows.filter(**{f"{metric.area}__path__startswith": area.path})

    value = totals_as_of(metric.model._default_manager.all(), as_of, {"v": metric.aggregate(Q())}, narrow=narrow)[0][
        "v"
    ]
    return float(value or 0)


def week_ends(period: Period, as_of: date) -> list[date]:
    """Each Sunday in the period up to as_of, and the last day counted if it is not a Sunday."""
    last = min(period.end, as_of)
    if last < period.start:
        return []
    days: list[date] = []
    day = period.start + timedelta(days=6 - period.start.weekday())
    while day < last:
        days.append(day)
        day += timedelta(days=7)
    days.append(last)
    return days


def weekly_series(metric: Metric, period: Period, as_of: date, area: Area | None = None) -> list[tuple[date, float]]:
    """The cumulative value at each week's end over the period, up to as_of: one query."""
    return weekly_series_of([(metric, period, area)], as_of)[0]


def weekly_series_of(
    asked: Sequence[tuple[Metric, Period, Area | None]], as_of: date
) -> list[list[tuple[date, float]]]:
    """`weekly_series` for several (metric, period, area): the facts of every metric over the same
    period and area in one query, each other series in one query of its own."""
    result: list[list[tuple[date, float]]] = [[] for _ in asked]
    from_facts: dict[tuple[Period, str | None], list[int]] = defaultdict(list)
    for i, (metric, period, area) in enumerate(asked):
        points = week_ends(period, as_of)
        if not points:
            continue
        if reads_facts(metric, as_of, [period]):
            from_facts[(period, area.path if area is not None else None)].append(i)
        else:
            result[i] = _weekly_from_rows(metric, period, as_of, area, points)
    if from_facts:
        from xicheng import facts

        for (period, path), indexes in from_facts.items():
            points = week_ends(period, as_of)
            wanted = list({asked[i][0].key: asked[i][0] for i in indexes}.values())
            values = facts.cumulative(wanted, period.start, points, path)
            for i in indexes:
                result[i] = list(zip(points, values[asked[i][0].key], strict=True))
    return result


def _weekly_from_rows(
    metric: Metric, period: Period, as_of: date, area: Area | None, points: Sequence[date]
) -> list[tuple[date, float]]:
    def narrow(qs: models.QuerySet[Any]) -> models.QuerySet[Any]:
        rows = metric.narrowed(qs, period.start, points[-1], as_of)
        return rows.filter(**{f"{metric.area}__path__startswith": area.path}) if area is not None else rows

    if metric.how == "distinct":
        # A thing seen in two weeks counts once: a distinct count up to each week's end.
        annotations = {
            f"w{i}": metric.aggregate(Q(**{f"{metric.date_field}__lte": day})) for i, day in enumerate(points)
        }
        totals = totals_as_of(metric.model._default_manager.all(), as_of, annotations, narrow=narrow)[0]
        return [(day, float(totals[f"w{i}"] or 0)) for i, day in enumerate(points)]
    # A count or a sum: the value of each day, added up to each week's end here.
    daily = totals_as_of(
        metric.model._default_manager.all(),
        as_of,
        {"v": metric.aggregate(Q())},
        narrow=narrow,
        group_by=[metric.date_field],
    )
    by_day = sorted(
        (row[metric.date_field], float(row["v"] or 0)) for row in daily if row[metric.date_field] is not None
    )
    series, running, i = [], 0.0, 0
    for point in points:
        while i < len(by_day) and by_day[i][0] <= point:
            running += by_day[i][1]
            i += 1
        series.append((point, running))
    return series
