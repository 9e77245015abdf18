"""Admin for data admins: every projects model, scoped, with inlines, search and Excel in and out."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin

from projects.models import Household, InvestmentLead, Milestone, Project, ProjectIssue, Squad
from projects.resources import HouseholdResource, InvestmentLeadResource
from projects.services import check_squad_people
from xicheng.admin import ImportExportAdmin, ScopedAdmin


class MilestoneInline(admin.TabularInline):
    model = Milestone
    fields = ["order", "name", "planned_start", "planned_end", "actual_start", "actual_end", "note"]
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


@admin.register(Milestone)
class MilestoneAdmin(ScopedAdmin):
    list_display = ["project", "order", "name", "planned_end", "actual_end"]
    list_filter = ["project"]
    search_fields = ["name", "project__name"]
    autocomplete_fields = ["project"]
    fields = ["project", "order", "name", "planned_start", "planned_end", "actual_start", "actual_end", "note"]


class SquadAdminForm(forms.ModelForm):  # type: ignore[type-arg]
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


@admin.register(ProjectIssue)
class ProjectIssueAdmin(ScopedAdmin):
    list_display = ["title", "project", "owner", "due_on", "status"]
    list_filter = ["project", "status"]
    search_fields = ["title", "resolution"]
    autocomplete_fields = ["project", "household", "owner"]
    fields = ["project", "household", "title", "owner", "due_on", "status", "resolution", "created_on", "resolved_on"]


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
