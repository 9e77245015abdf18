"""Metric facts: each registered metric kept as a daily per-area aggregate (`MetricFact`), so the
dashboard, targets, rankings and trends add up a few thousand facts instead of scanning the rows.
The registers stay the truth; the facts are derived from them and can be rebuilt at any time.

Which metrics are kept: every registered metric without a `state` (a `state` metric — overdue,
still enrolled — depends on the as-of day, and is read from the rows: xicheng.metrics).

- A `count` or `sum` metric: a row adds to one cell, (its area, its day), and a period's value is
  the sum of its days.
- A `distinct` metric (houses inspected, villages served) cannot be added up across days: a house
  inspected twice is one house. Its facts count each thing on its *first* day in the half-year
  (in each area it is counted in), so the sum of a half-year's days up to any day is the number of
  things seen by then. The facts answer periods that start on a half-year's first day and end
  within it (the half-years the targets are set for, and their weekly trends); any other period is
  read from the rows (`answers`). A write recounts the whole half-year of the areas it touches.

When facts are read: for today's (or a later) as-of. A past as-of is read from the history, exactly
as before (xicheng.asof), so that the figures for 30 June are the same whenever they are asked; the
facts describe the registers as they are now, not as they stood.

How they are kept, in the same transaction as the write that changes them:

- every save or delete of a row of a kept metric's model recounts the cells the row was in before
  and is in after (signals, connected by `connect()` when the kernel starts);
- a save that changes the field a metric reaches through a relation (a rental house moved to
  another grid carries its inspections and migrants; a delivery's village or day its receipts)
  recounts the cells of the rows that point at it;
- a bulk write sends no signals: the service that makes one calls `refresh(queryset)` on the rows
  it wrote (or, if it moves rows between cells, `recount(cells_of(rows) before | after)`).

A recount first takes the cells' rows in the facts table (an upsert), then counts: a concurrent
write to the same cell waits for this transaction and then counts what it committed.

The facts of each area are also added up by calendar month (`MetricMonth`), in the same
transaction: a period from a month's first day reads its whole months from there and only the
days of its last month from the facts (a city's half-year: 30,000 facts a metric become 5,000).

`rebuild()` recounts everything (or some metrics, from a day on) from the rows; `differences()`
compares the facts with a recount. `manage.py rebuild_facts` runs either; the worker runs
`xicheng.tasks.rebuild_metric_facts`; `seed_demo` ends with a rebuild. After migrating an existing
database to this table, `migrate` counts them (`rebuild_missing`, on post_migrate): no manual step.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from django.core.exceptions import FieldDoesNotExist
from django.db import connections, models, transaction
from django.db.models import Count, F, Max, Min, Q, Sum
from django.db.models.functions import TruncMonth
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save

from xicheng.metrics import Metric, registry
from xicheng.periods import Period

Cell = tuple[int, date]  # (area id, day)
Cells = dict[str, set[Cell]]  # metric key → cells


def kept(metric: Metric) -> bool:
    """Whether the metric is kept as facts (a registered metric without a state)."""
    return metric.state is None and metric.key in registry and registry.get(metric.key) == metric


def answers(metric: Metric, periods: Iterable[Period]) -> bool:
    """Whether the facts hold the metric's value for each period: a kept count or sum for any
    period; a kept distinct metric for a period from a half-year's first day to a day within it."""
    if not kept(metric):
        return False
    if metric.how != "distinct":
        return True
    return all(
        p.start == Period.half_year_of(p.start).start and p.end <= Period.half_year_of(p.start).end for p in periods
    )


def kept_metrics(keys: Iterable[str] | None = None) -> list[Metric]:
    wanted = set(keys) if keys is not None else None
    return [m for m in registry if kept(m) and (wanted is None or m.key in wanted)]


