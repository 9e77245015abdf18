"""Reads that take more than one query to explain: funnels, squad rankings, project stages.

Each costs a fixed number of queries whatever the number of households, and honours `as_of`:
a step dated after the day does not count, and a past day reads each household as it stood then
(xicheng.asof: a step entered or undone later, or a move to another squad, does not change it)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import QuerySet

from projects.models import Household, Milestone, Project, Squad
from xicheng.asof import rows_as_of, totals_as_of

FUNNEL_KEYS = ("total", "evaluated", "signed", "vacated", "demolished")


def _funnel(as_of: date) -> dict[str, Any]:
    return Household.stages.funnel(as_of, total_since="created_on")


@dataclass
class Funnel:
    total: int = 0
    evaluated: int = 0
    signed: int = 0
    vacated: int = 0
    demolished: int = 0

    def as_dict(self) -> dict[str, int]:
        return {key: getattr(self, key) for key in FUNNEL_KEYS}

    @property
    def signed_rate(self) -> float:
        return round(100 * self.signed / self.total, 1) if self.total else 0.0

    def steps(self) -> list[tuple[str, int, float]]:
        """(key, count, share of the total in %) for drawing the funnel."""
        return [
            (key, getattr(self, key), round(100 * getattr(self, key) / self.total, 1) if self.total else 0.0)
            for key in FUNNEL_KEYS
        ]


def funnels_by_project(households: QuerySet[Household], as_of: date) -> dict[int, Funnel]:
    """The funnel of each project among the given households: one query."""
    rows = totals_as_of(households, as_of, _funnel(as_of), group_by=["project_id"])
    return {row["project_id"]: Funnel(**{k: row[k] for k in FUNNEL_KEYS}) for row in rows}


def funnel_of(households: QuerySet[Household], as_of: date) -> Funnel:
    row = totals_as_of(households, as_of, _funnel(as_of))[0]
    return Funnel(**{k: row[k] or 0 for k in FUNNEL_KEYS})


@dataclass
class SquadFigures:
    squad: Squad
    funnel: Funnel
    rank: int = 0

    @property
    def signed_rate(self) -> float:
        return self.funnel.signed_rate


def squad_ranking(squads: QuerySet[Squad], households: QuerySet[Household], as_of: date) -> list[SquadFigures]:
    """Squads ranked by signed rate, then by signed count: two queries.

    `households` is the scope the figures are counted in (what the user may see)."""
    # The leaders' and heads' names, not their phones: left unread, not decrypted (a city's 154
    # squads decrypted 300 phones).
    squad_list = list(
        squads.select_related("project", "leader__cadre", "head__cadre")
        .defer("leader__cadre__phone", "head__cadre__phone")
        .order_by("project_id", "name")
    )
    squad_ids = [s.pk for s in squad_list]
    # Each household counts in the squad it was in on the day, with the steps it had by then.
    rows = totals_as_of(
        households,
        as_of,
        _funnel(as_of),
        narrow=lambda qs: qs.filter(squad__in=squad_ids),
        group_by=["squad_id"],
    )
    by_squad = {row["squad_id"]: Funnel(**{k: row[k] for k in FUNNEL_KEYS}) for row in rows}
    figures = [SquadFigures(squad=s, funnel=by_squad.get(s.pk, Funnel())) for s in squad_list]
    figures.sort(key=lambda f: (-f.signed_rate, -f.funnel.signed, f.squad.name))
    for rank, item in enumerate(figures, start=1):
        item.rank = rank
    return figures


@dataclass
class Stages:
    milestones: list[Milestone] = field(default_factory=list)
    as_of: date | None = None

    @property
    def done(self) -> int:
        assert self.as_of is not None
        return sum(1 for m in self.milestones if m.is_done(self.as_of))

    @property
    def total(self) -> int:
        return len(self.milestones)

    @property
    def current(self) -> Milestone | None:
        """The first unfinished stage."""
        assert self.as_of is not None
        return next((m for m in self.milestones if not m.is_done(self.as_of)), None)

    @property
    def overdue(self) -> int:
        assert self.as_of is not None
        return sum(1 for m in self.milestones if m.is_overdue(self.as_of))

    def bar(self) -> list[dict[str, Any]]:
        """The stage bar: each stage's name and state (done, current, overdue, todo)."""
        assert self.as_of is not None
        current = self.current
        result = []
        for m in self.milestones:
            if m.is_done(self.as_of):
                state = "done"
            elif m.is_overdue(self.as_of):
                state = "overdue"
            elif current is not None and m.pk == current.pk:
                state = "current"
            else:
                state = "todo"
            result.append({"name": m.name, "state": state, "planned_end": m.planned_end.isoformat(), "order": m.order})
        return result


def stages_by_project(projects: Iterable[Project], as_of: date) -> dict[int, Stages]:
    """Each project's stages as of a day: one query (two for a past day)."""
    ids = [p.pk for p in projects]
    result = {pk: Stages(as_of=as_of) for pk in ids}
    # A past day reads each stage as it stood (xicheng.asof): one more query, for rows without history.
    milestones = rows_as_of(
        Milestone.objects.filter(project__in=ids),
        as_of,
        order_by=("project_id", "order"),
        key=lambda m: (m.project_id, m.order),
    )
    for milestone in milestones:
        result[milestone.project_id].milestones.append(milestone)
    return result
