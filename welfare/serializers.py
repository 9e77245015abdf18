"""API serializers: named fields only; names and personal data masked unless the user holds the right."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from welfare.models import CareCenter, Elder, MealDelivery, MealReceipt, SafetyCheck, ServedVillage
from xicheng.schema import LocalTimeField, TypedJSON
from xicheng.serializers import MasksPersonalData, ScopedChoices, VersionField
from xicheng.validators import NOTE_LENGTH

if TYPE_CHECKING:
    pass


class CareCenterSerializer(serializers.ModelSerializer[CareCenter]):
    area_name = serializers.CharField(source="area.name", read_only=True)

    class Meta:
        model = CareCenter
        fields = ["id", "name", "area", "area_name", "operator", "caterer", "daily_capacity"]


class ServedVillageSerializer(serializers.ModelSerializer[ServedVillage]):
    village_name = serializers.CharField(source="village.name", read_only=True)

    class Meta:
        model = ServedVillage
        fields = ["id", "center", "village", "village_name", "since", "until"]


def _user(serializer: serializers.Serializer[Any]) -> Any:
    request = serializer.context.get("request")
    return request.user if request is not None else None


class ElderSerializer(TypedJSON, ScopedChoices, MasksPersonalData, serializers.ModelSerializer[Elder]):
    """Reads mask the name, phone and emergency contact unless the user holds the personal-data right."""

    scoped_choices = ("village",)
    village_name = serializers.CharField(source="village.name", read_only=True)

    class Meta:
        model = Elder
        fields = [
            "id",
            "name",
            "village",
            "village_name",
            "birth_year",
            "lives_alone",
            "phone",
            "emergency_contact",
            "dietary_needs",
            "enrolled_on",
            "left_on",
            "version",
        ]
        read_only_fields = ["id", "left_on", "version"]


class ElderLeaveSerializer(TypedJSON, serializers.Serializer[Any]):
    left_on = serializers.DateField()
    version = VersionField(required=True, help_text="The elder's version you read.")


class MealReceiptSerializer(MasksPersonalData, serializers.ModelSerializer[MealReceipt]):
    elder_name = serializers.CharField(source="elder.name", read_only=True)
    day = serializers.DateField(source="delivery.day", read_only=True)

    class Meta:
        model = MealReceipt
        fields = ["id", "delivery", "day", "elder", "elder_name", "outcome"]


class ReceiptInSerializer(TypedJSON, serializers.Serializer[Any]):
    elder = serializers.IntegerField()
    outcome = serializers.ChoiceField(choices=MealReceipt.Outcome.choices)


class MealDeliverySerializer(TypedJSON, serializers.ModelSerializer[MealDelivery]):
    village_name = serializers.CharField(source="village.name", read_only=True)
    delivered_at = LocalTimeField(label=MealDelivery._meta.get_field("delivered_at").verbose_name)
    receipts = ReceiptInSerializer(many=True, write_only=True, help_text="Every enrolled elder of the village.")
    meals_delivered = serializers.SerializerMethodField()

    class Meta:
        model = MealDelivery
        fields = [
            "id",
            "center",
            "village",
            "village_name",
            "day",
            "delivered_at",
            "courier",
            "note",
            "receipts",
            "meals_delivered",
            "version",
        ]
        read_only_fields = ["id", "version"]
        # The service answers a second delivery with its own message, so drop DRF's generic one.
        validators: list[Any] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user = _user(self)
        if user is not None:
            center = cast("serializers.PrimaryKeyRelatedField[CareCenter]", self.fields["center"])
            center.queryset = CareCenter.objects.visible_to(user)

    @extend_schema_field(int)
    def get_meals_delivered(self, delivery: MealDelivery) -> int:
        annotated = getattr(delivery, "delivered_count", None)
        if annotated is not None:
            return int(annotated)
        return delivery.receipts.filter(outcome=MealReceipt.Outcome.DELIVERED).count()

    def validate_receipts(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        elders = [r["elder"] for r in value]
        if len(elders) != len(set(elders)):
            raise serializers.ValidationError(_("Name each elder once."))
        return value


class SafetyCheckSerializer(MasksPersonalData, serializers.ModelSerializer[SafetyCheck]):
    elder_name = serializers.CharField(source="elder.name", read_only=True)
    village = serializers.IntegerField(source="elder.village_id", read_only=True)
    village_name = serializers.CharField(source="elder.village.name", read_only=True)
    open = serializers.BooleanField(source="is_open", read_only=True)

    class Meta:
        model = SafetyCheck
        fields = [
            "id",
            "elder",
            "elder_name",
            "village",
            "village_name",
            "day",
            "reason",
            "raised_at",
            "open",
            "resolved_at",
            "resolved_by",
            "finding",
            "version",
        ]
        read_only_fields = fields


class SafetyCheckResolveSerializer(TypedJSON, serializers.Serializer[Any]):
    finding = serializers.CharField(max_length=NOTE_LENGTH)
    version = VersionField(required=True, help_text="The safety check's version you read.")
