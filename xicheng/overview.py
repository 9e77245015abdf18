"""The leaders' overview (领导驾驶舱): one function builds every figure, and the page, the API and
the xlsx workbook all read what it returns, so they cannot disagree."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils.formats import localize
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xicheng import dashboard, metrics, overview_cache
from xicheng.asof import is_past, rows_as_of
from xicheng.figures import Figures
from xicheng.models import Area, Indicator, ManualReading, Target, Task, WorkLine
from xicheng.overview_cache import Parts
from xicheng.params import read_dates
from xicheng.periods import Period
from xicheng.progress import Light, Progress, as_number, progress
from xicheng.roles import AnyUser
from xicheng.selectors import TargetProgress, target_progress
from xicheng.templatetags.figures import figure_like, group

LIGHT_ORDER = {Light.RED: 0, Light.YELLOW: 1, Light.GREEN: 2, Light.DONE: 3}


@dataclass
class LineGroup:
    work_line: WorkLine
    rows: list[TargetProgress]


@dataclass
class Trend:
    target: Target
    points: list[tuple[date, float]]  # cumulative actual at each week's end
    pace: list[float]  # what the pro-rata pace asks for at the same days

    @property
    def key(self) -> str:
        return f"trend-{self.target.pk}"

    @property
    def table_rows(self) -> SafeString:
        """The chart's figures as its table shows them (week ending, actual, pace), written here
        rather than in the template: a half-year of weeks for each chart, hundreds of cells on a
        city's page."""
        return mark_safe(  # every cell is escaped
            "".join(
                f'<tr><td>{escape(f"{day:%m-%d}")}</td><td class="num">{escape(localize(value))}</td>'
                f'<td class="num">{escape(localize(pace))}</td></tr>'
                for (day, value), pace in zip(self.points, self.pace, strict=True)
            )
        )


@dataclass
class Overview:
    period: Period
    as_of: date
    groups: list[LineGroup]
    sections: list[tuple[dashboard.Section, dashboard.SectionData]]
    alerts: list[dashboard.Alert]
    trends: list[Trend]
    light_counts: dict[str, int] = field(default_factory=dict)
    # Set when the overview came through the cache: its key and life, under which the page keeps
    # its rendered HTML too (rendering a city's tables took longer than reading them).
    cache_key: str = ""
    cache_seconds: int = 0

    @property
    def rows(self) -> list[TargetProgress]:
        return [row for group in self.groups for row in group.rows]


def period_from(params: Any, today: date) -> Period:
    """The period a request asks for (xicheng.params reads it, for pages, API and exports alike);
    raises xicheng.params.ParamError when the parameters cannot be read."""
    return read_dates(params, today).period


def _metric_for(indicator: Indicator) -> metrics.Metric | None:
    if indicator.source == Indicator.Source.METRIC:
        return metrics.registry.get(indicator.metric) if indicator.metric in metrics.registry else None
    # A manual indicator's readings read like a metric: summed by day and area, listed as readings.
    return metrics.Metric(
        key=f"manual.{indicator.code}",
        label=indicator.name,
        unit=indicator.unit,
        model=ManualReading,
        date_field="on",
        area="area",
        how="sum",
        field="value",
        filter=Q(indicator=indicator),
        listing=metrics.Listing(
            "reading_list",
            "manualreading-list",
            dates=("on_after", "on_before"),
            params=(("indicator", str(indicator.pk)),),
        ),
    )


def records_url(indicator: Indicator, period: Period, as_of: date, area: Area | None = None) -> str | None:
    """The list of the rows behind an indicator's figure for the period as of the day, in the
    area's subtree: the count (or, for a sum, the total) of what it lists is the figure."""
    metric = _metric_for(indicator)
    return None if metric is None else metric.records_url(period, as_of, area)


TARGET_ORDER = ("indicator__work_line__order", "indicator__order", "area__path", "period_start", "pk")


def _target_key(t: Target) -> tuple[Any, ...]:
    return (t.indicator.work_line.order, t.indicator.order, t.area.path, t.period_start, t.pk)


