"""Scope: which rows a user may see, and whether a user may change a row.

Every view, viewset, export and admin page starts from `Model.objects.visible_to(user)`, so a row
outside it is a 404 for free; writes check `can_change`, which refuses with a 403. The rules
(DESIGN.md, Access):

- leaders, data admins and API clients read everything; auditors read no domain data;
- a cadre reads the records of their areas' subtrees, of the squads they belong to, those they are
  responsible for, and what is set for the whole subdistrict (an area at or above subdistrict level
  that contains one of theirs);
- a cadre or leader changes records in their areas' subtrees, of a squad they belong to, or that
  they are responsible for; data admins change everything; API clients and auditors change nothing.

A model declares where these facts live with a `ScopeRule`, and its QuerySet inherits
`ScopedQuerySet`; the rules themselves exist only here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeVar

from django.db import models
from django.db.models import Q

from xicheng.roles import AnyUser, Role, roles_of

if TYPE_CHECKING:
    from xicheng.models import Area


@dataclass(frozen=True)
class ScopeRule:
    """Where a model keeps the facts scope needs, as lookup paths from the model."""

    area: str | None = None
    squad_members: str | None = None  # a many-valued path to users, e.g. "squad__members"
    responsible: tuple[str, ...] = ()  # single-valued paths to users, e.g. ("responsible",)
    # More paths to an area whose cadres may read the rows but not change them: a delivery is
    # changed by its centre's cadres and read by its village's too (("village",)).
    read_also: tuple[str, ...] = ()


NOTHING = Q(pk__in=[])


def reads_everything(user: AnyUser) -> bool:
    return user.is_authenticated and (user.is_superuser or user.has_perm("xicheng.view_all_records"))


def changes_everything(user: AnyUser) -> bool:
    return Role.DATA_ADMIN in roles_of(user)


def writes_in_field(user: AnyUser) -> bool:
    """Cadres and leaders write field records; API clients and auditors never do."""
    return bool(roles_of(user) & {Role.CADRE, Role.LEADER, Role.DATA_ADMIN})


def served_areas(user: AnyUser) -> list[Area]:
    """The areas the user serves as a cadre, read once per user object."""
    if not user.is_authenticated:
        return []
    cached = getattr(user, "_xicheng_areas", None)
    if cached is None:
        from xicheng.models import Area

        cached = list(Area.objects.filter(cadres__user=user))
        user._xicheng_areas = cached  # type: ignore[attr-defined]  # a cache on the user object, for its request
    return cached


def home_paths(user: AnyUser) -> list[str] | None:
    """The subtrees a user's dashboards and rankings start from: the subdistrict each area they
    serve lies in (the area itself when it is a subdistrict or the city, so a city leader sees
    the city); None, the whole tree, for a user who serves no area (a data admin, an API client).
    No query beyond `served_areas` unless an area lies below a subdistrict."""
    from xicheng.models import Area

    areas = served_areas(user)
    if not areas:
        return None
    paths = {area.path for area in areas if area.level <= Area.Level.SUBDISTRICT}
    below = [area for area in areas if area.level > Area.Level.SUBDISTRICT]
    if below:
        cached = getattr(user, "_xicheng_home", None)
        if cached is None:
            above = {path for area in below for path in area.ancestor_paths()}
            cached = list(
                Area.objects.filter(path__in=above, level=Area.Level.SUBDISTRICT).values_list("path", flat=True)
            )
            user._xicheng_home = cached  # type: ignore[union-attr]  # a cache on the user object, for its request
        paths.update(cached)
    return sorted(paths)


def in_home_q(user: AnyUser, area_path: str) -> Q | None:
    """Rows whose area lies in the user's home subtrees (`home_paths`); None means every row."""
    paths = home_paths(user)
    if paths is None:
        return None
    q = NOTHING
    for path in paths:
        q |= Q(**{f"{area_path}__path__startswith": path})
    return q


def _scope_areas_q(user: AnyUser, *, subdistrict_wide: bool) -> Q | None:
    """The areas whose rows a cadre answers for (their areas' subtrees) and, when
    `subdistrict_wide`, the areas above theirs up to the subdistrict (what is set for the whole
    subdistrict); None when there are none. Built from `served_areas`, so it costs no query."""
    from xicheng.models import Area

    areas = served_areas(user)
    if not areas:
        return None
    q = NOTHING
    for area in areas:
        q |= Q(path__startswith=area.path)
    if subdistrict_wide:
        above = {path for area in areas for path in area.ancestor_paths()}
        q |= Q(path__in=sorted(above), level__lte=Area.Level.SUBDISTRICT)
    return q


