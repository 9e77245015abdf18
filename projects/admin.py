"""Admin for data admins: every projects model, scoped, with inlines, search and Excel in and out."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from projects.models import Household, InvestmentLead, Milestone, Project, ProjectIssue, Squad
from projects.resources import HouseholdResource, InvestmentLeadResource
from projects.services import check_squad_people, household_advance, lead_advance, milestone_complete
from xicheng import clock
from xicheng.admin import ImportExportAdmin, ScopedAdmin
from xicheng.admin_actions import service_action

if TYPE_CHECKING:
    from xicheng.roles import AuthenticatedHttpRequest


class MilestoneInline(admin.TabularInline):
    model = Milestone
    fields = ["order", "name", "planned_start", "planned_end", "actual_start", "actual_end", "note"]
    # A stage is completed through milestone_complete (the action on 项目阶段, the API).
    readonly_fields = ["actual_start", "actual_end"]
    extra = 0
    can_delete = False


class SquadInline(admin.TabularInline):
    model = Squad
    fields = ["name", "leader", "head"]
    autocomplete_fields = ["leader", "head"]
    extra = 0
    can_delete = False
    show_change_link = True


@admin.register(Project)
class ProjectAdmin(ScopedAdmin):
    list_display = ["name", "category", "area", "lead_leader", "planned_start", "planned_end", "status"]
    list_filter = ["category", "status"]
    search_fields = ["name", "responsible_unit"]
    autocomplete_fields = ["area", "lead_leader"]
    fields = [
        "name",
        "category",
        "area",
        "lead_leader",
        "responsible_unit",
        "planned_start",
        "planned_end",
        "status",
        "description",
    ]
    inlines = [MilestoneInline, SquadInline]


def _complete_stage(request: AuthenticatedHttpRequest, milestone: Milestone) -> None:
    milestone_complete(milestone=milestone, on=clock.today(), version=milestone.version, acting_user=request.user)


def _advance_household(request: AuthenticatedHttpRequest, household: Household) -> None:
    household_advance(household=household, on=clock.today(), version=household.version, acting_user=request.user)


def _advance_lead(request: AuthenticatedHttpRequest, lead: InvestmentLead) -> None:
    lead_advance(lead=lead, on=clock.today(), version=lead.version, acting_user=request.user)


@admin.register(Milestone)
class MilestoneAdmin(ScopedAdmin):
    list_display = ["project", "order", "name", "planned_end", "actual_end"]
    list_filter = ["project"]
    search_fields = ["name", "project__name"]
    autocomplete_fields = ["project"]
    fields = ["project", "order", "name", "planned_start", "planned_end", "actual_start", "actual_end", "note"]
    readonly_fields = ["actual_start", "actual_end"]
    actions = [
        service_action(
            _("Complete the selected stages today"),
            _complete_stage,
            done=_("%(count)s stages completed."),
            name="complete_stage",
        )
    ]


class SquadAdminForm(forms.ModelForm):
    class Meta:
        model = Squad
        fields = ["project", "name", "leader", "head", "members"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # The same 1+1+N rule the services apply.
        check_squad_people(data.get("leader"), data.get("head"), list(data.get("members") or []))
        return data


@admin.register(Squad)
class SquadAdmin(ScopedAdmin):
    """Squads with their members; the 1+1+N rule holds through the services and the constraints."""

    list_display = ["name", "project", "leader", "head"]
    list_filter = ["project"]
    search_fields = ["name", "project__name"]
    autocomplete_fields = ["project", "leader", "head", "members"]
    fields = ["project", "name", "leader", "head", "members"]
    form = SquadAdminForm


@admin.register(Household)
class HouseholdAdmin(ImportExportAdmin):
    resource_classes = [HouseholdResource]
    list_display = ["address", "project", "squad", "area", "status", "last_step_on"]
    list_filter = ["project", "status", "problem_title", "problem_loan", "problem_other"]
    search_fields = ["address", "owner_name"]
    autocomplete_fields = ["project", "squad", "area"]
    fields = [
        "project",
        "squad",
        "area",
        "address",
        "owner_name",
        "owner_phone",
        "floor_area",
        "status",
        "evaluated_on",
        "signed_on",
        "vacated_on",
        "demolished_on",
        "problem_title",
        "problem_loan",
        "problem_other",
        "problem_note",
        "created_on",
    ]
    # Steps are taken one at a time through household_advance (the action below, the pages, the
    # API), which dates them, checks their order and bumps the version.
    readonly_fields = ["status", "evaluated_on", "signed_on", "vacated_on", "demolished_on"]
    actions = [
        service_action(
            _("Move the selected households one step on, today"),
            _advance_household,
            done=_("%(count)s households moved one step on."),
            name="advance_household",
        )
    ]


@admin.register(ProjectIssue)
class ProjectIssueAdmin(ScopedAdmin):
    list_display = ["title", "project", "owner", "due_on", "status"]
    list_filter = ["project", "status"]
    search_fields = ["title", "resolution"]
    autocomplete_fields = ["project", "household", "owner"]
    fields = ["project", "household", "title", "owner", "due_on", "status", "resolution", "created_on", "resolved_on"]
    # The status moves through issue_set_status (the issue list, the API).
    readonly_fields = ["status", "resolved_on"]


@admin.register(InvestmentLead)
class InvestmentLeadAdmin(ImportExportAdmin):
    resource_classes = [InvestmentLeadResource]
    list_display = ["company", "industry", "amount", "stage", "area", "owner"]
    list_filter = ["industry", "stage"]
    search_fields = ["company"]
    autocomplete_fields = ["area", "owner"]
    fields = [
        "company",
        "industry",
        "amount",
        "area",
        "owner",
        "stage",
        "talks_on",
        "signed_on",
        "landed_on",
        "producing_on",
        "note",
    ]
    readonly_fields = ["stage", "signed_on", "landed_on", "producing_on"]
    actions = [
        service_action(
            _("Move the selected leads one stage on, today"),
            _advance_lead,
            done=_("%(count)s investment leads moved one stage on."),
            name="advance_lead",
        )
    ]