def targets_for(user: AnyUser, period: Period, as_of: date | None = None) -> list[Target]:
    """The targets over the period the user sees; on a past day with their values (and periods)
    as they stood then, so a target changed later does not change that day's figures."""
    visible = Target.objects.on_dashboard_of(user)
    overlaps = Q(period_start__lte=period.end, period_end__gte=period.start)
    if as_of is None or not is_past(as_of):
        return list(visible.filter(overlaps).select_related("indicator__work_line", "area").order_by(*TARGET_ORDER))
    return rows_as_of(
        visible,
        as_of,
        where=overlaps,
        related=("indicator__work_line", "area"),
        order_by=TARGET_ORDER,
        key=_target_key,
    )


def build_overview(user: AnyUser, period: Period, as_of: date) -> Overview:
    """Every figure of the user's overview for the period as of the day: cached per dashboard
    scope, period and day, and forgotten by the writes that change it (xicheng.overview_cache)."""
    return overview_cache.cached(user, period, as_of, lambda parts: compute_overview(user, period, as_of, parts))


def compute_overview(user: AnyUser, period: Period, as_of: date, parts: Parts | None = None) -> Overview:
    """The overview, computed (build_overview reads it from the cache when it can), each part read
    from `parts` when it is still cached there."""
    parts = parts or Parts.uncached()
    # The metric values the targets compute, for the sections to reuse (xicheng.figures).
    figures = Figures(as_of)
    rows, trends = parts.get("targets", None, lambda: _targets_and_trends(user, period, as_of, figures))
    groups: list[LineGroup] = []
    for row in rows:
        line = row.target.indicator.work_line
        if not groups or groups[-1].work_line.pk != line.pk:
            groups.append(LineGroup(work_line=line, rows=[]))
        groups[-1].rows.append(row)

    built = []
    for section in dashboard.sections:
        data = parts.get(
            f"section:{section.key}",
            section.reads,
            lambda section=section: section.build(user, period, as_of, figures),  # type: ignore[misc]
            overview_cache.plain_section,
        )
        if data is not None:
            built.append((section, data))

    found: list[dashboard.Alert] = [
        dashboard.Alert(
            kind="target_red",
            kind_label=gettext_lazy("Red target"),
            title=_("%(indicator)s: %(percent)s%% done, %(expected)s expected")
            % {
                "indicator": row.target.indicator.name,
                "percent": group(row.progress.percent, 1),
                "expected": f"{figure_like(row.progress.expected, row.progress.target)} {row.target.indicator.unit}",
            },
            area=row.target.area.name,
            due=row.target.period_end,
            url=reverse("dashboard_areas", args=[row.target.pk]),
            severity=3,
        )
        for row in rows
        if row.progress.light == Light.RED
    ]
    # The work plan's own (xicheng's models, which every part reads).
    tasks: list[dashboard.Alert] = parts.get(
        "tasks", (), lambda: _overdue_tasks(user, as_of), overview_cache.plain_alerts
    )
    found += tasks
    for source in dashboard.alerts:
        collected: list[dashboard.Alert] = parts.get(
            f"alerts:{source.key}",
            source.reads,
            lambda source=source: source.collect(user, as_of),  # type: ignore[misc]
            overview_cache.plain_alerts,
        )
        found += collected
    found.sort(key=lambda a: (-a.severity, a.due or date.max, a.title))

    counts = {light.value: 0 for light in Light}
    for row in rows:
        counts[row.progress.light.value] += 1
    return Overview(
        period=period, as_of=as_of, groups=groups, sections=built, alerts=found, trends=trends, light_counts=counts
    )


def _targets_and_trends(
    user: AnyUser, period: Period, as_of: date, figures: Figures
) -> tuple[list[TargetProgress], list[Trend]]:
    """The targets the user sees with their progress, and the weekly trends of the headline ones."""
    rows = target_progress(targets_for(user, period, as_of), as_of, figures)
    charted = [
        (row.target, metric)
        for row in rows
        if row.target.indicator.headline and (metric := _metric_for(row.target.indicator)) is not None
    ]
    series = metrics.weekly_series_of(
        [(metric, Period(t.period_start, t.period_end), t.area) for t, metric in charted], as_of
    )
    trends = []
    for (target, _metric), points in zip(charted, series, strict=True):
        own = Period(target.period_start, target.period_end)
        total = float(target.value)
        pace = [round(total * min(max(((d - own.start).days + 1) / own.days, 0), 1), 2) for d, _v in points]
        trends.append(Trend(target=target, points=points, pace=pace))
    return rows, trends


