"""FilterSets: the same ones render the HTML filter forms and filter the API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import django_filters
from django import forms
from django.contrib.auth.models import User
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from xicheng.models import Area, Indicator, ManualReading, Target, Task, WorkLine
from xicheng.stages import Stages

# The from-to pair of date inputs every date range filter shows.
DATE_RANGE = django_filters.widgets.DateRangeWidget(attrs={"type": "date"})


def step_dates(stages: Stages, status: str) -> django_filters.DateFromToRangeFilter:
    """The rows that took a step (or started, if the start is dated) within a range of days:
    `<status>_after`, `<status>_before`, the parameters a step metric's listing sends."""
    date_field = stages.date_field_of(status)
    assert stages.model is not None and date_field is not None, f"{status} has no date"
    field: Any = stages.model._meta.get_field(date_field)
    return django_filters.DateFromToRangeFilter(field_name=date_field, label=field.verbose_name, widget=DATE_RANGE)


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


class RowFilter(IdFilter):
    """One row by its id (`?id=`, a hidden field of the filter form): where a link to the row
    itself lands on its register's list (`xicheng.registers.row_url`)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("field_name", "pk")
        kwargs.setdefault("label", _("Record"))
        kwargs.setdefault("widget", forms.HiddenInput)
        super().__init__(**kwargs)


class AreaSearchInput(forms.Widget):
    """An area chosen by typing its name: a search box whose suggestions (a <datalist>) come from
    `/areas/search/`, which offers only the areas in the user's own subtree, and a hidden input
    that submits the area's id, so `?area=<id>` links keep working. Shows the chosen area's name.
    Replaces a <select> of every area of the database (hundreds in a city, tens of thousands in
    a province)."""

    chosen: Area | None = None

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        attrs = self.build_attrs(self.attrs, attrs)
        area_id = "" if value in (None, "") else str(value.pk if isinstance(value, Area) else value)
        chosen = self.chosen if self.chosen is not None and str(self.chosen.pk) == area_id else None
        if chosen is None and area_id.isdigit():
            chosen = Area.objects.filter(pk=area_id).only("name").first()
        field_id = attrs.get("id") or f"id_{name}"
        return format_html(
            '<span class="area-search" data-area-search="{url}">'
            '<input type="hidden" name="{name}" value="{value}">'
            '<input type="search" id="{id}" list="{id}_options" value="{shown}" autocomplete="off" '
            'placeholder="{placeholder}">'
            '<datalist id="{id}_options"></datalist></span>',
            url=reverse("area_search"),
            name=name,
            value=area_id,
            id=field_id,
            shown=chosen.name if chosen is not None else "",
            placeholder=_("Type a name"),
        )

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        return data.get(name)


class AreaChoiceField(forms.ModelChoiceField):
    """Keeps the area it read on its widget, which shows its name without reading it again."""

    widget = AreaSearchInput

    def to_python(self, value: Any) -> Any:
        area = super().to_python(value)
        if isinstance(self.widget, AreaSearchInput):
            self.widget.chosen = area
        return area


@extend_schema_field(OpenApiTypes.INT)
class AreaExactFilter(django_filters.ModelChoiceFilter):
    """Rows of exactly the chosen area, chosen by typing its name."""

    field_class = AreaChoiceField


@extend_schema_field(OpenApiTypes.INT)
class AreaWithinFilter(django_filters.ModelChoiceFilter):
    """Rows whose area is the chosen one or anywhere below it, chosen by typing its name."""

    field_class = AreaChoiceField

    def __init__(self, *args: Any, area_path: str = "area", **kwargs: Any) -> None:
        kwargs.setdefault("queryset", Area.objects.all())
        kwargs.setdefault("label", _("Area"))
        super().__init__(*args, **kwargs)
        self.area_path = area_path

    def filter(self, qs: QuerySet[Any], value: Area | None) -> QuerySet[Any]:
        if not value:
            return qs
        # The subtree's ids by subquery: the rows are then found through their area key's index.
        return qs.filter(**{f"{self.area_path}__in": Area.objects.filter(path__startswith=value.path).values("pk")})


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
    area = AreaExactFilter(queryset=Area.objects.all(), label=_("Area"))
    period_start = django_filters.DateFilter(label=_("Period start"))
    period_end = django_filters.DateFilter(label=_("Period end"))

    class Meta:
        model = Target
        fields = ["indicator", "work_line", "area", "period_start", "period_end"]


class ManualReadingFilter(django_filters.FilterSet):
    indicator = django_filters.ModelChoiceFilter(
        queryset=Indicator.objects.filter(source=Indicator.Source.MANUAL), label=_("Indicator")
    )
    area = AreaWithinFilter()
    on = django_filters.DateFromToRangeFilter(label=_("Date"), widget=DATE_RANGE)

    class Meta:
        model = ManualReading
        fields = ["indicator", "area", "on"]
