"""FilterSets shared by the HTML lists and the API."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
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
from xicheng.filters import AreaWithinFilter, BooleanFilter, ConditionFilter


class CareCenterFilter(django_filters.FilterSet):
    area = AreaWithinFilter(area_path="area", field_name="area")

    class Meta:
        model = CareCenter
        fields = ["area"]


class ServedVillageFilter(django_filters.FilterSet):
    area = AreaWithinFilter(area_path="village", field_name="village")

    class Meta:
        model = ServedVillage
        fields = ["center", "area"]


class ElderFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Name"), method="filter_q")
    area = AreaWithinFilter(area_path="village", field_name="village")
    lives_alone = BooleanFilter(label=_("Lives alone"))
    enrolled = ConditionFilter(lambda: enrolled_on(timezone.localdate()), label=_("Enrolled today"))

    class Meta:
        model = Elder
        fields = ["q", "area", "lives_alone", "enrolled"]

    def filter_q(self, qs: QuerySet[Elder], name: str, value: str) -> QuerySet[Elder]:
        return qs.filter(name__icontains=value) if value else qs


class MealDeliveryFilter(django_filters.FilterSet):
    area = AreaWithinFilter(area_path="village", field_name="village")
    day_from = django_filters.DateFilter(field_name="day", lookup_expr="gte", label=_("From"))
    day_to = django_filters.DateFilter(field_name="day", lookup_expr="lte", label=_("To"))
    late = ConditionFilter(lambda: Q(delivered_at__gt=meal_on_time()), label=_("Late"))

    class Meta:
        model = MealDelivery
        fields = ["center", "area", "day_from", "day_to", "late"]


class MealReceiptFilter(django_filters.FilterSet):
    area = AreaWithinFilter(area_path="delivery__village", field_name="delivery__village")
    day = django_filters.DateFilter(field_name="delivery__day", label=_("Day"))
    outcome = django_filters.ChoiceFilter(choices=MealReceipt.Outcome.choices, label=_("Outcome"))

    class Meta:
        model = MealReceipt
        fields = ["delivery", "elder", "area", "day", "outcome"]


class SafetyCheckFilter(django_filters.FilterSet):
    area = AreaWithinFilter(area_path="elder__village", field_name="elder__village")
    open = ConditionFilter(lambda: Q(resolved_at__isnull=True), label=_("Open"))
    reason = django_filters.ChoiceFilter(choices=SafetyCheck.Reason.choices, label=_("Reason"))
    day_from = django_filters.DateFilter(field_name="day", lookup_expr="gte", label=_("From"))
    day_to = django_filters.DateFilter(field_name="day", lookup_expr="lte", label=_("To"))

    class Meta:
        model = SafetyCheck
        fields = ["area", "open", "reason", "day_from", "day_to"]