@dataclass(frozen=True)
class Hop:
    """A model a metric reaches through a relation: a save of it that changes `attname` moves the
    cells of the metric's rows that point at it (`prefix`: the path from the metric's model)."""

    metric: Metric
    model: type[models.Model]
    prefix: str
    attname: str


def hops(metric: Metric) -> list[Hop]:
    found: list[Hop] = []
    for path in (metric.area, metric.date_field):
        model: type[models.Model] = metric.model
        parts = path.split("__")
        for i, name in enumerate(parts[:-1]):
            field = model._meta.get_field(name)
            if not field.is_relation or field.related_model is None:
                break  # a transform (resolved_at__date), not a relation
            model = field.related_model  # type: ignore[assignment]
            try:
                next_field = model._meta.get_field(parts[i + 1])
            except FieldDoesNotExist:  # a transform after the relation's field
                break
            attname = getattr(next_field, "attname", None)
            if attname is None:
                break
            found.append(Hop(metric, model, "__".join(parts[: i + 1]), attname))
    return found


def _own(model: type[models.Model]) -> list[Metric]:
    return [m for m in kept_metrics() if m.model is model]


def _q_fields(q: Q) -> set[str] | None:
    """The fields a filter reads (their first segment), or None when it compares with an
    expression (which may read any field)."""
    names: set[str] = set()
    for child in q.children:
        if isinstance(child, Q):
            inner = _q_fields(child)
            if inner is None:
                return None
            names |= inner
        else:
            lookup, value = cast(tuple[str, Any], child)
            if hasattr(value, "resolve_expression"):
                return None
            names.add(lookup.split("__")[0])
    return names


def _relevant_attnames(model: type[models.Model]) -> set[str] | None:
    """The columns of `model` a save must touch to change one of its own metrics' cells or
    values; None when that cannot be told (then every save recounts)."""
    names: set[str] = set()
    for metric in _own(model):
        names |= {metric.area.split("__")[0], metric.date_field.split("__")[0], metric.field.split("__")[0]}
        if metric.filter is not None:
            fields = _q_fields(metric.filter)
            if fields is None:
                return None
            names |= fields
    attnames: set[str] = set()
    for name in names:
        if name == "pk":
            continue
        field = model._meta.get_field(name)
        attnames |= {name, getattr(field, "attname", name)}
    return attnames


def cells_of(queryset: models.QuerySet[Any], *, through: bool = True) -> Cells:
    """The cells the rows of `queryset` occupy now: for their model's own metrics and (`through`)
    for the metrics that reach their rows through them (a delivery's receipts)."""
    model = queryset.model
    cells: Cells = defaultdict(set)
    own = _own(model)
    if own:
        paths = sorted({p for m in own for p in (m.area, m.date_field)})
        for row in queryset.order_by().values(*paths).distinct():
            for metric in own:
                cells[metric.key].add((row[metric.area], row[metric.date_field]))
    for hop in _distinct_prefixes(_hops_to(model)) if through else []:
        metric = hop.metric
        rows = metric.model._base_manager.filter(**{f"{hop.prefix}__in": queryset.order_by().values("pk")})
        for row in rows.order_by().values(metric.area, metric.date_field).distinct():
            cells[metric.key].add((row[metric.area], row[metric.date_field]))
    return cells


def _hops_to(model: type[models.Model]) -> list[Hop]:
    return [hop for metric in kept_metrics() for hop in hops(metric) if hop.model is model]


def _distinct_prefixes(found: list[Hop]) -> list[Hop]:
    """One hop per metric and path (a delivery's day and village lead to the same receipts)."""
    return list({(hop.metric.key, hop.prefix): hop for hop in found}.values())


def merged(*parts: Cells) -> Cells:
    result: Cells = defaultdict(set)
    for part in parts:
        for key, cells in part.items():
            result[key] |= cells
    return result


def _plain(metric: Metric) -> models.Aggregate:
    return Sum(metric.field) if metric.how == "sum" else Count(metric.field)


