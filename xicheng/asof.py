"""Rows as they stood on a past day, read from the history every tracked model keeps (DESIGN.md:
"every figure can be asked *as of* a past date, so last month's dashboard can be reproduced").

A row's dates say when things happened, but not everything that matters for a day is dated: a
task's status, an issue reopened, a step undone or entered later with an earlier date, a target's
value changed. So a past day is read from the history tables (django-simple-history), and the
same day asked in June and in November gives the same answer:

- `records_as_of(queryset, day)`: one historical record per row of the queryset, the row as it
  stood at the end of the day — in one query, whatever the number of rows.
- `rows_as_of(queryset, day, where=..., order_by=..., key=..., limit=...)`: the rows (model
  instances, related rows attached) that met `where` at the end of the day: two queries for a past
  day, and for today (or later) exactly the one query the plain queryset would run.
- `totals_as_of(queryset, day, aggregates, narrow=..., group_by=...)`: counts and sums over the rows
  as they stood (figures, funnels), grouped or not, in one query either way. Counts of distinct values add
  the rows with history to those without, so a value found in both is counted twice.
  `counts_as_of(queryset, day, by)`: how many rows stood in each value of a field.

Which record stands for a row on a day: its latest record written before the day was over; failing
that (the row was entered, or its history begins, later) its earliest record, the first state the
system knew; failing that (a row bulk-written without history, e.g. generated demo data) the row
as it is now. Scope (`visible_to`) is the caller's queryset, read today; state goes in `where`,
read from the record — never filter the queryset by state, or today's state decides.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar

from django.db import models
from django.db.models import Aggregate, Count, Exists, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

M = TypeVar("M", bound=models.Model)


def is_past(day: date) -> bool:
    """Whether a day is over, so that it is read from history rather than from the rows."""
    return day < timezone.localdate()


def end_of(day: date) -> datetime:
    """The first moment after the day, in the site's time zone."""
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def history_model(model: type[models.Model]) -> type[models.Model]:
    """The historical model simple-history keeps for a tracked model."""
    manager = getattr(model, "history", None)
    if manager is None:
        raise TypeError(f"{model.__name__} keeps no history: give it `history = audited_history()`.")
    return manager.model


def records_as_of(queryset: models.QuerySet[Any], day: date) -> models.QuerySet[Any]:
    """One historical record per row of `queryset`: the latest written before the end of the day,
    else the earliest. One query; filter, order and select_related it like the rows themselves
    (historical records have the same fields, and their foreign keys lead to the live rows)."""
    model = queryset.model
    history: Any = history_model(model)
    pk = model._meta.pk.attname
    same_row = history.objects.filter(**{pk: OuterRef(pk)})
    latest_by_then = same_row.filter(history_date__lt=end_of(day)).order_by("-history_date", "-history_id")
    earliest = same_row.order_by("history_date", "history_id")
    chosen = Coalesce(Subquery(latest_by_then.values("history_id")[:1]), Subquery(earliest.values("history_id")[:1]))
    records = history.objects.all()
    if queryset.query.has_filters():
        records = records.filter(**{f"{pk}__in": queryset.order_by().values("pk")})
    return records.filter(history_id=chosen).exclude(history_type="-")


def without_history(queryset: models.QuerySet[M]) -> models.QuerySet[M]:
    """The rows of `queryset` that have no history at all (bulk-written): read as they are."""
    history: Any = history_model(queryset.model)
    pk = queryset.model._meta.pk.attname
    return queryset.filter(~Exists(history.objects.filter(**{pk: OuterRef("pk")})))


def instance_of(record: Any, model: type[M]) -> M:
    """The row a historical record describes, with the related rows the record's query selected
    (no query; fields the history leaves out keep their defaults)."""
    attrs = {f.attname: getattr(record, f.attname) for f in model._meta.concrete_fields if hasattr(record, f.attname)}
    row = model(**attrs)
    row._state.adding = False
    row._state.db = record._state.db
    row._state.fields_cache.update(record._state.fields_cache)
    row.as_of_record = record  # type: ignore[attr-defined]  # who changed it last, and when
    return row


