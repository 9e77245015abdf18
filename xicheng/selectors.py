"""Reads that take more than one query to explain: targets with their actual values and progress."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Max, Q, Sum

from xicheng import metrics
from xicheng.asof import totals_as_of
from xicheng.figures import Figures
from xicheng.models import Area, Indicator, ManualReading, Target
from xicheng.periods import Period
from xicheng.progress import Progress, progress
from xicheng.scope import served_areas


@dataclass(frozen=True)
class TargetProgress:
    target: Target
    progress: Progress

    @property
    def period(self) -> Period:
        return Period(self.target.period_start, self.target.period_end)


def period_of(target: Target) -> Period:
    return Period(target.period_start, target.period_end)


def actuals(targets: Sequence[Target], as_of: date, figures: Figures | None = None) -> dict[int, float]:
    """Actual value of each target (by pk) as of a day, rolled up its area's subtree.

    Costs one query for the paths of the areas under the targets', one per metric in use (a
    registered, bounded set) and one for all manual readings: never one per target. The metric
    values are kept in `figures`, for the dashboard's sections to reuse (xicheng.figures).
    """
    if not targets:
        return {}
    figures = figures if figures is not None else Figures(as_of)
    result: dict[int, float] = {}

    by_metric: dict[str, list[Target]] = defaultdict(list)
    manual: list[Target] = []
    for target in targets:
        indicator = target.indicator
        if indicator.source == Indicator.Source.METRIC and indicator.metric in metrics.registry:
            by_metric[indicator.metric].append(target)
        elif indicator.source == Indicator.Source.MANUAL:
            manual.append(target)
        else:
            result[target.pk] = 0.0

    figures.prefetch(
        (metrics.registry.get(key), [period_of(t) for t in group], [t.area.path for t in group])
        for key, group in by_metric.items()
    )
    for key, group in by_metric.items():
        metric = metrics.registry.get(key)
        rolled = figures.rolled(metric, [period_of(t) for t in group], within=[t.area.path for t in group])
        for target in group:
            result[target.pk] = rolled[period_of(target)].get(target.area.path, 0.0)

    if manual:
        paths = figures.paths([t.area.path for t in manual])
        periods = list(dict.fromkeys(period_of(t) for t in manual))
        live = [p for p in periods if p.start <= as_of]
        by_period: dict[Period, dict[tuple[int, int], float]] = {p: {} for p in periods}
        if live:
            annotations = {
                f"p{i}": Sum("value", filter=Q(on__gte=p.start, on__lte=min(p.end, as_of))) for i, p in enumerate(live)
            }
            indicators = {t.indicator_id for t in manual}
            # A reading corrected later is read as it stood on the day (xicheng.asof).
            rows = totals_as_of(
                ManualReading.objects.all(),
                as_of,
                annotations,
                narrow=lambda qs: qs.filter(indicator__in=indicators, on__lte=as_of),
                group_by=["indicator_id", "area_id"],
            )
            for row in rows:
                for i, period in enumerate(live):
                    if row[f"p{i}"]:
                        by_period[period][(row["indicator_id"], row["area_id"])] = float(row[f"p{i}"])
        for target in manual:
            per_area = {
                area_id: v for (ind, area_id), v in by_period[period_of(target)].items() if ind == target.indicator_id
            }
            result[target.pk] = metrics.rolled_up(per_area, paths).get(target.area.path, 0.0)
    return result


def target_progress(targets: Sequence[Target], as_of: date, figures: Figures | None = None) -> list[TargetProgress]:
    """Each target with its progress as of a day. Targets must come with indicator and area."""
    values = actuals(targets, as_of, figures)
    return [
        TargetProgress(
            target=t,
            progress=progress(
                actual=values.get(t.pk, 0.0),
                target=t.value,
                start=t.period_start,
                end=t.period_end,
                as_of=as_of,
                lower_is_better=t.indicator.lower_is_better,
            ),
        )
        for t in targets
    ]


@dataclass
class ReadingCard:
    """A manual indicator the user owns, for one area she serves: this month's total so far and
    the last reading's day, with the form that adds the next one."""

    indicator: Indicator
    area: Area
    month_total: float | None = None
    last_on: date | None = None
    form: Any = None
    saved: bool = False

    @property
    def key(self) -> str:
        return f"{self.indicator.pk}-{self.area.pk}"


def reading_cards(user: Any, today: date, *, only: tuple[int, int] | None = None) -> list[ReadingCard]:
    """One card per manual indicator the user owns and area she serves: two queries (three with
    the areas, read once per request)."""
    areas = served_areas(user)
    indicators = list(
        Indicator.objects.filter(owner=user.pk, source=Indicator.Source.MANUAL).order_by("work_line__order", "order")
    )
    if only is not None:
        indicators = [i for i in indicators if i.pk == only[0]]
        areas = [a for a in areas if a.pk == only[1]]
    if not indicators or not areas:
        return []
    month_start = today.replace(day=1)
    figures = {
        (row["indicator_id"], row["area_id"]): row
        for row in ManualReading.objects.filter(indicator__in=indicators, area__in=areas)
        .values("indicator_id", "area_id")
        .annotate(last_on=Max("on"), month_total=Sum("value", filter=Q(on__gte=month_start, on__lte=today)))
        .order_by()
    }
    cards = []
    for indicator in indicators:
        for area in areas:
            row = figures.get((indicator.pk, area.pk), {})
            total = row.get("month_total")
            cards.append(ReadingCard(indicator, area, float(total) if total is not None else None, row.get("last_on")))
    return cards