def _counted(metric: Metric, cells: Sequence[Cell]) -> dict[Cell, Any]:
    """The metric's value in each cell, counted from the rows: one query."""
    rows = metric.model._default_manager.all()
    if metric.filter is not None:
        rows = rows.filter(metric.filter)
    rows = rows.filter(
        **{f"{metric.area}__in": {a for a, _ in cells}, f"{metric.date_field}__in": {d for _, d in cells}}
    )
    grouped = rows.values(metric.area, metric.date_field).annotate(v=_plain(metric)).order_by()
    return {(r[metric.area], r[metric.date_field]): r["v"] for r in grouped}


def _half_years(lo: date, hi: date) -> list[Period]:
    """The half-years from the one holding `lo` to the one holding `hi`."""
    found: list[Period] = []
    day = lo
    while day <= hi:
        found.append(Period.half_year_of(day))
        day = found[-1].end + timedelta(days=1)
    return found


def _firsts(metric: Metric, block: Period, areas: Iterable[int] | None = None) -> dict[Cell, int]:
    """A distinct metric's facts for one half-year: how many things each area saw for the first
    time in the half-year on each day (one query, counted by the database)."""
    rows = metric.model._default_manager.all()
    if metric.filter is not None:
        rows = rows.filter(metric.filter)
    rows = rows.filter(
        **{
            f"{metric.date_field}__gte": block.start,
            f"{metric.date_field}__lte": block.end,
            f"{metric.area}__isnull": False,
            f"{metric.field}__isnull": False,
        }
    )
    if areas is not None:
        rows = rows.filter(**{f"{metric.area}__in": sorted(areas)})
    firsts = (
        rows.order_by()
        .values(fact_area=F(metric.area), fact_thing=F(metric.field))
        .annotate(fact_first=Min(metric.date_field))
    )
    sql, params = firsts.query.sql_with_params()
    with connections[firsts.db].cursor() as cursor:
        cursor.execute(
            f"SELECT fact_area, fact_first, COUNT(*) FROM ({sql}) firsts GROUP BY fact_area, fact_first", params
        )
        return {(a, _as_date(d)): n for a, d, n in cursor.fetchall()}


def _taken(metric: Metric, cells: Sequence[Cell]) -> list[Cell]:
    """The cells a recount takes first: its own, or for a distinct metric each area's half-year
    by its first day (every recount of that half-year takes the same one)."""
    if metric.how != "distinct":
        return list(cells)
    return sorted({(a, Period.half_year_of(d).start) for a, d in cells})


def _recounted(metric: Metric, cells: Sequence[Cell]) -> dict[Cell, Any]:
    """The cells' values counted from the rows; for a distinct metric every day of the areas'
    half-years (a thing's first day may move anywhere within it), stale days at 0."""
    from xicheng.models import MetricFact

    if metric.how != "distinct":
        counted = _counted(metric, cells)
        return {cell: counted.get(cell) or 0 for cell in cells}
    blocks: dict[Period, set[int]] = defaultdict(set)
    for a, d in cells:
        blocks[Period.half_year_of(d)].add(a)
    result: dict[Cell, Any] = {}
    for block, areas in sorted(blocks.items()):
        stored = MetricFact.objects.filter(
            metric=metric.key, area__in=sorted(areas), day__gte=block.start, day__lte=block.end
        ).values_list("area_id", "day")
        result |= dict.fromkeys(stored, 0) | _firsts(metric, block, areas)
    return result


def _upsert(facts: list[Any]) -> None:
    from xicheng.models import MetricFact

    MetricFact.objects.bulk_create(
        facts, update_conflicts=True, unique_fields=["metric", "area", "day"], update_fields=["value"], batch_size=2000
    )


