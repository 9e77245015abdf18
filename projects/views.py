"""The cadre pages of key projects: projects, households, issues, investment leads."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from projects.filters import HouseholdFilter, InvestmentLeadFilter, ProjectFilter, ProjectIssueFilter
from projects.forms import IssueStatusForm
from projects.models import Household, InvestmentLead, Project, ProjectIssue, Squad
from projects.selectors import funnel_of, funnels_by_project, squad_ranking, stages_by_project
from projects.services import issue_set_status
from xicheng.forms import submit_form
from xicheng.natural import NaturalKey
from xicheng.personal import reveal
from xicheng.registers import list_context, render_list
from xicheng.scope import changeable_ids
from xicheng.views import answers_bad_params, as_of_param

if TYPE_CHECKING:
    from xicheng.roles import AuthenticatedHttpRequest


def households_for_cards(qs: QuerySet[Household]) -> QuerySet[Household]:
    return qs.select_related("project", "squad", "area")


@answers_bad_params
def project_list(request: HttpRequest) -> HttpResponse:
    as_of = as_of_param(request)
    base = Project.objects.visible_to(request.user).select_related("area", "lead_leader__cadre")
    context = list_context(request, ProjectFilter(request.GET, queryset=base, request=request))
    projects = list(context["page"].object_list)
    stages = stages_by_project(projects, as_of)
    funnels = funnels_by_project(Household.objects.filter(project__in=[p.pk for p in projects]), as_of)
    rows = [{"project": p, "stages": stages[p.pk], "funnel": funnels.get(p.pk)} for p in projects]
    context.update(rows=rows, as_of=as_of)
    return render(request, "projects/project_list.html", context)


@answers_bad_params
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A project: its stages as a timeline, the household funnel, the squad ranking and its issues.

    The funnel and ranking count every household of the project: they are the project's figures."""
    as_of = as_of_param(request)
    project = get_object_or_404(
        Project.objects.visible_to(request.user).select_related("area", "lead_leader__cadre"), pk=pk
    )
    stages = stages_by_project([project], as_of)[project.pk]
    households = Household.objects.filter(project=project)
    funnel = funnel_of(households, as_of)
    ranking = squad_ranking(Squad.objects.filter(project=project), households, as_of)
    issues = list(
        ProjectIssue.objects.visible_to(request.user)
        .filter(project=project)
        .exclude(status=ProjectIssue.Status.RESOLVED)
        .select_related("owner__cadre")
        .order_by("due_on", "pk")[: settings.PAGE_SIZE]
    )
    return render(
        request,
        "projects/project_detail.html",
        {
            "project": project,
            "stages": stages,
            "funnel": funnel,
            "ranking": ranking,
            "issues": issues,
            "as_of": as_of,
            "today": timezone.localdate(),
        },
    )


def household_list(request: HttpRequest) -> HttpResponse:
    # House numbers in natural order: 10区1号, 10区2号 … 10区19号.
    base = households_in_scope(request).order_by("project", NaturalKey("address"), "pk")
    context = list_context(request, HouseholdFilter(request.GET, queryset=base, request=request))
    households = list(context["page"].object_list)
    context.update(
        households=households,
        changeable=changeable_ids(request.user, Household, [h.pk for h in households]),
        sees_personal=_sees_personal(request, households),
    )
    return render(request, "projects/household_list.html", context)


def _sees_personal(request: HttpRequest, households: list[Household]) -> bool:
    """Owners' names unmasked for those holding the right; each such view is logged."""
    subject = f"households: {request.get_full_path()}"
    return reveal(request.user, subject=subject, request=request, showing=bool(households))


def household_card(request: HttpRequest, household: Household) -> dict[str, Any]:
    """What a household's card reads after a one-tap step (projects.urls: step_routes)."""
    return {"household": household, "sees_personal": _sees_personal(request, [household])}


def households_in_scope(request: HttpRequest) -> QuerySet[Household]:
    return households_for_cards(Household.objects.visible_to(request.user))


def issue_list(request: HttpRequest) -> HttpResponse:
    base = ProjectIssue.objects.visible_to(request.user).select_related("project", "owner__cadre", "household")
    context = list_context(request, ProjectIssueFilter(request.GET, queryset=base, request=request))
    issues = list(context["page"].object_list)
    context.update(
        issues=issues,
        changeable=changeable_ids(request.user, ProjectIssue, [i.pk for i in issues]),
        today=timezone.localdate(),
        statuses=ProjectIssue.Status.choices,
    )
    return render(request, "projects/issue_list.html", context)


@require_POST
def issue_status(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    base = ProjectIssue.objects.visible_to(request.user).select_related("project", "owner__cadre", "household")
    issue = get_object_or_404(base, pk=pk)
    form = IssueStatusForm(request.POST)
    saved = (
        submit_form(request, issue, form, partial(issue_set_status, issue=issue, acting_user=request.user)) is not None
    )
    if not request.htmx:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("projects:issue_list")
    if saved:
        issue.refresh_from_db()
    context = {
        "issue": issue,
        "may_change": True,
        "form": form,
        "saved": saved,
        "today": timezone.localdate(),
        "statuses": ProjectIssue.Status.choices,
    }
    return render(request, "projects/_issue_card.html", context)


def lead_list(request: HttpRequest) -> HttpResponse:
    base = InvestmentLead.objects.visible_to(request.user).select_related("area", "owner__cadre")
    return render_list(
        request, InvestmentLeadFilter(request.GET, queryset=base, request=request), "projects/lead_list.html"
    )