def _overdue_tasks(user: AnyUser, as_of: date) -> list[dashboard.Alert]:
    """The tasks overdue that day, judged by each as it stood then: a task finished later was
    still overdue then."""
    overdue_tasks = rows_as_of(
        Task.objects.on_dashboard_of(user),
        as_of,
        where=Task.overdue_q(as_of),
        related=("area",),
        order_by=("due_on",),
        key=lambda task: task.due_on,
        limit=50,
    )
    return [
        dashboard.Alert(
            kind="task_overdue",
            kind_label=gettext_lazy("Overdue task"),
            title=task.title,
            area=task.area.name,
            due=task.due_on,
            url=reverse("task_detail", args=[task.pk]),
            severity=1,
        )
        for task in overdue_tasks
    ]


@dataclass
class AreaRow:
    area: Area
    depth: int
    actual: float
    url: str | None
    progress: Progress | None = None  # against the area's own target for the period, if it has one


def area_breakdown(target: Target, as_of: date) -> list[AreaRow]:
    """The indicator's actual for every area under the target's, each level rolled up, with its
    progress where the area has a target of its own for the same period: the tree in path order
    (one query for the areas, one for their targets, one for the values)."""
    metric = _metric_for(target.indicator)
    areas: Sequence[Area] = list(Area.objects.within(target.area).order_by("path"))
    period = Period(target.period_start, target.period_end)
    own_targets = {
        t.area_id: t
        for t in Target.objects.filter(
            indicator=target.indicator_id,
            period_start=target.period_start,
            period_end=target.period_end,
            area__in=[a.pk for a in areas],
        ).order_by("pk")
    }
    if metric is None:
        rolled: dict[str, float] = {}
    else:
        values = metrics.values_by_area(metric, [period], as_of, within=[target.area.path])[period]
        rolled = metrics.rolled_up(values, {a.pk: a.path for a in areas})
    rows = []
    for a in areas:
        actual = rolled.get(a.path, 0.0)
        own = own_targets.get(a.pk)
        rows.append(
            AreaRow(
                area=a,
                depth=a.depth - target.area.depth,
                actual=as_number(actual),
                url=None if metric is None else metric.records_url(period, as_of, a),
                progress=None
                if own is None
                else progress(
                    actual=actual,
                    target=own.value,
                    start=own.period_start,
                    end=own.period_end,
                    as_of=as_of,
                    lower_is_better=target.indicator.lower_is_better,
                ),
            )
        )
    return rows


def overview_as_dict(ov: Overview) -> dict[str, Any]:
    """Plain data for the API and the workbook: numbers as numbers."""
    return {
        "period": {"start": ov.period.start.isoformat(), "end": ov.period.end.isoformat(), "label": ov.period.label},
        "as_of": ov.as_of.isoformat(),
        "lights": ov.light_counts,
        "targets": [
            {
                "id": row.target.pk,
                "work_line": row.target.indicator.work_line.name,
                "indicator": row.target.indicator.name,
                "indicator_code": row.target.indicator.code,
                "unit": row.target.indicator.unit,
                "area": row.target.area.name,
                "period": row.target.period_label,
                **row.progress.as_dict(),
            }
            for row in ov.rows
        ],
        "sections": [
            {
                "key": section.key,
                "title": str(section.title),
                "tables": [
                    {"key": t.key, "title": str(t.title), "columns": [str(c) for c in t.columns], "rows": t.rows}
                    for t in data.tables
                ],
            }
            for section, data in ov.sections
        ],
        "alerts": [
            {
                "kind": a.kind,
                "kind_label": str(a.kind_label),
                "title": a.title,
                "area": a.area,
                "due": a.due.isoformat() if a.due else None,
                "severity": a.severity,
                "url": a.url,
            }
            for a in ov.alerts
        ],
        "trends": trends_as_data(ov),
    }


def trends_as_data(ov: Overview) -> list[dict[str, Any]]:
    """The weekly trends as the charts read them."""
    return [
        {
            "target": t.target.pk,
            "indicator": t.target.indicator.name,
            "weeks": [d.isoformat() for d, _v in t.points],
            "actual": [v for _d, v in t.points],
            "pace": t.pace,
        }
        for t in ov.trends
    ]