def recount(cells: Cells) -> None:
    """Recount the cells from the rows, in the current transaction: a fixed number of queries
    (two to take the cells and their months, one or two counts per metric, one to add up the
    months, two to write them)."""
    from xicheng.models import MetricFact, MetricMonth

    _deleting.last = None
    wanted = {
        key: sorted(c for c in found if c[0] is not None and c[1] is not None)
        for key, found in cells.items()
        if key in registry
    }
    wanted = {k: v for k, v in sorted(wanted.items()) if v}
    if not wanted:
        return
    # Part of the caller's transaction (no savepoint of its own: a failed write rolls both back).
    with transaction.atomic(savepoint=False):
        # Take the cells first (inserting those not there yet): a concurrent write to one of them
        # waits until this transaction ends, and then counts the rows it committed.
        _upsert(
            [
                MetricFact(metric=key, area_id=a, day=d, value=0)
                for key, found in wanted.items()
                for a, d in _taken(registry.get(key), found)
            ]
        )
        recounted = {key: _recounted(registry.get(key), found) for key, found in wanted.items()}
        months = {key: sorted({(a, d.replace(day=1)) for a, d in cells}) for key, cells in recounted.items()}
        # Their months too, before reading the days they add up: a write to another day of the
        # same month waits here, then adds up what it committed.
        _upsert_months(
            [MetricMonth(metric=key, area_id=a, month=m, value=0) for key, found in months.items() for a, m in found]
        )
        _upsert(
            [
                MetricFact(metric=key, area_id=a, day=d, value=v)
                for key, cells in recounted.items()
                for (a, d), v in sorted(cells.items())
            ]
        )
        _upsert_months(
            [
                MetricMonth(metric=key, area_id=a, month=m, value=v)
                for key, found in _added_up(months).items()
                for (a, m), v in sorted(found.items())
            ]
        )


def _month_end(month: date) -> date:
    return Period.month(month.year, month.month).end


def _by_month(facts: models.QuerySet[Any]) -> dict[tuple[str, int, date], Any]:
    """The facts added up by metric, area and month: one query."""
    sums = facts.annotate(month=TruncMonth("day")).values("metric", "area", "month").annotate(v=Sum("value"))
    return {(r["metric"], r["area"], _as_date(r["month"])): r["v"] for r in sums.order_by()}


def _added_up(months: dict[str, list[tuple[int, date]]]) -> dict[str, dict[tuple[int, date], Any]]:
    """Each metric's (area, month) facts added up: one query for all of them."""
    from xicheng.models import MetricFact

    cells = [cell for found in months.values() for cell in found]
    found = _by_month(
        MetricFact.objects.filter(
            metric__in=sorted(months),
            area__in=sorted({a for a, _ in cells}),
            day__gte=min(m for _, m in cells),
            day__lte=_month_end(max(m for _, m in cells)),
        )
    )
    return {key: {(a, m): found.get((key, a, m)) or 0 for a, m in cells} for key, cells in months.items()}


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else date.fromisoformat(value)


def _upsert_months(months: list[Any]) -> None:
    from xicheng.models import MetricMonth

    MetricMonth.objects.bulk_create(
        months,
        update_conflicts=True,
        unique_fields=["metric", "area", "month"],
        update_fields=["value"],
        batch_size=2000,
    )


def refresh(queryset: models.QuerySet[Any]) -> None:
    """The rows of `queryset` were written in bulk (no signals): recount the cells they are in."""
    recount(cells_of(queryset))


# -- signals ---------------------------------------------------------------------------------

# The last recount made after a delete, and the delete's origin (xicheng.facts._after_delete).
_deleting = threading.local()


def _before_save(
    sender: type[models.Model], instance: Any, raw: bool = False, update_fields: Any = None, **_: Any
) -> None:
    instance._facts_before = None
    if raw or instance.pk is None or instance._state.adding:
        return
    if update_fields is not None:
        relevant = _relevant_attnames(sender)
        if relevant is not None and not relevant & set(update_fields):
            return
    instance._facts_before = cells_of(sender._base_manager.filter(pk=instance.pk), through=False)


