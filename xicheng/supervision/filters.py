"""The one FilterSet of cases: the lists (我的督办, a cadre's cases) and the API filter with it."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xicheng.filters import AreaWithinFilter, ConditionFilter
from xicheng.supervision.models import Case, Light


def overdue_q() -> Q:
    """Open and past its due day (today, when the filter runs)."""
    return Q(due_on__lt=timezone.localdate()) & ~Q(status=Case.Status.CLOSED)


class CaseFilter(django_filters.FilterSet):
    MINE_CHOICES = [
        ("waiting", _("Waiting for my decision")),
        ("issued", _("Issued by me")),
        ("owned", _("Given to me")),
        ("open", _("Open")),
    ]

    mine = django_filters.ChoiceFilter(choices=MINE_CHOICES, label=_("Show"), method="filter_mine")
    status = django_filters.ChoiceFilter(choices=Case.Status.choices, label=_("Status"))
    level = django_filters.ChoiceFilter(choices=Case.Level.choices, label=_("Level"))
    light = django_filters.ChoiceFilter(choices=Light.choices, label=_("Light"), method="filter_light")
    overdue = ConditionFilter(overdue_q, label=_("Overdue"))
    area = AreaWithinFilter()

    class Meta:
        model = Case
        fields = ["mine", "status", "level", "light", "overdue", "area"]

    def filter_mine(self, qs: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        user: Any = getattr(self.request, "user", None)
        if not value:
            return qs
        if value == "open":
            return qs.exclude(status=Case.Status.CLOSED)
        if user is None or not user.is_authenticated:
            return qs.none()
        if value == "issued":
            return qs.filter(issuer=user)
        if value == "owned":
            return qs.filter(owner=user)
        # What waits on the issuer: a report to accept or send back, an extension to decide.
        return qs.filter(issuer=user).filter(
            Q(status=Case.Status.REPORTED) | (Q(extension_requested_to__isnull=False) & ~Q(status=Case.Status.CLOSED))
        )

    def filter_light(self, qs: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        if not value:
            return qs
        rows: Any = qs
        if "light" not in rows.query.annotations:
            rows = rows.with_light()
        return rows.filter(light=value)