def _through(model: type[models.Model], paths: list[str], rows: Q) -> list[Q]:
    """`rows` (a filter on the model at the end of each path) as filters on the model's own
    columns: `house__area` in areas A becomes `house_id IN (SELECT id FROM house WHERE area_id IN
    (A))`. Subqueries on indexed foreign keys instead of joins, so the outer query joins nothing and
    the planner reaches the rows through the keys' indexes (a join's `OR` defeats them). Paths that
    start with the same key share its subquery: `delivery__center__area` and `delivery__village`
    become one `delivery_id IN (SELECT id … UNION SELECT id …)`, one index probe per row."""
    rests: dict[str, list[str]] = {}
    for path in paths:
        head, _, rest = path.partition("__")
        rests.setdefault(head, []).append(rest)
    branches = []
    for head, tails in rests.items():
        field = model._meta.get_field(head)
        related: Any = field.related_model
        inner = [rows] if "" in tails else []
        deeper = [tail for tail in tails if tail]
        if deeper:
            inner += _through(related, deeper, rows)
        q = Q(**{f"{head}__in": _ids_of(related, inner)})
        if not (field.many_to_one or (field.one_to_one and field.concrete)):
            # A many-valued relation (a reverse key, a many-to-many) joins: through a subquery on
            # the model's own key, so that a row reached twice is still one row.
            q = Q(pk__in=model._base_manager.filter(q).values("pk"))
        branches.append(q)
    return branches


def _one_of(model: type[models.Model], branches: list[Q]) -> Q:
    """Rows meeting any of the branches. One branch filters as it is; several become
    `pk IN (SELECT id … UNION SELECT id …)`, each arm using its own index, instead of an `OR`
    that makes the planner read every row."""
    if not branches:
        return NOTHING
    if len(branches) == 1:
        return branches[0]
    return Q(pk__in=_ids_of(model, branches))


def _ids_of(model: type[models.Model], branches: list[Q]) -> models.QuerySet[Any]:
    """The ids of the rows meeting any of the branches, as a subquery: `SELECT id … WHERE …`, or
    for several `SELECT id … UNION SELECT id …` itself, never wrapped in `SELECT id … WHERE id IN
    (…)`, which made the planner read every row's id to join them with the union."""
    manager: Any = model._base_manager
    if len(branches) <= 1:
        return manager.filter(*(branches or [NOTHING])).order_by().values("pk")
    arms = [manager.filter(branch).order_by().values("pk") for branch in branches]
    return arms[0].union(*arms[1:])


def _branches(model: type[models.Model], rule: ScopeRule, user: AnyUser, *, reading: bool) -> list[Q]:
    """Rows the user answers for (their areas' subtrees, their squads, their own assignments)
    and, when `reading`, what is set for their whole subdistrict and the rows `read_also` lets
    them read: one filter per fact."""
    branches = []
    paths = [*([rule.area] if rule.area else []), *(rule.read_also if reading else ())]
    if paths:
        areas = _scope_areas_q(user, subdistrict_wide=reading)
        if areas is not None:
            branches += _through(model, paths, areas)
    if rule.squad_members:
        # A subquery, not a join, so that a user in two squads does not duplicate rows.
        branches.append(Q(pk__in=model._base_manager.filter(**{rule.squad_members: user}).values("pk")))
    for path in rule.responsible:
        head, _, rest = path.partition("__")
        if rest:
            branches += _through(model, [head], Q(**{rest: user}))
        else:
            branches.append(Q(**{path: user}))
    return branches


def visible_q(model: type[models.Model], rule: ScopeRule, user: AnyUser) -> Q | None:
    """A filter for the rows the user may read; None means every row."""
    if not user.is_authenticated or not user.is_active:
        return NOTHING
    if reads_everything(user):
        return None
    if not roles_of(user) & {Role.CADRE, Role.LEADER}:
        return NOTHING
    return _one_of(model, _branches(model, rule, user, reading=True))


def changeable_q(model: type[models.Model], rule: ScopeRule, user: AnyUser) -> Q | None:
    """A filter for the rows the user may change; None means every row."""
    if not user.is_authenticated or not user.is_active:
        return NOTHING
    if changes_everything(user):
        return None
    if not writes_in_field(user):
        return NOTHING
    return _one_of(model, _branches(model, rule, user, reading=False))


