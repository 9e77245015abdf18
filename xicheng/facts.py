"""Metric facts: each registered metric kept as a daily per-area aggregate (`MetricFact`), so the
dashboard, targets, rankings and trends add up a few thousand facts instead of scanning the rows.
The registers stay the truth; the facts are derived from them and can be rebuilt at any time.

Which metrics are kept: the registered `count` and `sum` metrics without a `state` — a row adds to
one cell, (its area, its day), and a period's value is the sum of its days. A `distinct` metric
(houses inspected, villages served) cannot be added up across days, and a `state` metric (overdue,
still enrolled) depends on the as-of day: both are still read from the rows (xicheng.metrics).

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
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from django.core.exceptions import FieldDoesNotExist
from django.db import models, transaction
from django.db.models import Count, Q, Sum
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save

from xicheng.metrics import Metric, registry

if TYPE_CHECKING:
    from xicheng.periods import Period

Cell = tuple[int, date]  # (area id, day)
Cells = dict[str, set[Cell]]  # metric key → cells


def kept(metric: Metric) -> bool:
    """Whether the metric is kept as facts (a registered count or sum without a state)."""
    return (
        metric.how != "distinct"
        and metric.state is None
        and metric.key in registry
        and registry.get(metric.key) == metric
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


def _upsert(facts: list[Any]) -> None:
    from xicheng.models import MetricFact

    MetricFact.objects.bulk_create(
        facts, update_conflicts=True, unique_fields=["metric", "area", "day"], update_fields=["value"], batch_size=2000
    )


def recount(cells: Cells) -> None:
    """Recount the cells from the rows, in the current transaction: a fixed number of queries
    (one to take the cells, one count per metric, one to write them)."""
    from xicheng.models import MetricFact

    _deleting.last = None
    wanted = {
        key: sorted(c for c in found if c[0] is not None and c[1] is not None)
        for key, found in cells.items()
        if key in registry
    }
    wanted = {k: v for k, v in sorted(wanted.items()) if v}
    if not wanted:
        return
    facts = {
        key: [MetricFact(metric=key, area_id=a, day=d, value=0) for a, d in found] for key, found in wanted.items()
    }
    # Part of the caller's transaction (no savepoint of its own: a failed write rolls both back).
    with transaction.atomic(savepoint=False):
        # Take the cells first (inserting those not there yet): a concurrent write to one of them
        # waits until this transaction ends, and then counts the rows it committed.
        _upsert([f for found in facts.values() for f in found])
        for key, found in facts.items():
            counted = _counted(registry.get(key), wanted[key])
            for fact in found:
                fact.value = counted.get((fact.area_id, fact.day)) or 0
        _upsert([f for found in facts.values() for f in found])


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


def _grouped(metric: Metric, since: date | None, until: date | None) -> dict[Cell, Any]:
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


def _stored(metric: Metric, since: date | None, until: date | None) -> models.QuerySet[Any]:
    from xicheng.models import MetricFact

    facts = MetricFact.objects.filter(metric=metric.key)
    if since is not None:
        facts = facts.filter(day__gte=since)
    if until is not None:
        facts = facts.filter(day__lte=until)
    return facts


def rebuild(keys: Iterable[str] | None = None, since: date | None = None, until: date | None = None) -> int:
    """Recount the facts of the metrics (all kept ones by default) from the rows, for the days
    from `since` to `until` (all by default): each metric in one transaction. Returns the number
    of facts written. Facts of metrics no longer kept are removed."""
    from xicheng.models import MetricFact

    written = 0
    chosen = kept_metrics(keys)
    if keys is None:
        MetricFact.objects.exclude(metric__in=[m.key for m in chosen]).delete()
    for metric in chosen:
        with transaction.atomic():
            _stored(metric, since, until).delete()
            counted = _grouped(metric, since, until)
            _upsert([MetricFact(metric=metric.key, area_id=a, day=d, value=v) for (a, d), v in counted.items()])
            written += len(counted)
    return written


def rebuild_missing(app_config: Any = None, using: str = "default", **kwargs: Any) -> list[str]:
    """After `migrate` (post_migrate): count the facts of every kept metric that has rows but no
    fact yet — an existing database that has just gained the facts table, or a metric an app has
    just registered — so that an upgrade needs no manual step. Returns the metrics rebuilt."""
    from xicheng.models import MetricFact

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
    return found


# -- reading ---------------------------------------------------------------------------------


def _facts(metric: Metric, within: Iterable[str] | None) -> models.QuerySet[Any]:
    from xicheng.metrics import outermost
    from xicheng.models import MetricFact

    facts = MetricFact.objects.filter(metric=metric.key)
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
    lo = min(p.start for p in periods)
    hi = min(max(p.end for p in periods), as_of)
    annotations = {
        f"p{i}": Sum("value", filter=Q(day__gte=p.start, day__lte=min(p.end, as_of))) for i, p in enumerate(periods)
    }
    rows = _facts(metric, within).filter(day__gte=lo, day__lte=hi).values("area").annotate(**annotations).order_by()
    result: dict[Period, dict[int, float]] = {p: {} for p in periods}
    for row in rows:
        for i, period in enumerate(periods):
            if row[f"p{i}"]:
                result[period][row["area"]] = float(row[f"p{i}"])
    return result


def total(metric: Metric, lo: date, hi: date, path: str) -> float:
    value = _facts(metric, [path]).filter(day__gte=lo, day__lte=hi).aggregate(v=Sum("value"))["v"]
    return float(value or 0)


def cumulative(metric: Metric, lo: date, points: Sequence[date], path: str | None) -> list[float]:
    within = [path] if path is not None else None
    annotations = {f"w{i}": Sum("value", filter=Q(day__lte=day)) for i, day in enumerate(points)}
    totals = _facts(metric, within).filter(day__gte=lo, day__lte=points[-1]).aggregate(**annotations)
    return [float(totals[f"w{i}"] or 0) for i in range(len(points))]
