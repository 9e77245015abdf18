"""FilterSets: the same ones render the HTML filter forms and filter the API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import django_filters
from django import forms
from django.contrib.auth.models import User
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from xicheng.models import Area, Indicator, Target, Task, WorkLine


class StrictNullBooleanField(forms.NullBooleanField):
    """true or false; empty (or the HTML select's "unknown") means no filter. Anything else is an
    error naming the filter, not a filter quietly dropped."""

    VALUES = {"true": True, "false": False, "": None, "unknown": None}

    def to_python(self, value: Any) -> bool | None:  # type: ignore[override]  # as the stubs do for NullBooleanField
        if value is None or isinstance(value, bool):
            return value
        if not isinstance(value, str) or value not in self.VALUES:
            raise forms.ValidationError(_("Give true or false."), code="invalid")
        return self.VALUES[value]

    def validate(self, value: bool | None) -> None:
        pass


class RawNullBooleanSelect(forms.NullBooleanSelect):
    """Django's select maps any value it does not know to "unknown" before the field sees it;
    hand the field the value as sent, so that it can refuse it. The blank choice reads 全部 (all), as a
    filter's does, not Django's 未知 (unknown)."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.choices = [("unknown", _("All")), ("true", _("Yes")), ("false", _("No"))]

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        return data.get(name)


# Documented as what it reads: the schema cannot see the type through a `method=` filter.
@extend_schema_field(OpenApiTypes.BOOL)
class BooleanFilter(django_filters.BooleanFilter):
    field_class = StrictNullBooleanField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", RawNullBooleanSelect)
        super().__init__(*args, **kwargs)


class ConditionFilter(BooleanFilter):
    """Yes: the rows that meet `condition()`, a Q built when the filter runs (so it may read
    today); no: the rows that do not; blank: all of them."""

    def __init__(self, condition: Callable[[], Q], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.condition = condition

    def filter(self, qs: Any, value: bool | None) -> Any:
        if value is None:
            return qs
        condition = self.condition()
        return qs.filter(condition) if value else qs.exclude(condition)


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.NumberFilter):
    """A row named by its id: a whole number, not any decimal that rounds to one."""

    field_class = forms.IntegerField


@extend_schema_field(OpenApiTypes.INT)
class AreaWithinFilter(django_filters.ModelChoiceFilter):
    """Rows whose area is the chosen one or anywhere below it."""

    def __init__(self, *args: Any, area_path: str = "area", **kwargs: Any) -> None:
        kwargs.setdefault("queryset", Area.objects.all())
        kwargs.setdefault("label", _("Area"))
        super().__init__(*args, **kwargs)
        self.area_path = area_path

    def filter(self, qs: QuerySet[Any], value: Area | None) -> QuerySet[Any]:
        if not value:
            return qs
        return qs.filter(**{f"{self.area_path}__path__startswith": value.path})


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        cadre = getattr(obj, "cadre", None)
        return cadre.name if cadre else obj.get_username()


class PersonFilter(django_filters.ModelChoiceFilter):
    """A person a row names (lead leader, responsible cadre), offered by name, not by login: only
    the subdistrict's people, never the administrators', auditors' or API clients' accounts."""

    field_class = PersonChoiceField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "queryset", User.objects.filter(cadre__isnull=False).select_related("cadre").order_by("cadre__name", "pk")
        )
        super().__init__(*args, **kwargs)


class AreaFilter(django_filters.FilterSet):
    within = AreaWithinFilter(area_path="", label=_("Within"), method="filter_within")
    level = django_filters.ChoiceFilter(choices=Area.Level.choices)

    class Meta:
        model = Area
        fields = ["level"]

    def filter_within(self, qs: QuerySet[Area], name: str, value: Area | None) -> QuerySet[Area]:
        return qs.filter(path__startswith=value.path) if value else qs


class TaskFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_q")
    work_line = django_filters.ModelChoiceFilter(queryset=WorkLine.objects.all(), label=_("Work line"))
    status = django_filters.ChoiceFilter(choices=Task.Status.choices, label=_("Status"))
    area = AreaWithinFilter()
    overdue = ConditionFilter(
        lambda: Q(due_on__lt=timezone.localdate()) & ~Q(status=Task.Status.DONE), label=_("Overdue")
    )
    due_before = django_filters.DateFilter(field_name="due_on", lookup_expr="lte", label=_("Due by"))
    lead_leader = PersonFilter()
    responsible = PersonFilter()

    class Meta:
        model = Task
        fields = ["q", "work_line", "status", "area", "lead_leader", "responsible", "overdue", "due_before"]

    def filter_q(self, qs: QuerySet[Task], name: str, value: str) -> QuerySet[Task]:
        return qs.filter(Q(title__icontains=value) | Q(description__icontains=value)) if value else qs


class IndicatorFilter(django_filters.FilterSet):
    headline = BooleanFilter(label=_("headline"))

    class Meta:
        model = Indicator
        fields = ["work_line", "source", "headline"]


class TargetFilter(django_filters.FilterSet):
    work_line = django_filters.ModelChoiceFilter(
        field_name="indicator__work_line", queryset=WorkLine.objects.all(), label=_("Work line")
    )
    area = django_filters.ModelChoiceFilter(queryset=Area.objects.all(), label=_("Area"))
    period_start = django_filters.DateFilter(label=_("Period start"))
    period_end = django_filters.DateFilter(label=_("Period end"))

    class Meta:
        model = Target
        fields = ["indicator", "work_line", "area", "period_start", "period_end"]
