"""FilterSets shared by the HTML lists and the API."""

from __future__ import annotations

from datetime import date
from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from projects.models import Household, HouseholdQuerySet, InvestmentLead, Milestone, Project, ProjectIssue, Squad
from xicheng.filters import DATE_RANGE, AreaWithinFilter, BooleanFilter, ConditionFilter, RowFilter, step_dates


def _request_user(filterset: django_filters.FilterSet) -> Any:
    request = getattr(filterset, "request", None)
    return getattr(request, "user", None)


class ProjectFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_q")
    category = django_filters.ChoiceFilter(choices=Project.Category.choices, label=_("Category"))
    status = django_filters.ChoiceFilter(choices=Project.Status.choices, label=_("Status"))
    area = AreaWithinFilter()

    class Meta:
        model = Project
        fields = ["q", "category", "status", "area"]

    def filter_q(self, qs: QuerySet[Project], name: str, value: str) -> QuerySet[Project]:
        return qs.filter(Q(name__icontains=value) | Q(responsible_unit__icontains=value)) if value else qs


class MilestoneFilter(django_filters.FilterSet):
    area = AreaWithinFilter(area_path="project__area", field_name="project__area")
    completed = django_filters.DateFromToRangeFilter(field_name="actual_end", label=_("Completed"), widget=DATE_RANGE)
    planned_end = django_filters.DateFromToRangeFilter(label=_("Planned end"), widget=DATE_RANGE)
    overdue_on = django_filters.DateFilter(label=_("Overdue on"), method="filter_overdue_on")

    class Meta:
        model = Milestone
        fields = ["project", "area", "completed", "planned_end", "overdue_on"]

    def filter_overdue_on(self, qs: QuerySet[Milestone], name: str, value: date | None) -> QuerySet[Milestone]:
        return qs.filter(Milestone.overdue_q(value)) if value else qs


class HouseholdFilter(django_filters.FilterSet):
    id = RowFilter()
    q = django_filters.CharFilter(label=_("Address or owner"), method="filter_q")
    project = django_filters.ModelChoiceFilter(queryset=Project.objects.none(), label=_("Project"))
    squad = django_filters.ModelChoiceFilter(queryset=Squad.objects.none(), label=_("Squad"))
    status = django_filters.ChoiceFilter(choices=Household.Status.choices, label=_("Status"))
    problem = django_filters.ChoiceFilter(
        label=_("Problem"),
        method="filter_problem",
        choices=[
            ("title", _("Property title")),
            ("loan", _("Loan transfer")),
            ("other", _("Other")),
            ("any", _("Any")),
        ],
    )
    area = AreaWithinFilter()
    mine = BooleanFilter(label=_("My squads only"), method="filter_mine")
    evaluated = step_dates(Household.stages, "evaluated")
    signed = step_dates(Household.stages, "signed")
    vacated = step_dates(Household.stages, "vacated")
    demolished = step_dates(Household.stages, "demolished")

    class Meta:
        model = Household
        fields = [
            *("id", "q", "project", "squad", "status", "problem", "area", "mine"),
            *("evaluated", "signed", "vacated", "demolished"),
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user = _request_user(self)
        if user is not None:
            self.filters["project"].queryset = Project.objects.visible_to(user)
            self.filters["squad"].queryset = Squad.objects.visible_to(user)

    def filter_q(self, qs: QuerySet[Household], name: str, value: str) -> QuerySet[Household]:
        return qs.filter(Q(address__icontains=value) | Q(owner_name=value)) if value else qs

    def filter_mine(self, qs: HouseholdQuerySet, name: str, value: bool | None) -> QuerySet[Household]:
        user = _request_user(self)
        return qs.of_squads_of(user) if value and user is not None else qs

    def filter_problem(self, qs: QuerySet[Household], name: str, value: str) -> QuerySet[Household]:
        flags = {"title": Q(problem_title=True), "loan": Q(problem_loan=True), "other": Q(problem_other=True)}
        if value == "any":
            return qs.filter(flags["title"] | flags["loan"] | flags["other"])
        return qs.filter(flags[value]) if value in flags else qs


class SquadFilter(django_filters.FilterSet):
    class Meta:
        model = Squad
        fields = ["project"]


class ProjectIssueFilter(django_filters.FilterSet):
    id = RowFilter()
    project = django_filters.ModelChoiceFilter(queryset=Project.objects.none(), label=_("Project"))
    status = django_filters.ChoiceFilter(choices=ProjectIssue.Status.choices, label=_("Status"))
    open = ConditionFilter(lambda: ~Q(status=ProjectIssue.Status.RESOLVED), label=_("Open"))
    area = AreaWithinFilter(area_path="project__area", field_name="project__area")
    resolved = django_filters.DateFromToRangeFilter(field_name="resolved_on", label=_("Resolved"), widget=DATE_RANGE)

    class Meta:
        model = ProjectIssue
        fields = ["id", "project", "status", "open", "area", "resolved"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user = _request_user(self)
        if user is not None:
            self.filters["project"].queryset = Project.objects.visible_to(user)


class InvestmentLeadFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Company"), field_name="company", lookup_expr="icontains")
    industry = django_filters.ChoiceFilter(choices=InvestmentLead.Industry.choices, label=_("Industry"))
    stage = django_filters.ChoiceFilter(choices=InvestmentLead.Stage.choices, label=_("Stage"))
    area = AreaWithinFilter()
    landed = step_dates(InvestmentLead.stages, "landed")

    class Meta:
        model = InvestmentLead
        fields = ["q", "industry", "stage", "area", "landed"]
