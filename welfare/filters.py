"""FilterSets shared by the HTML lists and the API."""

from __future__ import annotations

from datetime import date

import django_filters
from django import forms
from django.db.models import Exists, Min, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from welfare.models import (
    CareCenter,
    Elder,
    MealDelivery,
    MealReceipt,
    SafetyCheck,
    ServedVillage,
    enrolled_on,
    meal_on_time,
)
from xicheng.filters import DATE_RANGE, AreaWithinFilter, BooleanFilter, ConditionFilter, RowFilter


class CareCenterFilter(django_filters.FilterSet):
    area = AreaWithinFilter(area_path="area", field_name="area")

    class Meta:
        model = CareCenter
        fields = ["area"]


class ServedVillageFilter(django_filters.FilterSet):
    area = AreaWithinFilter(area_path="village", field_name="village")
    delivered = django_filters.DateFromToRangeFilter(
        label=_("Delivered between"), method="filter_delivered", widget=DATE_RANGE
    )

    class Meta:
        model = ServedVillage
        fields = ["center", "area", "delivered"]

    def filter_delivered(self, qs: QuerySet[ServedVillage], name: str, value: slice | None) -> QuerySet[ServedVillage]:
        """Villages the centre delivered to within the range: what the villages-served figure counts."""
        if not value or (value.start is None and value.stop is None):
            return qs
        deliveries = MealDelivery.objects.filter(center=OuterRef("center"), village=OuterRef("village"))
        if value.start is not None:
            deliveries = deliveries.filter(day__gte=value.start)
        if value.stop is not None:
            deliveries = deliveries.filter(day__lte=value.stop)
        return qs.filter(Exists(deliveries))


class ElderFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Name"), method="filter_q")
    area = AreaWithinFilter(area_path="village", field_name="village")
    lives_alone = BooleanFilter(label=_("Lives alone"))
    enrolled = ConditionFilter(lambda: enrolled_on(timezone.localdate()), label=_("Enrolled today"))
    enrolled_on = django_filters.DateFromToRangeFilter(label=_("Enrolled between"), widget=DATE_RANGE)
    staying_on = django_filters.DateFilter(label=_("Still enrolled on"), method="filter_staying_on")

    class Meta:
        model = Elder
        fields = ["q", "area", "lives_alone", "enrolled", "enrolled_on", "staying_on"]

    def filter_staying_on(self, qs: QuerySet[Elder], name: str, value: date | None) -> QuerySet[Elder]:
        """Not gone by the day (left_on is the first day away)."""
        return qs.filter(Q(left_on__isnull=True) | Q(left_on__gt=value)) if value else qs

    def filter_q(self, qs: QuerySet[Elder], name: str, value: str) -> QuerySet[Elder]:
        return qs.filter(name__icontains=value) if value else qs


class MealDeliveryFilter(django_filters.FilterSet):
    area = AreaWithinFilter(area_path="village", field_name="village")
    day_from = django_filters.DateFilter(field_name="day", lookup_expr="gte", label=_("From"))
    day_to = django_filters.DateFilter(field_name="day", lookup_expr="lte", label=_("To"))
    late = ConditionFilter(lambda: Q(delivered_at__gt=meal_on_time()), label=_("Late"))
    # Carried by the delivery-days figure's link, not offered in the form (a second list of areas).
    center_area = AreaWithinFilter(
        area_path="center__area", field_name="center__area", label=_("Care centre's area"), widget=forms.HiddenInput
    )
    # One delivery for each centre's area and day: the days the delivery-days figure counts.
    first_of_day = ConditionFilter(
        lambda: Q(pk__in=MealDelivery.objects.values("center__area", "day").annotate(first=Min("pk")).values("first")),
        label=_("First of the day"),
    )

    class Meta:
        model = MealDelivery
        fields = ["center", "area", "day_from", "day_to", "late", "center_area", "first_of_day"]


class MealReceiptFilter(django_filters.FilterSet):
    # By id, hidden: a <select> of every delivery (each naming its village) cost a query per
    # delivery, and one of every elder would show their names to anyone who may list meals.
    delivery = RowFilter(field_name="delivery_id", label=_("meal delivery"))
    elder = RowFilter(field_name="elder_id", label=_("elder"))
    area = AreaWithinFilter(area_path="delivery__village", field_name="delivery__village")
    day = django_filters.DateFilter(field_name="delivery__day", label=_("Day"))
    day_from = django_filters.DateFilter(field_name="delivery__day", lookup_expr="gte", label=_("From"))
    day_to = django_filters.DateFilter(field_name="delivery__day", lookup_expr="lte", label=_("To"))
    outcome = django_filters.ChoiceFilter(choices=MealReceipt.Outcome.choices, label=_("Outcome"))

    class Meta:
        model = MealReceipt
        fields = ["delivery", "elder", "area", "day", "day_from", "day_to", "outcome"]


class SafetyCheckFilter(django_filters.FilterSet):
    id = RowFilter()
    area = AreaWithinFilter(area_path="elder__village", field_name="elder__village")
    open = ConditionFilter(lambda: Q(resolved_at__isnull=True), label=_("Open"))
    reason = django_filters.ChoiceFilter(choices=SafetyCheck.Reason.choices, label=_("Reason"))
    day_from = django_filters.DateFilter(field_name="day", lookup_expr="gte", label=_("From"))
    day_to = django_filters.DateFilter(field_name="day", lookup_expr="lte", label=_("To"))
    resolved = django_filters.DateFromToRangeFilter(
        field_name="resolved_at__date", label=_("Resolved between"), widget=DATE_RANGE
    )

    class Meta:
        model = SafetyCheck
        fields = ["id", "area", "open", "reason", "day_from", "day_to", "resolved"]