def _after_save(
    sender: type[models.Model], instance: Any, created: bool, raw: bool = False, update_fields: Any = None, **_: Any
) -> None:
    if raw:
        return
    before = getattr(instance, "_facts_before", None)
    if before is None and not created:
        return
    instance._facts_before = None
    recount(merged(before or {}, cells_of(sender._base_manager.filter(pk=instance.pk), through=False)))


def _before_delete(sender: type[models.Model], instance: Any, **_: Any) -> None:
    instance._facts_before = cells_of(sender._base_manager.filter(pk=instance.pk), through=False)


def _after_delete(sender: type[models.Model], instance: Any, origin: Any = None, **_: Any) -> None:
    before = getattr(instance, "_facts_before", None)
    if not before:
        return
    # A delete that cascades sends this once per row, after the whole batch is gone: the rows of
    # one delivery share their cells, which one recount has already counted.
    cells = frozenset((key, cell) for key, found in before.items() for cell in found)
    last = getattr(_deleting, "last", None)
    if origin is not None and last is not None and last[0] is origin and cells <= last[1]:
        return
    recount(before)
    _deleting.last = (origin, cells) if origin is not None else None


def _hop_before_save(
    sender: type[models.Model], instance: Any, raw: bool = False, update_fields: Any = None, **_: Any
) -> None:
    instance._facts_hop_before = None
    if raw or instance.pk is None or instance._state.adding:
        return
    watched = sorted({hop.attname for hop in _hops_to(sender)})
    if update_fields is not None:
        written = {getattr(sender._meta.get_field(name), "attname", name) for name in update_fields}
        if not written & set(watched):
            return
    old = sender._base_manager.filter(pk=instance.pk).values(*watched).first()
    if old is None or all(old[a] == getattr(instance, a) for a in watched):
        return
    instance._facts_hop_before = _hop_cells(sender, instance.pk)


def _hop_after_save(sender: type[models.Model], instance: Any, raw: bool = False, **_: Any) -> None:
    before = getattr(instance, "_facts_hop_before", None)
    if raw or before is None:
        return
    instance._facts_hop_before = None
    recount(merged(before, _hop_cells(sender, instance.pk)))


def _hop_cells(model: type[models.Model], pk: Any) -> Cells:
    cells: Cells = defaultdict(set)
    for hop in _distinct_prefixes(_hops_to(model)):
        metric = hop.metric
        rows = metric.model._base_manager.filter(**{hop.prefix: pk})
        for row in rows.order_by().values(metric.area, metric.date_field).distinct():
            cells[metric.key].add((row[metric.area], row[metric.date_field]))
    return cells


def connect() -> None:
    """Keep the facts with every save and delete (called once the registry is filled)."""
    own = {m.model for m in kept_metrics()}
    hopped = {hop.model for m in kept_metrics() for hop in hops(m)}
    for model in own:
        label = model._meta.label
        pre_save.connect(_before_save, sender=model, dispatch_uid=f"facts.before_save.{label}")
        post_save.connect(_after_save, sender=model, dispatch_uid=f"facts.after_save.{label}")
        pre_delete.connect(_before_delete, sender=model, dispatch_uid=f"facts.before_delete.{label}")
        post_delete.connect(_after_delete, sender=model, dispatch_uid=f"facts.after_delete.{label}")
    for model in hopped:
        label = model._meta.label
        pre_save.connect(_hop_before_save, sender=model, dispatch_uid=f"facts.hop_before_save.{label}")
        post_save.connect(_hop_after_save, sender=model, dispatch_uid=f"facts.hop_after_save.{label}")


# -- rebuilding and verifying ----------------------------------------------------------------


def _span(metric: Metric, since: date | None, until: date | None) -> tuple[date | None, date | None]:
    """The days a rebuild from `since` to `until` rewrites: for a distinct metric, whole half-years."""
    if metric.how != "distinct":
        return since, until
    return (
        Period.half_year_of(since).start if since is not None else None,
        Period.half_year_of(until).end if until is not None else None,
    )


