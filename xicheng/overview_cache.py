"""The leaders' overview, cached per dashboard scope, period and as-of day, and forgotten by the
writes that change its figures. The page, the API and the workbook all read `build_overview`,
which reads here first, so they still agree.

**Key.** Everything that changes what the overview shows: for a user who reads every record
(a leader), their home subtrees and the areas they serve (elders' names are shown in the areas one
serves), so two leaders of the same subdistrict share an entry; for anyone else (a cadre, whose
scope includes their squads and their own assignments) the user; then the roles and permissions
(personal-data rights among them), the language, the period, the as-of day — and the
*generations* of the models the overview reads.

**Generations.** Each watched model (the kernel's work plan and every domain app's models) has a
generation: a random token in the cache, replaced when a row of the model is written, after the
transaction commits (`post_save`, `post_delete`, `m2m_changed`; a service that writes in bulk,
which sends no signals, calls `written()`). A token, not a counter, so that a generation evicted
from the cache can never come back as a value an old entry was stored under.

**A past day.** A day that is over is read from the history (xicheng.asof): a write made today
changes it only when it is back-dated. A past overview is keyed by "back-dated" generations, one
per model and month: a write bumps the months from the earliest date on its row to this one
(a row with no date, or of a model read as it is rather than as it stood, bumps them all through
`*`). So an inspection logged today for today leaves last month's overview cached, and one
logged today for a day of last month forgets it. Rows bulk-written without history (generated
demo data) are read as they are now, so the first write to one is judged by its new dates only.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import models, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone
from django.utils.translation import get_language

from xicheng.roles import roles_of
from xicheng.scope import home_paths, reads_everything, served_areas

if TYPE_CHECKING:
    from xicheng.dashboard import Alert, SectionData
    from xicheng.overview import Overview
    from xicheng.periods import Period
    from xicheng.roles import AnyUser

PREFIX = "xicheng:overview"
# The kernel's models the overview reads; every model of every domain app is watched too.
KERNEL_MODELS = ("area", "workline", "indicator", "target", "manualreading", "task", "cadre")
# Past days are kept by month: a back-dated write older than this forgets every past overview.
MONTHS_KEPT = 36
EVERY_MONTH = "*"
# Where a transaction gathers the models it wrote, on its connection, until it commits.
PENDING = "_xicheng_overview_written"


def _label(model: type[models.Model]) -> str:
    return model._meta.label_lower


def _is_history(model: type[models.Model]) -> bool:
    # simple-history's records describe the rows; the rows' own writes are what count.
    return hasattr(model, "instance_type") or (model._meta.model_name or "").startswith("historical")


def watched_models() -> list[type[models.Model]]:
    """The models whose rows the overview reads: the kernel's work plan and the domain apps'."""
    from xicheng.plugins import domains

    found = [apps.get_model("xicheng", name) for name in KERNEL_MODELS]
    for config in domains():
        found += [m for m in config.get_models() if not _is_history(m)]
    return found


def _dated(model: type[models.Model]) -> bool:
    """Whether a past day sees the model's rows as they stood (history) and dated, so a write
    reaches back only as far as its row's dates. The work plan's names and areas are read as
    they are, and a row without dates may stand anywhere: every past day."""
    return hasattr(model, "history") and _label(model) not in DATELESS and bool(_date_fields(model))


# Models read as they are (not as they stood) on a past overview, whatever their dates.
DATELESS = {"xicheng.area", "xicheng.workline", "xicheng.indicator", "xicheng.cadre"}


def _date_fields(model: type[models.Model]) -> list[str]:
    return [
        f.attname
        for f in model._meta.concrete_fields
        if isinstance(f, models.DateField) and not isinstance(f, models.DateTimeField)
    ]


def _month(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _months(first: date, last: date) -> list[str]:
    months, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _gen_key(label: str) -> str:
    return f"{PREFIX}:gen:{label}"


def _past_key(label: str, month: str) -> str:
    return f"{PREFIX}:past:{label}:{month}"


def _token() -> str:
    return secrets.token_hex(8)


def _bump(keys: Iterable[str]) -> None:
    cache.set_many(dict.fromkeys(keys, _token()), timeout=None)


def written(model: type[models.Model], *, earliest: date | None) -> None:
    """Rows of `model` were written (after the transaction commits, their overviews are
    forgotten). `earliest`: the earliest date on the rows written, None when undated. Signals
    call it for every save and delete; a service that writes in bulk calls it itself.

    The writes of one transaction are gathered and forgotten together when it commits: an import
    of 30,000 rows writes the cache once, not 30,000 times."""
    connection = transaction.get_connection()
    pending: dict[str, tuple[bool, date | None]] = connection.__dict__.setdefault(PENDING, {})
    label = _label(model)
    undated = not _dated(model) or earliest is None
    if label in pending:
        was_undated, was_earliest = pending[label]
        undated = undated or was_undated
        if not undated and was_earliest is not None and earliest is not None:
            earliest = min(earliest, was_earliest)
    pending[label] = (undated, None if undated else earliest)
    # Each write asks for a flush (a savepoint rolled back takes its own with it); the first to
    # run after the commit forgets everything gathered, the rest find nothing left to do.
    transaction.on_commit(_flush)


def _flush() -> None:
    pending: dict[str, tuple[bool, date | None]] = transaction.get_connection().__dict__.pop(PENDING, {})
    if not pending:
        return
    today = timezone.localdate()
    keys = []
    for label, (undated, earliest) in pending.items():
        keys.append(_gen_key(label))
        months = _months(earliest, today) if earliest is not None and earliest < today else []
        if undated or len(months) > MONTHS_KEPT:
            keys.append(_past_key(label, EVERY_MONTH))
        else:
            keys += [_past_key(label, month) for month in months]
    _bump(keys)


def forget_all() -> None:
    """Every cached overview is forgotten: after data is loaded behind the services' back (the
    demo, a restore) or history is purged."""
    labels = [_label(m) for m in watched_models()]
    keys = [_gen_key(label) for label in labels] + [_past_key(label, EVERY_MONTH) for label in labels]
    transaction.on_commit(lambda: _bump(keys))


def _earliest(instance: models.Model) -> date | None:
    days = [getattr(instance, name) for name in _date_fields(type(instance))]
    found = [d for d in days if isinstance(d, date)]
    return min(found) if found else None


def _saved(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    written(sender, earliest=_earliest(instance))


def _m2m(sender: Any, instance: models.Model, action: str, **kwargs: Any) -> None:
    if action in ("post_add", "post_remove", "post_clear"):
        written(type(instance), earliest=None)


def connect() -> None:
    """Listen to the writes of every watched model (from the kernel's ready())."""
    for model in watched_models():
        uid = f"xicheng.overview_cache.{_label(model)}"
        post_save.connect(_saved, sender=model, dispatch_uid=uid)
        post_delete.connect(_saved, sender=model, dispatch_uid=uid)
        for m2m in model._meta.local_many_to_many:
            m2m_changed.connect(_m2m, sender=m2m.remote_field.through, dispatch_uid=f"{uid}.{m2m.name}")


def _generations(as_of: date) -> dict[str, tuple[Any, ...]]:
    """The generations an overview as of the day depends on, by watched model: today's (or a
    later day's) on every write, a past day's on the back-dated writes that reach its month."""
    models_ = watched_models()
    past = as_of < timezone.localdate()
    month = _month(as_of)
    wanted: dict[str, list[str]] = {}
    for model in models_:
        label = _label(model)
        if past:
            wanted[label] = [_past_key(label, EVERY_MONTH)] + ([_past_key(label, month)] if _dated(model) else [])
        else:
            wanted[label] = [_gen_key(label)]
    keys = [key for found in wanted.values() for key in found]
    found = cache.get_many(keys)
    missing = [key for key in keys if key not in found]
    if missing:
        for key in missing:
            cache.add(key, _token(), timeout=None)
        found.update(cache.get_many(missing))
    return {label: tuple(found.get(key) for key in keys_) for label, keys_ in wanted.items()}


def scope_key(user: AnyUser) -> tuple[Any, ...]:
    """What decides which rows and names the user's overview shows (see the module docstring)."""
    if reads_everything(user):
        home = home_paths(user)
        who: tuple[Any, ...] = ("home", tuple(home or ["*"]), tuple(sorted(a.path for a in served_areas(user))))
    else:
        who = ("user", user.pk)
    rights = tuple(sorted(user.get_all_permissions())) if user.is_authenticated else ()
    return (*who, user.is_superuser, tuple(sorted(roles_of(user))), rights)


def _hashed(prefix: str, parts: Any) -> str:
    return f"{PREFIX}:{prefix}:" + hashlib.sha256(repr(parts).encode()).hexdigest()


def overview_key(user: AnyUser, period: Period, as_of: date) -> str:
    return _key_of(_base(user, period, as_of), _generations(as_of))


def _base(user: AnyUser, period: Period, as_of: date) -> tuple[Any, ...]:
    return (scope_key(user), get_language(), period.start, period.end, as_of)


def _key_of(base: tuple[Any, ...], generations: dict[str, tuple[Any, ...]]) -> str:
    return _hashed("v2", (base, sorted(generations.items())))


def _labels_read(labels: Iterable[str], reads: Sequence[str] | None) -> list[str]:
    """Of the watched models' `labels`, those a part reads: `reads` names apps ("projects") or
    models ("projects.household"); None reads every watched model. The kernel's work plan (areas,
    targets, tasks, cadres…) is read by every part."""
    labels = list(labels)
    if reads is None:
        return labels
    named = {*reads, *(f"xicheng.{name}" for name in KERNEL_MODELS)}
    return [label for label in labels if label in named or label.partition(".")[0] in named]


T = TypeVar("T")
_ABSENT = object()


@dataclass
class Parts:
    """The parts of an overview (the targets, each section, each source of red lights), each
    cached on its own under the generations of the models it reads. A write forgets the whole
    overview (its key names every generation), but when it is counted again only the parts that
    read the written model are: an inspection logged recounts the targets and the governance
    section and red lights, not the projects', the meals' or 督办's."""

    base: tuple[Any, ...]
    generations: dict[str, tuple[Any, ...]]
    seconds: int

    def get(
        self,
        key: str,
        reads: Sequence[str] | None,
        compute: Callable[[], T],
        keep: Callable[[T], T] = lambda value: value,
    ) -> T:
        """The part `key` from the cache, or computed and kept in the form `keep` gives it (lazy
        translations made strings: the language is in the key)."""
        if self.seconds <= 0:
            return compute()
        # The generations are the watched models', by label: no need to list the models again.
        read = _labels_read(self.generations, reads)
        part_key = _hashed("part", (self.base, key, [(label, self.generations[label]) for label in read]))
        found = cache.get(part_key, _ABSENT)
        if found is not _ABSENT:
            return cast(T, found)
        value = compute()
        cache.set(part_key, keep(value), timeout=self.seconds)
        return value

    @classmethod
    def uncached(cls) -> Parts:
        return cls(base=(), generations={}, seconds=0)


def cached(user: AnyUser, period: Period, as_of: date, compute: Callable[[Parts], Overview]) -> Overview:
    """The overview from the cache, or computed (from the parts still cached) and kept
    (DASHBOARD_CACHE_SECONDS for today, DASHBOARD_PAST_CACHE_SECONDS for a day that is over; 0
    turns the cache off)."""
    past = as_of < timezone.localdate()
    seconds = settings.DASHBOARD_PAST_CACHE_SECONDS if past else settings.DASHBOARD_CACHE_SECONDS
    if seconds <= 0:
        return compute(Parts.uncached())
    base, generations = _base(user, period, as_of), _generations(as_of)
    key = _key_of(base, generations)
    found = cache.get(key)
    if isinstance(found, _Kept):
        return replace(found.restored(), cache_key=key, cache_seconds=seconds)
    overview = compute(Parts(base=base, generations=generations, seconds=seconds))
    cache.set(key, _Kept.of(overview), timeout=seconds)
    return replace(overview, cache_key=key, cache_seconds=seconds)


def plain_section(data: SectionData | None) -> SectionData | None:
    """A section's data as the cache keeps it: its tables' titles and columns made strings."""
    if data is None:
        return None
    return replace(
        data, tables=[replace(t, title=str(t.title), columns=[str(c) for c in t.columns]) for t in data.tables]
    )


def plain_alerts(alerts: list[Alert]) -> list[Alert]:
    """Red-light items as the cache keeps them: their kinds' labels made strings."""
    return [replace(alert, kind_label=str(alert.kind_label)) for alert in alerts]


@dataclass
class _Kept:
    """An overview as the cache keeps it: the sections named by key (the registry holds them) and
    every lazy translation made a string (the language is in the key). A lazy string costs a class
    to unpickle: a hundred of them took longer than the figures they label."""

    overview: Overview
    sections: list[tuple[str, SectionData]]

    @classmethod
    def of(cls, ov: Overview) -> _Kept:
        sections = [(section.key, cast("SectionData", plain_section(data))) for section, data in ov.sections]
        return cls(overview=replace(ov, sections=[], alerts=plain_alerts(ov.alerts)), sections=sections)

    def restored(self) -> Overview:
        from xicheng import dashboard

        registered = {section.key: section for section in dashboard.sections}
        pairs = [(registered[key], data) for key, data in self.sections if key in registered]
        return replace(self.overview, sections=pairs)
