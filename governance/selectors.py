"""Reads that need more than one queryset: villages and their zero reports, personal data shown."""

from __future__ import annotations

from datetime import date

from django.db.models import Q, QuerySet

from governance.models import ZeroReport
from xicheng.models import Area
from xicheng.roles import AnyUser, Role, roles_of
from xicheng.scope import NOTHING, home_paths, reads_everything, served_areas


def villages_visible_to(user: AnyUser) -> QuerySet[Area]:
    """Villages whose records the user reads: those of their own subdistrict for leaders with the
    right (every village for a user who serves no area), otherwise
    the villages in, or holding, the areas the user serves. One query when evaluated."""
    villages = Area.objects.filter(level=Area.Level.VILLAGE)
    if reads_everything(user):
        # Those of the user's own subdistrict (a city leader's: the city's); every one for a user
        # who serves no area.
        home = home_paths(user)
        return villages if home is None else villages.filter(_within_paths(home))
    if not roles_of(user) & {Role.CADRE, Role.LEADER}:
        return villages.none()
    return villages.filter(_in_or_above(served_areas(user)))


def villages_reported_by(user: AnyUser) -> QuerySet[Area]:
    """Villages whose daily zero report this cadre sends: the villages they serve, those holding a
    grid or estate they serve, and the villages of a zone they serve (not a whole subdistrict)."""
    if Role.CADRE not in roles_of(user):
        return Area.objects.none()
    areas = [a for a in served_areas(user) if a.level >= Area.Level.ZONE]
    return Area.objects.filter(level=Area.Level.VILLAGE).filter(_in_or_above(areas))


def _within_paths(paths: list[str]) -> Q:
    q = NOTHING
    for path in paths:
        q |= Q(path__startswith=path)
    return q


def _in_or_above(areas: list[Area]) -> Q:
    q = NOTHING
    for area in areas:
        q |= Q(path__startswith=area.path) | Q(path__in=area.ancestor_paths())
    return q


def villages_missing_report(user: AnyUser, day: date) -> list[Area]:
    """Villages the user can see that have not sent a zero report for the day: one query."""
    sent = ZeroReport.objects.filter(day=day).values("village_id")
    return list(villages_visible_to(user).exclude(pk__in=sent).order_by("path"))