def _grouped(metric: Metric, since: date | None, until: date | None) -> dict[Cell, Any]:
    since, until = _span(metric, since, until)
    if metric.how == "distinct":
        return _grouped_firsts(metric, since, until)
    rows = metric.model._default_manager.all()
    if metric.filter is not None:
        rows = rows.filter(metric.filter)
    if since is not None:
        rows = rows.filter(**{f"{metric.date_field}__gte": since})
    if until is not None:
        rows = rows.filter(**{f"{metric.date_field}__lte": until})
    rows = rows.filter(**{f"{metric.area}__isnull": False, f"{metric.date_field}__isnull": False})
    grouped = rows.values(metric.area, metric.date_field).annotate(v=_plain(metric)).order_by()
    return {(r[metric.area], r[metric.date_field]): r["v"] for r in grouped if r["v"]}


def _grouped_firsts(metric: Metric, since: date | None, until: date | None) -> dict[Cell, Any]:
    if since is None or until is None:
        rows = metric.model._default_manager.all()
        if metric.filter is not None:
            rows = rows.filter(metric.filter)
        bounds = rows.aggregate(lo=Min(metric.date_field), hi=Max(metric.date_field))
        if bounds["lo"] is None:
            return {}
        since, until = since or bounds["lo"], until or bounds["hi"]
    counted: dict[Cell, Any] = {}
    for block in _half_years(since, until):
        counted |= _firsts(metric, block)
    return counted


def _stored(metric: Metric, since: date | None, until: date | None) -> models.QuerySet[Any]:
    from xicheng.models import MetricFact

    since, until = _span(metric, since, until)
    facts = MetricFact.objects.filter(metric=metric.key)
    if since is not None:
        facts = facts.filter(day__gte=since)
    if until is not None:
        facts = facts.filter(day__lte=until)
    return facts


def rebuild(keys: Iterable[str] | None = None, since: date | None = None, until: date | None = None) -> int:
    """Recount the facts of the metrics (all kept ones by default) from the rows, for the days
    from `since` to `until` (all by default): each metric in one transaction. Returns the number
    of facts written (their months are added up again). Facts of metrics no longer kept are
    removed."""
    from xicheng.models import MetricFact, MetricMonth

    written = 0
    chosen = kept_metrics(keys)
    if keys is None:
        MetricFact.objects.exclude(metric__in=[m.key for m in chosen]).delete()
        MetricMonth.objects.exclude(metric__in=[m.key for m in chosen]).delete()
    for metric in chosen:
        with transaction.atomic():
            _stored(metric, since, until).delete()
            counted = _grouped(metric, since, until)
            _upsert([MetricFact(metric=metric.key, area_id=a, day=d, value=v) for (a, d), v in counted.items()])
            since_, until_ = _span(metric, since, until)
            _rebuild_months(metric.key, since_, until_)
            written += len(counted)
    return written


def _months_of(key: str, since: date | None, until: date | None) -> models.QuerySet[Any]:
    """The months holding any day from `since` to `until` (all by default)."""
    from xicheng.models import MetricMonth

    months = MetricMonth.objects.filter(metric=key)
    if since is not None:
        months = months.filter(month__gte=since.replace(day=1))
    if until is not None:
        months = months.filter(month__lte=until.replace(day=1))
    return months


def _summed_months(key: str, since: date | None, until: date | None) -> dict[tuple[int, date], Any]:
    """The facts of every month holding a day from `since` to `until`, added up."""
    from xicheng.models import MetricFact

    facts = MetricFact.objects.filter(metric=key)
    if since is not None:
        facts = facts.filter(day__gte=since.replace(day=1))
    if until is not None:
        facts = facts.filter(day__lte=_month_end(until.replace(day=1)))
    return {(area, month): v for (_key, area, month), v in _by_month(facts).items() if v}


