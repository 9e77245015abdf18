"""Metric figures computed once per overview and shared by everything on it.

The targets compute their metrics first (xicheng.selectors.actuals); a dashboard section that
needs the same metric, period and area asks `Figures` for it and gets the value already computed,
without a query. A section that asks for something not computed yet gets it in one query
(`xicheng.metrics.values_by_area`, limited to the subtrees asked about), remembered in turn.

    figures = Figures(as_of)
    by_path = figures.rolled(metric, period, within=["0001"])[period]   # {area path: value}

A value read for an area is whole only when the rows of its entire subtree were read, so an
answer is reused only for areas inside the subtrees it was computed for. The area paths the values
are rolled up with are read once, and only for those subtrees (never every area of a province).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from django.db.models import Q

from xicheng import metrics
from xicheng.periods import Period
from xicheng.roles import AnyUser
from xicheng.scope import home_paths, reads_everything

if TYPE_CHECKING:
    from xicheng.models import Area


def _covers(roots: Sequence[str], path: str) -> bool:
    return any(path.startswith(root) for root in roots)


@dataclass
class _Computed:
    within: list[str]  # the subtrees whose rows were read
    by_area: dict[int, float]  # the value by the area the rows point at
    rolled: dict[str, float] | None = None  # added up the tree, by area path, once asked


@dataclass
class Figures:
    """What an overview has computed so far, as of one day. See the module docstring."""

    as_of: date
    _computed: dict[tuple[str, Period], list[_Computed]] = field(default_factory=dict)
    _paths: dict[int, str] = field(default_factory=dict)
    _path_roots: list[str] = field(default_factory=list)
    queries: int = 0  # how many value queries were run (the rest were reused)

    def by_area(
        self, metric: metrics.Metric, periods: Sequence[Period], within: Iterable[str]
    ) -> dict[Period, dict[int, float]]:
        """The metric's value for each period by area (as `metrics.values_by_area`), for rows in
        the `within` subtrees: reused where already computed, else one query for what is missing."""
        roots = metrics.outermost(within)
        periods = list(dict.fromkeys(periods))
        if not roots:
            return {period: {} for period in periods}
        found: dict[Period, dict[int, float]] = {}
        missing: list[Period] = []
        for period in periods:
            entry = self._find(metric.key, period, roots)
            if entry is None:
                missing.append(period)
            elif entry.within == roots:
                found[period] = entry.by_area
            else:
                # Computed for wider subtrees: only the rows of those asked about.
                paths = self.paths(entry.within)
                found[period] = {pk: v for pk, v in entry.by_area.items() if _covers(roots, paths.get(pk, ""))}
        if missing:
            self.queries += 1
            # "" is the whole tree (a user who serves no area): no filter at all.
            computed = metrics.values_by_area(metric, missing, self.as_of, within=None if roots == [""] else roots)
            for period, by_area in computed.items():
                self._computed.setdefault((metric.key, period), []).append(_Computed(roots, by_area))
                found[period] = by_area
        return found

    def prefetch(self, asked: Iterable[tuple[metrics.Metric, Sequence[Period], Iterable[str]]]) -> None:
        """Compute now what several metrics are about to be asked for (`by_area`): those read
        from the facts over the same periods and subtrees in one query between them."""
        from xicheng import facts

        together: dict[tuple[tuple[str, ...], tuple[Period, ...]], list[metrics.Metric]] = defaultdict(list)
        for metric, periods, within in asked:
            roots = tuple(metrics.outermost(within))
            missing = tuple(p for p in dict.fromkeys(periods) if self._find(metric.key, p, roots) is None)
            if (
                roots
                and missing
                and all(p.start <= self.as_of for p in missing)
                and metrics.reads_facts(metric, self.as_of, missing)
            ):
                together[(roots, missing)].append(metric)
        for (roots, periods), group in together.items():
            if len(group) < 2:
                continue  # by_area asks for it alone
            self.queries += 1
            computed = facts.values_by_area_of(group, periods, self.as_of, within=None if roots == ("",) else roots)
            for metric in group:
                for period, by_area in computed[metric.key].items():
                    self._computed.setdefault((metric.key, period), []).append(_Computed(list(roots), by_area))

    def rolled(
        self, metric: metrics.Metric, periods: Sequence[Period], within: Iterable[str]
    ) -> dict[Period, dict[str, float]]:
        """The metric's value for each period added up the area tree, by area path: whole for
        every area inside the `within` subtrees."""
        roots = metrics.outermost(within)
        result: dict[Period, dict[str, float]] = {}
        if not roots:
            return {period: {} for period in periods}
        self.by_area(metric, periods, roots)
        self._ensure_paths(roots)
        for period in dict.fromkeys(periods):
            entry = self._find(metric.key, period, roots)
            assert entry is not None  # by_area has just computed or found it
            if entry.rolled is None:
                entry.rolled = metrics.rolled_up(entry.by_area, self._paths)
            result[period] = entry.rolled
        return result

    def paths(self, within: Iterable[str]) -> dict[int, str]:
        """The paths of the areas in the subtrees, by id (read once per overview)."""
        self._ensure_paths(metrics.outermost(within))
        return self._paths

    def _find(self, key: str, period: Period, roots: Sequence[str]) -> _Computed | None:
        for entry in self._computed.get((key, period), []):
            if all(_covers(entry.within, root) for root in roots):
                return entry
        return None

    def _ensure_paths(self, roots: Sequence[str]) -> None:
        from xicheng.models import Area

        new = [root for root in roots if not _covers(self._path_roots, root)]
        if not new:
            return
        if "" in new:
            self._paths.update(Area.objects.values_list("id", "path").order_by())
            self._path_roots = [""]
            return
        q = Q(pk__in=[])
        for root in new:
            q |= Q(path__startswith=root)
        self._paths.update(Area.objects.filter(q).values_list("id", "path").order_by())
        self._path_roots = metrics.outermost([*self._path_roots, *new])


def scope_paths(user: AnyUser, areas: Iterable[Area]) -> list[str]:
    """The subtrees a dashboard section reads its figures in: for a user who reads every record,
    their home subtrees (a subdistrict leader's subdistrict, a city leader's city; "" the whole
    tree for one who serves no area); for anyone else the subtrees of the areas the section
    shows them (a cadre's villages)."""
    if reads_everything(user):
        home = home_paths(user)
        return [""] if home is None else home
    return metrics.outermost(area.path for area in areas)
