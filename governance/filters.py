"""FilterSets shared by the governance lists and the API."""

from __future__ import annotations

from datetime import date

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from governance.models import Dispute, Hazard, Inspection, Migrant, RentalHouse, ZeroReport, hazard_overdue_q
from xicheng.filters import AreaWithinFilter, BooleanFilter, ConditionFilter, IdFilter, RowFilter

DATES = django_filters.widgets.DateRangeWidget(attrs={"type": "date"})


class RentalHouseFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Address or landlord"), method="filter_q")
    area = AreaWithinFilter()
    active = BooleanFilter(label=_("Active"))
    inspected = django_filters.DateFromToRangeFilter(
        label=_("Inspected between"), method="filter_inspected", widget=DATES
    )

    class Meta:
        model = RentalHouse
        fields = ["q", "area", "active", "inspected"]

    def filter_inspected(self, qs: QuerySet[RentalHouse], name: str, value: slice | None) -> QuerySet[RentalHouse]:
        """Houses with an inspection in the range: the houses the inspected-houses figure counts."""
        if not value or (value.start is None and value.stop is None):
            return qs
        inspections = Inspection.objects.all()
        if value.start is not None:
            inspections = inspections.filter(inspected_on__gte=value.start)
        if value.stop is not None:
            inspections = inspections.filter(inspected_on__lte=value.stop)
        return qs.filter(pk__in=inspections.values("house_id"))

    def filter_q(self, qs: QuerySet[RentalHouse], name: str, value: str) -> QuerySet[RentalHouse]:
        return qs.filter(Q(address__icontains=value) | Q(landlord__icontains=value)) if value else qs


class InspectionFilter(django_filters.FilterSet):
    area = AreaWithinFilter(area_path="house__area", field_name="house__area")
    date = django_filters.DateFromToRangeFilter(field_name="inspected_on", label=_("Inspection date"), widget=DATES)
    house = IdFilter(field_name="house_id", label=_("Rental house"))

    class Meta:
        model = Inspection
        fields = ["area", "date", "house"]


class MigrantFilter(django_filters.FilterSet):
    """No filter by ID number here: a GET parameter would put it in URLs and logs. The web list
    searches by a POSTed number, the API by its `search` action."""

    name = django_filters.CharFilter(label=_("Name"), lookup_expr="icontains")
    area = AreaWithinFilter(area_path="house__area", field_name="house__area")
    registered = django_filters.DateFromToRangeFilter(field_name="registered_on", label=_("Registered"), widget=DATES)
    staying = ConditionFilter(lambda: Q(left_on__isnull=True), label=_("Still staying"))
    house = IdFilter(field_name="house_id", label=_("Rental house"))

    class Meta:
        model = Migrant
        fields = ["name", "area", "registered", "staying", "house"]


class HazardFilter(django_filters.FilterSet):
    id = RowFilter()
    area = AreaWithinFilter()
    category = django_filters.ChoiceFilter(choices=Hazard.Category.choices, label=_("Category"))
    found = django_filters.DateFromToRangeFilter(field_name="found_on", label=_("Found"), widget=DATES)
    rectified = django_filters.DateFromToRangeFilter(field_name="rectified_on", label=_("Rectified"), widget=DATES)
    open = ConditionFilter(lambda: Q(rectified_on__isnull=True), label=_("Not yet rectified"))
    overdue = ConditionFilter(lambda: hazard_overdue_q(timezone.localdate()), label=_("Overdue"))
    deadline = django_filters.DateFromToRangeFilter(label=_("Deadline"), widget=DATES)
    overdue_on = django_filters.DateFilter(label=_("Overdue on"), method="filter_overdue_on")

    class Meta:
        model = Hazard
        fields = ["id", "area", "category", "found", "rectified", "open", "overdue", "deadline", "overdue_on"]

    def filter_overdue_on(self, qs: QuerySet[Hazard], name: str, value: date | None) -> QuerySet[Hazard]:
        return qs.filter(hazard_overdue_q(value)) if value else qs


class DisputeFilter(django_filters.FilterSet):
    id = RowFilter()
    area = AreaWithinFilter()
    status = django_filters.ChoiceFilter(choices=Dispute.Status.choices, label=_("Status"))
    category = django_filters.ChoiceFilter(choices=Dispute.Category.choices, label=_("Category"))
    received = django_filters.DateFromToRangeFilter(field_name="received_on", label=_("Received"), widget=DATES)
    resolved = django_filters.DateFromToRangeFilter(field_name="resolved_on", label=_("Resolved"), widget=DATES)
    long_open = ConditionFilter(
        lambda: Q(pk__in=Dispute.objects.long_open(timezone.localdate()).values("pk")),
        label=_("Open for more than 30 days"),
    )

    class Meta:
        model = Dispute
        fields = ["id", "area", "status", "category", "received", "resolved", "long_open"]


class ZeroReportFilter(django_filters.FilterSet):
    area = AreaWithinFilter(area_path="village", field_name="village")
    day = django_filters.DateFromToRangeFilter(label=_("Day"), widget=DATES)
    with_incidents = ConditionFilter(lambda: Q(incidents__gt=0), label=_("With incidents"))

    class Meta:
        model = ZeroReport
        fields = ["area", "day", "with_incidents"]