def _rebuild_months(key: str, since: date | None, until: date | None) -> int:
    """Add the facts up again by month, for the months holding the days from `since` to `until`."""
    from xicheng.models import MetricMonth

    _months_of(key, since, until).delete()
    summed = _summed_months(key, since, until)
    _upsert_months([MetricMonth(metric=key, area_id=a, month=m, value=v) for (a, m), v in summed.items()])
    return len(summed)


def rebuild_missing(app_config: Any = None, using: str = "default", **kwargs: Any) -> list[str]:
    """After `migrate` (post_migrate): count the facts of every kept metric that has rows but no
    fact yet — an existing database that has just gained the facts table, or a metric an app has
    just registered — so that an upgrade needs no manual step; and adds up the months of those
    that have facts but no months yet. Returns the metrics rebuilt."""
    from xicheng.models import MetricFact, MetricMonth

    if app_config is not None and app_config.label != "xicheng":
        return []
    missing = [
        metric.key
        for metric in kept_metrics()
        if not MetricFact.objects.using(using).filter(metric=metric.key).exists()
        and metric.model._default_manager.using(using).exists()
    ]
    if missing:
        rebuild(missing)
    # A database that has its facts but not yet their months.
    for metric in kept_metrics():
        if (
            metric.key not in missing
            and not MetricMonth.objects.using(using).filter(metric=metric.key).exists()
            and MetricFact.objects.using(using).filter(metric=metric.key).exists()
        ):
            with transaction.atomic():
                _rebuild_months(metric.key, None, None)
            missing.append(metric.key)
    return missing


@dataclass(frozen=True)
class Difference:
    metric: str
    area_id: int
    day: date
    fact: Decimal
    rows: Decimal


def differences(
    keys: Iterable[str] | None = None, since: date | None = None, until: date | None = None
) -> list[Difference]:
    """Where the facts and a recount of the rows disagree (nothing, when they are kept right)."""
    found: list[Difference] = []
    for metric in kept_metrics(keys):
        counted = {cell: Decimal(str(v)) for cell, v in _grouped(metric, since, until).items()}
        stored = {(f.area_id, f.day): f.value for f in _stored(metric, since, until).exclude(value=0)}
        for cell in sorted(counted.keys() | stored.keys()):
            fact, rows = stored.get(cell, Decimal(0)), counted.get(cell, Decimal(0))
            if abs(fact - rows) > Decimal("0.0001"):
                found.append(Difference(metric.key, cell[0], cell[1], fact, rows))
        # Each month equals its days added up.
        summed = {cell: Decimal(str(v)) for cell, v in _summed_months(metric.key, since, until).items()}
        months = {(m.area_id, m.month): m.value for m in _months_of(metric.key, since, until).exclude(value=0)}
        for cell in sorted(summed.keys() | months.keys()):
            month, days = months.get(cell, Decimal(0)), summed.get(cell, Decimal(0))
            if abs(month - days) > Decimal("0.0001"):
                found.append(Difference(f"{metric.key} (month)", cell[0], cell[1], month, days))
    return found


# -- reading ---------------------------------------------------------------------------------


def _facts(metric: Metric, within: Iterable[str] | None) -> models.QuerySet[Any]:
    return _facts_of([metric.key], within)


def _facts_of(keys: Sequence[str], within: Iterable[str] | None, *, by_month: bool = False) -> models.QuerySet[Any]:
    """The facts (or their months) of the metrics in the subtrees (everywhere: None)."""
    from xicheng.metrics import outermost
    from xicheng.models import MetricFact, MetricMonth

    model: type[models.Model] = MetricMonth if by_month else MetricFact
    manager = model._default_manager
    facts = manager.filter(metric=keys[0]) if len(keys) == 1 else manager.filter(metric__in=keys)
    if within is not None:
        subtrees = Q(pk__in=[])
        for path in outermost(within):
            subtrees |= Q(area__path__startswith=path)
        facts = facts.filter(subtrees)
    return facts


