"""The projects API: projects with their stage and funnel, milestones, households (masked owner
data, one step at a time), squads with their ranking figures, issues and investment leads."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import User
from django.db.models import Prefetch
from rest_framework.request import Request
from rest_framework.response import Response

from projects import serializers as s
from projects.filters import (
    HouseholdFilter,
    InvestmentLeadFilter,
    MilestoneFilter,
    ProjectFilter,
    ProjectIssueFilter,
    SquadFilter,
)
from projects.models import Household, InvestmentLead, Milestone, Project, ProjectIssue, Squad
from projects.selectors import funnels_by_project, squad_ranking, stages_by_project
from projects.services import issue_set_status, milestone_complete
from xicheng.api import (
    AS_OF,
    LogsPersonalDataReads,
    ReadOnlyScopedViewSet,
    as_of_from,
    extend_schema,
    extend_schema_view,
    router,
    row_action,
)
from xicheng.stage_faces import NextStepSerializer, StageActions

if TYPE_CHECKING:
    from rest_framework.viewsets import GenericViewSet

    from xicheng.roles import AuthenticatedRequest

    _ViewSet = GenericViewSet[Any]  # the mixin below is mixed into viewsets
else:
    _ViewSet = object


class PageContextMixin(_ViewSet):
    """Figures computed once for the rows being serialised, not once per row."""

    def page_context(self, rows: list[Any]) -> dict[str, Any]:
        return {}

    def _respond(self, rows: list[Any], many: bool) -> Any:
        context = {**self.get_serializer_context(), **self.page_context(rows)}
        return self.get_serializer_class()(rows if many else rows[0], many=many, context=context).data

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        if page is not None:
            return self.get_paginated_response(self._respond(list(page), many=True))
        return Response(self._respond(list(queryset), many=True))

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self._respond([self.get_object()], many=False))


@extend_schema_view(list=extend_schema(parameters=[AS_OF]), retrieve=extend_schema(parameters=[AS_OF]))
class ProjectViewSet(PageContextMixin, ReadOnlyScopedViewSet):
    """Key projects with their current stage and household funnel as of a day (`as_of`)."""

    queryset = Project.objects.select_related("area", "lead_leader__cadre")
    serializer_class = s.ProjectSerializer
    filterset_class = ProjectFilter
    search_fields = ["name", "responsible_unit"]
    ordering_fields = ["planned_start", "planned_end", "name"]

    def page_context(self, rows: list[Any]) -> dict[str, Any]:
        as_of = as_of_from(self.request)
        return {
            "as_of": as_of,
            "stages": stages_by_project(rows, as_of),
            "funnels": funnels_by_project(Household.objects.filter(project__in=[p.pk for p in rows]), as_of),
        }


@extend_schema_view(list=extend_schema(parameters=[AS_OF]), retrieve=extend_schema(parameters=[AS_OF]))
class MilestoneViewSet(ReadOnlyScopedViewSet):
    queryset = Milestone.objects.all()
    serializer_class = s.MilestoneSerializer
    filterset_class = MilestoneFilter
    ordering_fields = ["order", "planned_end"]
    action_permissions = {"complete": "change"}

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "as_of": as_of_from(self.request)}

    @row_action(NextStepSerializer, answer=s.MilestoneSerializer)
    def complete(self, request: AuthenticatedRequest, pk: str | None = None) -> Response:
        """Record that the stage ended (today unless `on` is given); 409 if it changed meanwhile."""
        return self.act_on_row(milestone_complete, NextStepSerializer, row="milestone")


class HouseholdViewSet(StageActions, LogsPersonalDataReads, ReadOnlyScopedViewSet):
    queryset = Household.objects.select_related("area", "squad")
    serializer_class = s.HouseholdSerializer
    filterset_class = HouseholdFilter
    search_fields = ["address"]
    ordering_fields = ["address", "status", "last_step_on", "floor_area"]
    # Owners' names and phones, unmasked to holders of the right.
    personal_data_subject = "API households"


@extend_schema_view(list=extend_schema(parameters=[AS_OF]), retrieve=extend_schema(parameters=[AS_OF]))
class SquadViewSet(PageContextMixin, ReadOnlyScopedViewSet):
    """1+1+N squads with their ranking figures as of a day (`as_of`): the rank is within the
    squads listed (filter by `project` for a project's ranking)."""

    queryset = Squad.objects.select_related("leader__cadre", "head__cadre").prefetch_related(
        Prefetch("members", queryset=User.objects.select_related("cadre"))
    )
    serializer_class = s.SquadSerializer
    filterset_class = SquadFilter
    ordering_fields = ["name"]

    def page_context(self, rows: list[Any]) -> dict[str, Any]:
        as_of = as_of_from(self.request)
        squads = self.filter_queryset(self.get_queryset())
        ranking = squad_ranking(Squad.objects.filter(pk__in=squads.values("pk")), Household.objects.all(), as_of)
        return {"figures": {item.squad.pk: item for item in ranking}}


class ProjectIssueViewSet(ReadOnlyScopedViewSet):
    queryset = ProjectIssue.objects.select_related("owner__cadre")
    serializer_class = s.ProjectIssueSerializer
    filterset_class = ProjectIssueFilter
    search_fields = ["title"]
    ordering_fields = ["due_on", "status"]
    action_permissions = {"set_status": "change"}

    @row_action(s.IssueStatusSerializer, answer=s.ProjectIssueSerializer, url_path="status")
    def set_status(self, request: Request, pk: str | None = None) -> Response:
        return self.act_on_row(issue_set_status, s.IssueStatusSerializer, row="issue")


class InvestmentLeadViewSet(StageActions, ReadOnlyScopedViewSet):
    queryset = InvestmentLead.objects.select_related("area", "owner__cadre")
    serializer_class = s.InvestmentLeadSerializer
    filterset_class = InvestmentLeadFilter
    search_fields = ["company"]
    ordering_fields = ["amount", "company", "talks_on"]


router.register("projects", ProjectViewSet)
router.register("milestones", MilestoneViewSet)
router.register("households", HouseholdViewSet)
router.register("squads", SquadViewSet)
router.register("project-issues", ProjectIssueViewSet)
router.register("investment-leads", InvestmentLeadViewSet)
