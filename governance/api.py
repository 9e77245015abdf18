"""Governance endpoints under /api/v1/: scoped, filtered by the web's FilterSets, written through services."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response

from governance import serializers as s
from governance.filters import (
    DisputeFilter,
    HazardFilter,
    InspectionFilter,
    MigrantFilter,
    RentalHouseFilter,
    ZeroReportFilter,
)
from governance.models import Dispute, Hazard, Inspection, Migrant, RentalHouse, ZeroReport
from governance.services import (
    dispute_move,
    dispute_receive,
    hazard_rectify,
    hazard_report,
    inspection_log,
    migrant_leave,
    migrant_register,
    rental_house_create,
    rental_house_edit,
    zero_report_submit,
)
from xicheng.api import (
    ETAG,
    CreatingScopedViewSet,
    LogsPersonalDataReads,
    VersionedUpdateMixin,
    action,
    creates_with,
    edits_with,
    extend_schema,
    extend_schema_view,
    router,
    row_action,
    versioned_update_schema,
)
from xicheng.personal import exactly, reveal
from xicheng.stage_faces import RevertAction


@extend_schema_view(
    partial_update=versioned_update_schema(s.RentalHouseSerializer), retrieve=extend_schema(parameters=[ETAG])
)
class RentalHouseViewSet(LogsPersonalDataReads, VersionedUpdateMixin, CreatingScopedViewSet):
    personal_data_subject = "api rental house"
    queryset = RentalHouse.objects.select_related("area")
    serializer_class = s.RentalHouseSerializer
    filterset_class = RentalHouseFilter
    search_fields = ["address", "landlord"]
    ordering_fields = ["address", "rooms"]

    perform_create = creates_with(rental_house_create)
    perform_update = edits_with(rental_house_edit, row="house")


class InspectionViewSet(CreatingScopedViewSet):
    queryset = Inspection.objects.select_related("house")
    serializer_class = s.InspectionSerializer
    filterset_class = InspectionFilter
    ordering_fields = ["inspected_on"]

    def perform_create(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        data["forces"] = sorted(data.get("forces", []))
        serializer.instance = inspection_log(acting_user=self.request.user, **data)


class MigrantViewSet(LogsPersonalDataReads, CreatingScopedViewSet):
    """Migrants; `id_number` and `phone` are masked unless the caller holds the right (each
    unmasked read is logged). Find a person by exact ID number with POST `search/`, so that the
    number never travels in a URL."""

    personal_data_subject = "api migrant"
    queryset = Migrant.objects.select_related("house")
    serializer_class = s.MigrantSerializer
    filterset_class = MigrantFilter
    search_fields = ["name", "origin"]
    ordering_fields = ["registered_on", "name"]
    action_permissions = {"search": "view", "leave": "change"}

    perform_create = creates_with(migrant_register)

    @extend_schema(request=s.MigrantSearchSerializer, responses={200: s.MigrantSerializer(many=True)})
    @action(detail=False, methods=["post"], pagination_class=None, filter_backends=[])
    def search(self, request: Request) -> Response:
        """Registrations of the person with this exact ID number, within the caller's scope: a
        plain list (one person's registrations, at most 100), not pages."""
        query = s.MigrantSearchSerializer(data=request.data)
        query.is_valid(raise_exception=True)
        found = exactly(self.get_queryset(), "id_number", query.validated_data["id_number"])[:100]
        reveal(request.user, subject="api migrant search", request=request)
        return Response(self.get_serializer(found, many=True).data)

    @row_action(s.MigrantLeaveSerializer, answer=s.MigrantSerializer)
    def leave(self, request: Request, pk: str | None = None) -> Response:
        """Record the day the migrant left the house."""
        return self.act_on_row(migrant_leave, s.MigrantLeaveSerializer, row="migrant")


class HazardViewSet(CreatingScopedViewSet):
    queryset = Hazard.objects.select_related("area", "house")
    serializer_class = s.HazardSerializer
    filterset_class = HazardFilter
    search_fields = ["description"]
    ordering_fields = ["found_on", "deadline", "rectified_on"]
    action_permissions = {"rectify": "change"}

    perform_create = creates_with(hazard_report)

    @row_action(s.HazardRectifySerializer, answer=s.HazardSerializer)
    def rectify(self, request: Request, pk: str | None = None) -> Response:
        """Mark the hazard rectified on a day; on a rectified hazard, correct that day (null: it
        was not rectified after all). 409 with the current version if it changed meanwhile."""
        return self.act_on_row(hazard_rectify, s.HazardRectifySerializer, row="hazard")


class DisputeViewSet(RevertAction, CreatingScopedViewSet):
    queryset = Dispute.objects.select_related("area")
    serializer_class = s.DisputeSerializer
    filterset_class = DisputeFilter
    search_fields = ["summary"]
    ordering_fields = ["received_on", "status"]
    action_permissions = {"move": "change"}

    perform_create = creates_with(dispute_receive)

    @row_action(s.DisputeMoveSerializer, answer=s.DisputeSerializer)
    def move(self, request: Request, pk: str | None = None) -> Response:
        """Move the dispute one step: received → in mediation → resolved / escalated."""
        return self.act_on_row(dispute_move, s.DisputeMoveSerializer, row="dispute")


class ZeroReportViewSet(CreatingScopedViewSet):
    queryset = ZeroReport.objects.select_related("village")
    serializer_class = s.ZeroReportSerializer
    filterset_class = ZeroReportFilter
    ordering_fields = ["day"]

    perform_create = creates_with(zero_report_submit)


router.register("rental-houses", RentalHouseViewSet)
router.register("inspections", InspectionViewSet)
router.register("migrants", MigrantViewSet)
router.register("hazards", HazardViewSet)
router.register("disputes", DisputeViewSet)
router.register("zero-reports", ZeroReportViewSet)