def values_by_area(
    metric: Metric, periods: Sequence[Period], as_of: date, within: Iterable[str] | None
) -> dict[Period, dict[int, float]]:
    """xicheng.metrics.values_by_area from the facts: the periods all start on or before as_of."""
    return values_by_area_of([metric], periods, as_of, within)[metric.key]


Span = tuple[date, date]


def split(period: Period, as_of: date) -> tuple[Span | None, Span | None]:
    """A period up to as_of as the whole months its months' sums answer (their first days) and
    the days left for the facts: 1 July to 29 November is July to October, then 1–29 November.
    A period that does not start on a month's first day is all days."""
    last = min(period.end, as_of)
    if period.start.day != 1:
        return None, (period.start, last)
    final = last.replace(day=1)
    if _month_end(final) != last:
        final = (final - timedelta(days=1)).replace(day=1)
    if final < period.start:
        return None, (period.start, last)
    rest = (_month_end(final) + timedelta(days=1), last)
    return (period.start, final), rest if rest[0] <= rest[1] else None


def values_by_area_of(
    metrics: Sequence[Metric], periods: Sequence[Period], as_of: date, within: Iterable[str] | None
) -> dict[str, dict[Period, dict[int, float]]]:
    """`values_by_area` for several metrics over the same periods and subtrees: one query for
    their whole months, one for the days left."""
    keys = [m.key for m in metrics]
    spans = [split(p, as_of) for p in periods]
    result: dict[str, dict[Period, dict[int, float]]] = {key: {p: {} for p in periods} for key in keys}
    for by_month, field in ((True, "month"), (False, "day")):
        asked: dict[int, Span] = {}
        for i, (months, days) in enumerate(spans):
            span = months if by_month else days
            if span is not None:
                asked[i] = span
        if not asked:
            continue
        annotations = {
            f"p{i}": Sum("value", filter=Q(**{f"{field}__gte": lo, f"{field}__lte": hi}))
            for i, (lo, hi) in asked.items()
        }
        rows = (
            _facts_of(keys, within, by_month=by_month)
            .filter(
                **{
                    f"{field}__gte": min(lo for lo, _ in asked.values()),
                    f"{field}__lte": max(hi for _, hi in asked.values()),
                }
            )
            .values("metric", "area")
            .annotate(**annotations)
            .order_by()
        )
        for row in rows:
            for i in asked:
                if row[f"p{i}"]:
                    by_area = result[row["metric"]][periods[i]]
                    by_area[row["area"]] = by_area.get(row["area"], 0.0) + float(row[f"p{i}"])
    return result


def total(metric: Metric, lo: date, hi: date, path: str) -> float:
    value = _facts(metric, [path]).filter(day__gte=lo, day__lte=hi).aggregate(v=Sum("value"))["v"]
    return float(value or 0)


def cumulative(metrics: Sequence[Metric], lo: date, points: Sequence[date], path: str | None) -> dict[str, list[float]]:
    """Each metric's value from `lo` to each of the days in `points`, in a subtree (or
    everywhere): one query for all of them, a sum per metric and day, added up here."""
    within = [path] if path is not None else None
    daily = (
        _facts_of([m.key for m in metrics], within)
        .filter(day__gte=lo, day__lte=points[-1])
        .values("metric", "day")
        .annotate(v=Sum("value"))
        .order_by("metric", "day")
    )
    by_metric: dict[str, list[tuple[date, float]]] = defaultdict(list)
    for row in daily:
        by_metric[row["metric"]].append((row["day"], float(row["v"] or 0)))
    result: dict[str, list[float]] = {}
    for metric in metrics:
        days, running, values = iter(by_metric.get(metric.key, [])), 0.0, []
        pending = next(days, None)
        for point in points:
            while pending is not None and pending[0] <= point:
                running += pending[1]
                pending = next(days, None)
            values.append(running)
        result[metric.key] = values
    return result
