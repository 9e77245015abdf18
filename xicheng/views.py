"""The kernel's pages: home, my work, tasks, targets, the audit trail, the health check."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.views.decorators.http import require_GET, require_POST

from xicheng import health
from xicheng.audit_trail import AuditSearchForm, events_page, history_models, history_page
from xicheng.dashboard import workbench
from xicheng.exports import overview_workbook
from xicheng.filters import TargetFilter, TaskFilter
from xicheng.forms import TaskUpdateForm, add_service_error
from xicheng.models import AuditEvent, Target, Task
from xicheng.overview import area_breakdown, build_overview, overview_as_dict, period_from, records_url
from xicheng.periods import Period
from xicheng.roles import Role, roles_of
from xicheng.scope import can_change
from xicheng.selectors import target_progress
from xicheng.services import audit_log, task_add_update

PAGE_SIZE = 50


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """For the load balancer and the monitoring: 200 when the database, the cache and the broker
    answer, 503 naming the part that does not. Plain HTTP is allowed (SECURE_REDIRECT_EXEMPT)."""
    healthy, checks = health.report()
    return JsonResponse({"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503)


def home(request: HttpRequest) -> HttpResponse:
    """Each role to its place: cadres to their work, leaders and the data admin to the dashboard,
    the auditor to the audit trail, the system admin to the accounts."""
    roles = roles_of(request.user)
    if Role.CADRE in roles:
        return redirect("my_work")
    if roles & {Role.LEADER, Role.DATA_ADMIN} or request.user.is_superuser:
        return redirect("dashboard")
    if Role.API_CLIENT in roles:
        return redirect("task_list")
    if Role.AUDITOR in roles:
        return redirect("audit_trail")
    if Role.SYSTEM_ADMIN in roles:
        return redirect("admin:auth_user_changelist")
    raise PermissionDenied


def as_of_param(request: HttpRequest) -> date:
    return parse_date(request.GET.get("as_of", "") or "") or timezone.localdate()


def my_work(request: HttpRequest) -> HttpResponse:
    """我的工作台: the open tasks this user answers for, and what each domain app puts here."""
    tasks = list(
        Task.objects.visible_to(request.user)
        .assigned_to(request.user)
        .open()
        .select_related("area", "work_line", "lead_leader__cadre", "responsible__cadre")
        .order_by("due_on", "pk")
    )
    panels = []
    for panel in workbench:
        context = panel.context(request)
        if context is not None:
            panels.append((panel, context))
    return render(
        request,
        "xicheng/my_work.html",
        {"tasks": tasks, "panels": panels, "today": timezone.localdate(), "statuses": Task.Status.choices},
    )


def task_list(request: HttpRequest) -> HttpResponse:
    base = Task.objects.visible_to(request.user).select_related(
        "area", "work_line", "lead_leader__cadre", "responsible__cadre"
    )
    filterset = TaskFilter(request.GET, queryset=base)
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "xicheng/task_list.html",
        {"filter": filterset, "page": page, "today": timezone.localdate(), "query": _query_without_page(request)},
    )


def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    task = get_object_or_404(
        Task.objects.visible_to(request.user).select_related(
            "area", "work_line", "lead_leader__cadre", "responsible__cadre", "target__indicator"
        ),
        pk=pk,
    )
    updates = task.updates.select_related("author__cadre")
    form = TaskUpdateForm(initial={"status": task.status, "version": task.version})
    return render(
        request,
        "xicheng/task_detail.html",
        {"task": task, "updates": updates, "form": form, "may_change": can_change(request.user, task)},
    )


@require_POST
def task_add_update_view(request: HttpRequest, pk: int) -> HttpResponse:
    task = get_object_or_404(Task.objects.visible_to(request.user), pk=pk)
    if not can_change(request.user, task):
        raise PermissionDenied
    form = TaskUpdateForm(request.POST)
    saved = False
    if form.is_valid():
        try:
            task_add_update(task=task, acting_user=request.user, **form.cleaned_data)
            saved = True
        except ValidationError as e:
            add_service_error(form, e)
    if request.htmx:  # type: ignore[attr-defined]
        task.refresh_from_db()
        fresh = TaskUpdateForm(initial={"status": task.status, "version": task.version}) if saved else form
        return render(request, "xicheng/_task_card.html", {"task": task, "form": fresh, "saved": saved})
    if saved:
        return redirect("task_detail", pk=task.pk)
    updates = task.updates.select_related("author__cadre")
    return render(
        request,
        "xicheng/task_detail.html",
        {"task": task, "updates": updates, "form": form, "may_change": True},
        status=400,
    )


def target_list(request: HttpRequest) -> HttpResponse:
    as_of = as_of_param(request)
    base = Target.objects.visible_to(request.user).select_related("indicator__work_line", "area")
    filterset = TargetFilter(request.GET, queryset=base)
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = target_progress(list(page.object_list), as_of)
    return render(
        request,
        "xicheng/target_list.html",
        {"filter": filterset, "page": page, "rows": rows, "as_of": as_of, "query": _query_without_page(request)},
    )


@permission_required("xicheng.view_audit_trail", raise_exception=True)
def audit_trail(request: HttpRequest) -> HttpResponse:
    """留痕: who did what, to whom or to which record, when and from where; read-only."""
    form = AuditSearchForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    models = history_models()
    chosen = data.get("model", "")
    context: dict[str, Any] = {"form": form, "chosen": chosen, "query": _query_without_page(request)}
    if chosen in models:
        context["model_label"] = models[chosen]._meta.verbose_name
        context["page"] = history_page(models[chosen], data, request.GET.get("page"))
    else:
        context["events"] = events_page(data, request.GET.get("page"))
    return render(request, "xicheng/audit_trail.html", context)


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


# The leaders' dashboard (领导驾驶舱) -----------------------------------------------------------


def _overview_request(request: HttpRequest) -> tuple[Period, date]:
    today = timezone.localdate()
    return period_from(request.GET, today), as_of_param(request)


def _period_choices(today: date) -> list[tuple[str, str]]:
    year = today.year
    choices = [(f"period=h1&year={y}", Period.half_year(y, 1).label) for y in (year - 1, year)]
    choices += [(f"period=h2&year={y}", Period.half_year(y, 2).label) for y in (year - 1, year)]
    choices += [(f"period=q{q}&year={year}", Period.quarter(year, q).label) for q in range(1, 5)]
    choices += [(f"period=m{m}&year={year}", Period.month(year, m).label) for m in range(1, today.month + 1)]
    choices.append((f"period=year&year={year}", Period.year(year).label))
    return sorted(set(choices), key=lambda c: c[0])


def dashboard_view(request: HttpRequest) -> HttpResponse:
    period, as_of = _overview_request(request)
    overview = build_overview(request.user, period, as_of)
    return render(
        request,
        "xicheng/dashboard.html",
        {
            "ov": overview,
            "trend_data": overview_as_dict(overview)["trends"],
            "query": request.GET.urlencode(),
            "period_choices": _period_choices(timezone.localdate()),
            "screen": False,
        },
    )


def dashboard_screen(request: HttpRequest) -> HttpResponse:
    """大屏: the overview full-screen for a meeting-room display; it reloads itself."""
    period, as_of = _overview_request(request)
    overview = build_overview(request.user, period, as_of)
    return render(
        request,
        "xicheng/dashboard_screen.html",
        {
            "ov": overview,
            "trend_data": overview_as_dict(overview)["trends"],
            "refresh_seconds": 300,
            "screen": True,
        },
    )


def dashboard_export(request: HttpRequest) -> HttpResponse:
    period, as_of = _overview_request(request)
    overview = build_overview(request.user, period, as_of)
    content = overview_workbook(overview)
    audit_log(
        user=request.user,
        action=AuditEvent.Action.EXPORT,
        subject=f"dashboard {period.start:%Y-%m-%d}..{period.end:%Y-%m-%d} as of {as_of:%Y-%m-%d}",
        request=request,
    )
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="xicheng-dashboard-{as_of:%Y%m%d}.xlsx"'
    return response


def dashboard_areas(request: HttpRequest, pk: int) -> HttpResponse:
    """Drill-down: a target's indicator by area, each level of the tree rolled up."""
    target = get_object_or_404(
        Target.objects.visible_to(request.user).select_related("indicator__work_line", "area"), pk=pk
    )
    as_of = as_of_param(request)
    row = target_progress([target], as_of)[0]
    return render(
        request,
        "xicheng/dashboard_areas.html",
        {
            "row": row,
            "as_of": as_of,
            "areas": area_breakdown(target, as_of),
            "records_url": records_url(target.indicator, target.area),
        },
    )