def rows_as_of(
    queryset: models.QuerySet[M],
    day: date,
    *,
    where: Q | None = None,
    related: Sequence[str] = (),
    order_by: Sequence[Any] = (),
    key: Callable[[M], Any] | None = None,
    limit: int | None = None,
) -> list[M]:
    """The rows of `queryset` that met `where` as they stood at the end of the day, in `order_by`
    order (`key` gives the same order in Python, to merge rows with and without history), at most
    `limit`. Today (or later) this is the plain query, unchanged; a past day costs two."""
    condition = where if where is not None else Q()
    if not _read_from_history(queryset, day):
        live = queryset.filter(condition).select_related(*related).order_by(*order_by)
        return list(live[:limit] if limit is not None else live)
    records = records_as_of(queryset, day).filter(condition).select_related(*related).order_by(*order_by)
    untracked = without_history(queryset).filter(condition).select_related(*related).order_by(*order_by)
    model = queryset.model
    rows = [instance_of(r, model) for r in (records[:limit] if limit is not None else records)]
    rows += list(untracked[:limit] if limit is not None else untracked)
    if key is not None:
        rows.sort(key=key)
    return rows[:limit] if limit is not None else rows


def _read_from_history(queryset: models.QuerySet[Any], day: date) -> bool:
    """A past day, for a model that keeps history (one that keeps none is read as it is)."""
    return is_past(day) and getattr(queryset.model, "history", None) is not None


def _sets(queryset: models.QuerySet[Any], day: date) -> list[models.QuerySet[Any]]:
    if not _read_from_history(queryset, day):
        return [queryset]
    return [records_as_of(queryset, day), without_history(queryset)]


def _added(values: list[Any]) -> Any:
    present = [v for v in values if v is not None]
    return sum(present[1:], present[0]) if present else None


def totals_as_of(
    queryset: models.QuerySet[Any],
    day: date,
    aggregates: Mapping[str, Aggregate],
    *,
    narrow: Callable[[models.QuerySet[Any]], models.QuerySet[Any]] | None = None,
    group_by: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """`aggregates` over the rows of `queryset` as they stood at the end of the day, narrowed by
    `narrow` (a function of a queryset, applied to the rows or to their records alike) and grouped
    by the `group_by` fields: a list of value dicts as `values(*group_by).annotate(...)` gives
    (one dict when ungrouped, as `aggregate(...)`). One query: for a past day, the records and the
    rows without history are added up in a UNION."""
    parts: list[models.QuerySet[Any]] = []
    for rows in _sets(queryset, day):
        if narrow is not None:
            rows = narrow(rows)
        if not group_by:
            if len(parts) == 0 and not _read_from_history(queryset, day):
                return [rows.aggregate(**aggregates)]  # today: the plain query
            # A constant to "group" by: one row over all, as aggregate() gives, but one a UNION takes.
            rows = rows.annotate(_all=Value(1)).values("_all")
        else:
            rows = rows.values(*group_by)
        parts.append(rows.annotate(**aggregates).order_by())
    union = parts[0] if len(parts) == 1 else parts[0].union(*parts[1:], all=True)
    results: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for row in union:
        results.setdefault(tuple(row[g] for g in group_by), []).append(row)
    return [
        {**dict(zip(group_by, group, strict=True)), **{k: _added([r[k] for r in found]) for k in aggregates}}
        for group, found in results.items()
    ]


def counts_as_of(
    queryset: models.QuerySet[Any],
    day: date,
    by: str,
    *,
    narrow: Callable[[models.QuerySet[Any]], models.QuerySet[Any]] | None = None,
) -> dict[Any, int]:
    """How many rows had each value of `by` at the end of the day (`totals_as_of` counting)."""
    return {row[by]: row["n"] for row in totals_as_of(queryset, day, {"n": Count("pk")}, narrow=narrow, group_by=[by])}
