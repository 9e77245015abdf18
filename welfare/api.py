"""The livelihood API: centres, served villages, elders, deliveries with receipts, safety checks."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from rest_framework.request import Request
from rest_framework.response import Response

from welfare import serializers as s
from welfare.filters import (
    CareCenterFilter,
    ElderFilter,
    MealDeliveryFilter,
    MealReceiptFilter,
    SafetyCheckFilter,
    ServedVillageFilter,
)
from welfare.models import CareCenter, Elder, MealDelivery, MealReceipt, SafetyCheck, ServedVillage
from welfare.services import elder_enrol, elder_leave, meal_delivery_create, safety_check_resolve
from xicheng.api import (
    CreatingScopedViewSet,
    LogsPersonalDataReads,
    ReadOnlyScopedViewSet,
    creates_with,
    router,
    row_action,
)


class CareCenterViewSet(ReadOnlyScopedViewSet):
    queryset = CareCenter.objects.select_related("area")
    serializer_class = s.CareCenterSerializer
    filterset_class = CareCenterFilter
    search_fields = ["name", "operator", "caterer"]
    ordering_fields = ["name", "daily_capacity"]


class ServedVillageViewSet(ReadOnlyScopedViewSet):
    queryset = ServedVillage.objects.select_related("village")
    serializer_class = s.ServedVillageSerializer
    filterset_class = ServedVillageFilter
    ordering_fields = ["since", "village__path"]


class ElderViewSet(LogsPersonalDataReads, CreatingScopedViewSet):
    """Enrolled elders. Names, phones and emergency contacts are masked unless the caller holds the
    personal-data right; each unmasked read is logged."""

    queryset = Elder.objects.select_related("village")
    serializer_class = s.ElderSerializer
    filterset_class = ElderFilter
    search_fields = ["name"]
    ordering_fields = ["name", "enrolled_on", "birth_year"]
    action_permissions = {"leave": "change"}
    personal_data_subject = "welfare.elder"

    perform_create = creates_with(elder_enrol)

    @row_action(s.ElderLeaveSerializer, answer=s.ElderSerializer)
    def leave(self, request: Request, pk: str | None = None) -> Response:
        """Un-enrol the elder from `left_on` on."""
        return self.act_on_row(elder_leave, s.ElderLeaveSerializer, row="elder")


class MealDeliveryViewSet(CreatingScopedViewSet):
    """A centre's delivery to a village on a day, with every enrolled elder's receipt. One per
    centre, village and day; the day sheet on the web saves all villages at once."""

    queryset = MealDelivery.objects.select_related("village").annotate(
        delivered_count=Count("receipts", filter=Q(receipts__outcome=MealReceipt.Outcome.DELIVERED))
    )
    serializer_class = s.MealDeliverySerializer
    filterset_class = MealDeliveryFilter
    search_fields = ["courier", "note"]
    ordering_fields = ["day", "delivered_at"]
    ordering = ["-day", "village__path"]

    def perform_create(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        receipts = data.pop("receipts")
        delivery = meal_delivery_create(
            acting_user=self.request.user,
            outcomes={r["elder"]: r["outcome"] for r in receipts},
            **data,
        )
        serializer.instance = self.get_queryset().get(pk=delivery.pk)


class MealReceiptViewSet(ReadOnlyScopedViewSet):
    queryset = MealReceipt.objects.select_related("delivery", "elder")
    serializer_class = s.MealReceiptSerializer
    filterset_class = MealReceiptFilter
    ordering_fields = ["delivery__day"]


class SafetyCheckViewSet(ReadOnlyScopedViewSet):
    queryset = SafetyCheck.objects.select_related("elder__village")
    serializer_class = s.SafetyCheckSerializer
    filterset_class = SafetyCheckFilter
    ordering_fields = ["day", "raised_at", "resolved_at"]
    action_permissions = {"resolve": "change"}

    @row_action(s.SafetyCheckResolveSerializer, answer=s.SafetyCheckSerializer)
    def resolve(self, request: Request, pk: str | None = None) -> Response:
        """Record that a cadre reached the elder and what they found; the check closes."""
        return self.act_on_row(safety_check_resolve, s.SafetyCheckResolveSerializer, row="check")


router.register("care-centres", CareCenterViewSet)
router.register("served-villages", ServedVillageViewSet)
router.register("elders", ElderViewSet)
router.register("meal-deliveries", MealDeliveryViewSet)
router.register("meal-receipts", MealReceiptViewSet)
router.register("safety-checks", SafetyCheckViewSet)