_M = TypeVar("_M", bound=models.Model)


class ScopedQuerySet(models.QuerySet[_M]):
    scope_rule: ClassVar[ScopeRule] = ScopeRule()

    def visible_to(self, user: AnyUser) -> Self:
        q = visible_q(self.model, self.scope_rule, user)
        return self if q is None else self.filter(q)

    def changeable_by(self, user: AnyUser) -> Self:
        q = changeable_q(self.model, self.scope_rule, user)
        return self if q is None else self.filter(q)

    def on_dashboard_of(self, user: AnyUser) -> Self:
        """What the user's dashboards show: the rows they read, and for a user who reads every
        record, those in their home subtrees only (a Xicheng leader sees Xicheng, a city leader
        the city). A cadre's scope is narrower already and stays as it is."""
        rows = self.visible_to(user)
        if not self.scope_rule.area or not reads_everything(user):
            return rows
        q = in_home_q(user, self.scope_rule.area)
        return rows if q is None else rows.filter(q)


def can_change(user: AnyUser, obj: models.Model) -> bool:
    """May the user change this row: the model permission and the row's scope both agree."""
    meta = obj._meta
    if not user.has_perm(f"{meta.app_label}.change_{meta.model_name}"):
        return False
    manager: Any = type(obj)._default_manager
    if not hasattr(manager, "changeable_by"):
        return changes_everything(user)
    return bool(manager.changeable_by(user).filter(pk=obj.pk).exists())


def changeable_ids(user: AnyUser, model: type[models.Model], ids: Iterable[int]) -> set[int]:
    """Which of these rows the user may change (a list page's buttons): one query, not one per row."""
    ids = list(ids)
    meta = model._meta
    if not ids or not user.has_perm(f"{meta.app_label}.change_{meta.model_name}"):
        return set()
    manager: Any = model._default_manager
    return set(manager.changeable_by(user).filter(pk__in=ids).values_list("pk", flat=True))


def may_file(user: AnyUser, obj: models.Model) -> bool:
    """May the user file this new row (an import, a form): it lies in an area the user may file
    records under, or it names the user as the one who answers for it."""
    if changes_everything(user):
        return True
    rows = type(obj)._default_manager.get_queryset()
    if not isinstance(rows, ScopedQuerySet) or not writes_in_field(user):
        return False
    rule = rows.scope_rule
    for path in rule.responsible:
        if _follow(obj, path) == user:
            return True
    area = area_of(obj)
    return area is not None and any(area.path.startswith(mine.path) for mine in served_areas(user))


def area_of(obj: models.Model) -> Area | None:
    """The area a row lies in, by its model's scope rule (None when it names none yet)."""
    rows = type(obj)._default_manager.get_queryset()
    if not isinstance(rows, ScopedQuerySet) or not rows.scope_rule.area:
        return None
    area: Area | None = _follow(obj, rows.scope_rule.area)
    return area


def _follow(obj: Any, path: str) -> Any:
    """The value at the end of a lookup path (`house__area`) read from an object, or None."""
    for name in path.split("__"):
        obj = getattr(obj, name, None)
        if obj is None:
            return None
    return obj


def areas_changeable_by(user: AnyUser) -> models.QuerySet[Area]:
    """Areas a user may file records under: their areas' subtrees (all of them for data admins)."""
    from xicheng.models import Area

    if changes_everything(user):
        return Area.objects.all()
    if not writes_in_field(user):
        return Area.objects.none()
    q = NOTHING
    for area in served_areas(user):
        q |= Q(path__startswith=area.path)
    return Area.objects.filter(q)


def areas_offered_to(user: AnyUser) -> models.QuerySet[Area]:
    """Areas a filter offers the user to narrow a list by: a cadre's areas' subtrees; for a user
    who reads every record, their home subtrees (`home_paths`: a Xicheng leader's Xicheng), or the
    whole tree for one who serves no area; nothing for one who reads no domain data."""
    from xicheng.models import Area

    if not user.is_authenticated or not user.is_active:
        return Area.objects.none()
    if reads_everything(user):
        paths = home_paths(user)
        if paths is None:
            return Area.objects.all()
    elif roles_of(user) & {Role.CADRE, Role.LEADER}:
        paths = [area.path for area in served_areas(user)]
    else:
        return Area.objects.none()
    q = NOTHING
    for path in paths:
        q |= Q(path__startswith=path)
    return Area.objects.filter(q)
