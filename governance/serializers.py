"""API shapes: fields named, personal data masked unless the caller holds the right."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils import timezone
from rest_framework import serializers

from governance.models import Dispute, Force, Hazard, Inspection, Migrant, RentalHouse, ZeroReport
from xicheng.schema import TypedJSON
from xicheng.serializers import MasksPersonalData, ScopedChoices, VersionField
from xicheng.validators import validate_phone

if TYPE_CHECKING:
    pass


class RentalHouseSerializer(TypedJSON, ScopedChoices, MasksPersonalData, serializers.ModelSerializer[RentalHouse]):
    scoped_choices = ("area",)
    area_name = serializers.CharField(source="area.name", read_only=True)
    landlord_phone = serializers.CharField(required=False, allow_blank=True, max_length=20, validators=[validate_phone])
    version = VersionField()

    class Meta:
        model = RentalHouse
        fields = ["id", "area", "area_name", "address", "landlord", "landlord_phone", "rooms", "active", "version"]


class InspectionSerializer(TypedJSON, ScopedChoices, serializers.ModelSerializer[Inspection]):
    scoped_choices = ("house",)
    forces = serializers.MultipleChoiceField(choices=Force.choices)
    house_address = serializers.CharField(source="house.address", read_only=True)
    inspector: serializers.PrimaryKeyRelatedField[Any] = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Inspection
        fields = ["id", "house", "house_address", "inspected_on", "forces", "inspector", "note"]

    def to_representation(self, instance: Inspection) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["forces"] = instance.forces
        return data


class MigrantSerializer(TypedJSON, ScopedChoices, MasksPersonalData, serializers.ModelSerializer[Migrant]):
    """`id_number` and `phone` come masked unless the caller may see personal data."""

    scoped_choices = ("house",)
    id_number = serializers.CharField(max_length=18)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=20, validators=[validate_phone])
    house_address = serializers.CharField(source="house.address", read_only=True)

    class Meta:
        model = Migrant
        fields = ["id", "house", "house_address", "name", "id_number", "phone", "origin", "registered_on", "left_on"]
        read_only_fields = ["left_on"]


class MigrantSearchSerializer(TypedJSON, serializers.Serializer[Any]):
    id_number = serializers.CharField(max_length=18)


class MigrantLeaveSerializer(TypedJSON, serializers.Serializer[Any]):
    left_on = serializers.DateField()


class HazardSerializer(TypedJSON, ScopedChoices, serializers.ModelSerializer[Hazard]):
    scoped_choices = ("house", "area")
    area_name = serializers.CharField(source="area.name", read_only=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Hazard
        fields = [
            "id",
            "house",
            "area",
            "area_name",
            "category",
            "description",
            "found_on",
            "deadline",
            "rectified_on",
            "overdue",
            "version",
        ]
        read_only_fields = ["rectified_on", "version"]
        # A hazard at a house takes the house's grid.
        extra_kwargs = {"area": {"required": False}}

    def get_overdue(self, hazard: Hazard) -> bool:
        return hazard.is_overdue(timezone.localdate())


class HazardRectifySerializer(TypedJSON, serializers.Serializer[Any]):
    rectified_on = serializers.DateField(
        allow_null=True, help_text="The day it was rectified; null on a rectified hazard reopens it."
    )
    version = VersionField(required=True, help_text="The hazard's version you read.")


class DisputeSerializer(TypedJSON, ScopedChoices, serializers.ModelSerializer[Dispute]):
    scoped_choices = ("area",)
    area_name = serializers.CharField(source="area.name", read_only=True)

    class Meta:
        model = Dispute
        fields = [
            "id",
            "category",
            "area",
            "area_name",
            "summary",
            "mediator",
            "status",
            "received_on",
            "mediating_on",
            "resolved_on",
            "escalated_on",
            "version",
        ]
        read_only_fields = ["status", "mediating_on", "resolved_on", "escalated_on", "version"]


class DisputeMoveSerializer(TypedJSON, serializers.Serializer[Any]):
    to_status = serializers.ChoiceField(choices=Dispute.Status.choices)
    on = serializers.DateField()
    version = VersionField(required=True, help_text="The dispute's version you read.")


class ZeroReportSerializer(TypedJSON, ScopedChoices, serializers.ModelSerializer[ZeroReport]):
    scoped_choices = ("village",)
    village_name = serializers.CharField(source="village.name", read_only=True)

    class Meta:
        model = ZeroReport
        fields = ["id", "village", "village_name", "day", "incidents", "note"]
        # The service refuses a second report with a message naming the village and day.
        validators: list[Any] = []
