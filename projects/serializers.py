from __future__ import annotations

from datetime import date
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from projects.models import Household, InvestmentLead, Milestone, Project, ProjectIssue, Squad
from projects.selectors import Funnel
from xicheng import clock
from xicheng.schema import TypedJSON
from xicheng.serializers import MasksPersonalData, PersonSerializer, VersionField
from xicheng.validators import NOTE_LENGTH


class FunnelSerializer(serializers.Serializer[Funnel]):
    total = serializers.IntegerField()
    evaluated = serializers.IntegerField()
    signed = serializers.IntegerField()
    vacated = serializers.IntegerField()
    demolished = serializers.IntegerField()
    signed_rate = serializers.FloatField()


class MilestoneSerializer(serializers.ModelSerializer[Milestone]):
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Milestone
        fields = [
            "id",
            "project",
            "order",
            "name",
            "planned_start",
            "planned_end",
            "actual_start",
            "actual_end",
            "overdue",
            "note",
            "version",
        ]
        read_only_fields = fields

    def get_overdue(self, milestone: Milestone) -> bool:
        return milestone.is_overdue(self.context.get("as_of") or timezone.localdate())


class ProjectSerializer(serializers.ModelSerializer[Project]):
    """A project with its current stage and household funnel as of `as_of`; the view computes both
    for the whole page at once (`context["stages"]`, `context["funnels"]`)."""

    area_name = serializers.CharField(source="area.name", read_only=True)
    lead_leader_name = serializers.SerializerMethodField()
    current_stage = serializers.SerializerMethodField()
    stages_done = serializers.SerializerMethodField()
    stages_total = serializers.SerializerMethodField()
    stages_overdue = serializers.SerializerMethodField()
    funnel = serializers.SerializerMethodField()

    class Meta:
        model = Project
        fields = [
            "id",
            "name",
            "category",
            "status",
            "area",
            "area_name",
            "lead_leader",
            "lead_leader_name",
            "responsible_unit",
            "planned_start",
            "planned_end",
            "current_stage",
            "stages_done",
            "stages_total",
            "stages_overdue",
            "funnel",
        ]

    def _stages(self, project: Project) -> Any:
        return self.context["stages"][project.pk]

    def get_lead_leader_name(self, project: Project) -> str:
        return PersonSerializer().get_name(project.lead_leader)

    def get_current_stage(self, project: Project) -> str | None:
        current = self._stages(project).current
        return current.name if current else None

    def get_stages_done(self, project: Project) -> int:
        return int(self._stages(project).done)

    def get_stages_total(self, project: Project) -> int:
        return int(self._stages(project).total)

    def get_stages_overdue(self, project: Project) -> int:
        return int(self._stages(project).overdue)

    @extend_schema_field(FunnelSerializer)
    def get_funnel(self, project: Project) -> dict[str, Any]:
        funnel = self.context["funnels"].get(project.pk) or Funnel()
        return dict(FunnelSerializer(funnel).data)


class HouseholdSerializer(MasksPersonalData, serializers.ModelSerializer[Household]):
    """Owner data is masked unless the user holds the personal-data right."""

    # Named here, not taken from the model, so that the schema keeps them plain strings.
    owner_name = serializers.CharField(read_only=True)
    owner_phone = serializers.CharField(read_only=True)
    area_name = serializers.CharField(source="area.name", read_only=True)
    # A household not yet given to a squad has none: null, like `squad`.
    squad_name = serializers.CharField(source="squad.name", read_only=True, allow_null=True, default=None)
    problems = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Household
        fields = [
            "id",
            "project",
            "squad",
            "squad_name",
            "area",
            "area_name",
            "address",
            "owner_name",
            "owner_phone",
            "floor_area",
            "status",
            "evaluated_on",
            "signed_on",
            "vacated_on",
            "demolished_on",
            "last_step_on",
            "problem_title",
            "problem_loan",
            "problem_other",
            "problem_note",
            "problems",
            "version",
        ]
        read_only_fields = fields


class NextStepSerializer(TypedJSON, serializers.Serializer[Any]):
    version = VersionField(required=True, help_text="The version you read.")
    on = serializers.DateField(required=False, help_text="The day of the step; today by default.")

    def validated_on(self) -> date:
        return self.validated_data.get("on") or clock.today()


class SquadSerializer(serializers.ModelSerializer[Squad]):
    """A squad with its ranking figures (`context["figures"]`, computed once for the page)."""

    leader_name = serializers.SerializerMethodField()
    head_name = serializers.SerializerMethodField()
    member_names = serializers.SerializerMethodField()
    rank = serializers.SerializerMethodField()
    funnel = serializers.SerializerMethodField()

    class Meta:
        model = Squad
        fields = [
            "id",
            "project",
            "name",
            "leader",
            "leader_name",
            "head",
            "head_name",
            "members",
            "member_names",
            "rank",
            "funnel",
        ]

    def get_leader_name(self, squad: Squad) -> str:
        return PersonSerializer().get_name(squad.leader)

    def get_head_name(self, squad: Squad) -> str:
        return PersonSerializer().get_name(squad.head)

    def get_member_names(self, squad: Squad) -> list[str]:
        return [PersonSerializer().get_name(m) for m in squad.members.all()]

    def get_rank(self, squad: Squad) -> int | None:
        item = self.context["figures"].get(squad.pk)
        return item.rank if item else None

    @extend_schema_field(FunnelSerializer)
    def get_funnel(self, squad: Squad) -> dict[str, Any]:
        item = self.context["figures"].get(squad.pk)
        return dict(FunnelSerializer(item.funnel if item else Funnel()).data)


class ProjectIssueSerializer(serializers.ModelSerializer[ProjectIssue]):
    owner_name = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = ProjectIssue
        fields = [
            "id",
            "project",
            "household",
            "title",
            "owner",
            "owner_name",
            "due_on",
            "status",
            "resolution",
            "created_on",
            "resolved_on",
            "overdue",
            "version",
        ]
        read_only_fields = fields

    def get_owner_name(self, issue: ProjectIssue) -> str:
        return PersonSerializer().get_name(issue.owner)

    def get_overdue(self, issue: ProjectIssue) -> bool:
        return issue.is_overdue(timezone.localdate())


class IssueStatusSerializer(TypedJSON, serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=ProjectIssue.Status.choices)
    resolution = serializers.CharField(required=False, allow_blank=True, default="", max_length=NOTE_LENGTH)
    version = VersionField(required=True, help_text="The issue's version you read.")


class InvestmentLeadSerializer(serializers.ModelSerializer[InvestmentLead]):
    area_name = serializers.CharField(source="area.name", read_only=True)
    owner_name = serializers.SerializerMethodField()

    class Meta:
        model = InvestmentLead
        fields = [
            "id",
            "company",
            "industry",
            "amount",
            "area",
            "area_name",
            "owner",
            "owner_name",
            "stage",
            "talks_on",
            "signed_on",
            "landed_on",
            "producing_on",
            "note",
            "version",
        ]
        read_only_fields = fields

    def get_owner_name(self, lead: InvestmentLead) -> str:
        return PersonSerializer().get_name(lead.owner)
