"""The kernel's pages: home, my work, tasks, targets, the audit trail, the health check."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial, wraps
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from xicheng import health
from xicheng.audit_trail import AuditSearchForm, events_page, history_models, history_page
from xicheng.dashboard import screen_panels, workbench
from xicheng.exports import overview_workbook
from xicheng.filters import ManualReadingFilter, TargetFilter, TaskFilter
from xicheng.forms import ManualReadingForm, TaskUpdateForm, add_service_error, submit_form
from xicheng.models import Area, AuditEvent, ManualReading, Target, Task
from xicheng.overview import area_breakdown, build_overview, records_url, trends_as_data
from xicheng.params import DateParams, ParamError, read_as_of, read_dates
from xicheng.periods import Period
from xicheng.registers import list_context, query_without_page, render_list
from xicheng.roles import Role, roles_of
from xicheng.scope import areas_offered_to, can_change
from xicheng.selectors import reading_cards, target_progress
from xicheng.services import audit_log, manual_reading_add, task_add_update
from xicheng.supervision.selectors import my_work_cases

if TYPE_CHECKING:
    from xicheng.roles import AuthenticatedHttpRequest


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
    # The installation's superuser holds the data admin's role (roles_of), so lands here too.
    if roles & {Role.LEADER, Role.DATA_ADMIN}:
        return redirect("dashboard")
    if Role.API_CLIENT in roles:
        return redirect("task_list")
    if Role.AUDITOR in roles:
        return redirect("audit_trail")
    if Role.SYSTEM_ADMIN in roles:
        return redirect("admin:auth_user_changelist")
    raise PermissionDenied


def as_of_param(request: HttpRequest) -> date:
    """The page's `as_of` (today by default); a bad one raises ParamError, which the
    `answers_bad_params` decorator turns into the page's 400."""
    return read_as_of(request.GET)


View = TypeVar("View", bound=Callable[..., HttpResponse])


def bad_params_page(
    request: HttpRequest, error: ParamError, retry_url: str | None = None, retry_label: str | None = None
) -> HttpResponse:
    """A page asked with parameters it cannot read: say which and why, in the user's language, and
    offer the same page without them."""
    if retry_url is None:
        query = request.GET.copy()
        for name in error.errors:
            query.pop(name, None)
        retry_url = request.path + (f"?{query.urlencode()}" if query else "")
    context = {"errors": error.messages, "retry_url": retry_url, "retry_label": retry_label}
    return render(request, "bad_params.html", context, status=400)


def answers_bad_params(view: View) -> View:
    """Pages that read dates answer a bad one with a 400 page naming it, never a 500 and never the
    default period in its place."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except ParamError as error:
            return bad_params_page(request, error)

    return cast(View, wrapper)  # `wraps` keeps the view's name; its signature is the view's too


def _my_open_tasks(request: AuthenticatedHttpRequest) -> list[Task]:
    return list(
        Task.objects.visible_to(request.user)
        .assigned_to(request.user)
        .open()
        .with_last_note()
        .select_related("area", "work_line", "lead_leader__cadre", "responsible__cadre")
        .order_by("due_on", "pk")
    )


def _workbench_panels(request: AuthenticatedHttpRequest) -> list[tuple[Any, dict[str, Any]]]:
    panels = []
    for panel in workbench:
        context = panel.context(request)
        if context is not None:
            panels.append((panel, context))
    return panels


def my_work(request: AuthenticatedHttpRequest) -> HttpResponse:
    """我的工作台: the open tasks this user answers for, and what each domain app puts here."""
    return render(
        request,
        "xicheng/my_work.html",
        {
            # 督办 first: the cases waiting for her 签收, then those in hand.
            "cases": my_work_cases(request.user),
            "tasks": _my_open_tasks(request),
            "panels": _workbench_panels(request),
            "today": timezone.localdate(),
            "statuses": Task.Status.choices,
        },
    )


def my_updates(request: AuthenticatedHttpRequest) -> HttpResponse:
    """我的填报: everything the cadre owes on one phone page — progress notes on her tasks, the
    readings of the manual indicators she owns, and what each domain app asks of her (today's
    zero report, open safety checks, overdue hazards). Each card saves on its own (htmx), and
    "save all" sends every card that holds something typed."""
    today = timezone.localdate()
    cards = reading_cards(request.user, today)
    for card in cards:
        card.form = ManualReadingForm(
            user=request.user, initial={"indicator": card.indicator.pk, "area": card.area.pk, "on": today}
        )
    return render(
        request,
        "xicheng/my_updates.html",
        {"tasks": _my_open_tasks(request), "readings": cards, "panels": _workbench_panels(request), "today": today},
    )


@require_POST
def manual_reading_add_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A reading typed on 我的填报: the card again, with the reading saved or the message beside
    what was typed."""
    if not request.user.has_perm("xicheng.add_manualreading"):
        raise PermissionDenied
    today = timezone.localdate()
    form = ManualReadingForm(request.POST, user=request.user)
    saved = None
    if form.is_valid():
        try:
            saved = manual_reading_add(acting_user=request.user, **form.cleaned_data)
        except ValidationError as e:
            add_service_error(form, e)
    indicator, area = form.cleaned_data.get("indicator"), form.cleaned_data.get("area")
    if indicator is None or area is None:
        messages = [m for errors in form.errors.values() for m in errors]
        return render(request, "bad_params.html", {"errors": messages, "retry_url": reverse("my_updates")}, status=400)
    card = reading_cards(request.user, today, only=(indicator.pk, area.pk))[0]
    card.saved = saved is not None
    card.form = form
    if saved is not None:
        card.form = ManualReadingForm(
            user=request.user, initial={"indicator": indicator.pk, "area": area.pk, "on": today}
        )
    if request.htmx:
        return render(
            request, "xicheng/_reading_card.html", {"card": card, "today": today}, status=200 if saved else 400
        )
    if saved is None:
        return render(
            request,
            "xicheng/my_updates.html",
            {"tasks": [], "readings": [card], "panels": [], "today": today},
            status=400,
        )
    return redirect("my_updates")


AREA_SUGGESTIONS = 20


@require_GET
def area_search(request: HttpRequest) -> JsonResponse:
    """The areas whose name holds `q`, within the user's own subtree (`areas_offered_to`): the
    suggestions of a list's area filter, each labelled with the area above it to tell apart the
    many "第一网格"."""
    term = request.GET.get("q", "").strip()[:50]
    if not term:
        return JsonResponse({"results": []})
    areas = list(
        areas_offered_to(request.user)
        .filter(name__icontains=term)
        .order_by("path")
        .only("pk", "name", "path", "depth")[:AREA_SUGGESTIONS]
    )
    parents = dict(
        Area.objects.filter(path__in={area.parent_path for area in areas if area.depth > 1}).values_list("path", "name")
    )
    results = []
    for area in areas:
        parent = parents.get(area.parent_path)
        label = f"{area.name}（{parent}）" if parent else area.name
        results.append({"id": area.pk, "label": label})
    return JsonResponse({"results": results})


def task_list(request: HttpRequest) -> HttpResponse:
    base = Task.objects.visible_to(request.user).select_related(
        "area", "work_line", "lead_leader__cadre", "responsible__cadre"
    )
    return render_list(
        request, TaskFilter(request.GET, queryset=base), "xicheng/task_list.html", today=timezone.localdate()
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
def task_add_update_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    task = get_object_or_404(Task.objects.visible_to(request.user), pk=pk)
    form = TaskUpdateForm(request.POST)
    saved = submit_form(request, task, form, partial(task_add_update, task=task, acting_user=request.user)) is not None
    if request.htmx:
        # The card as it stands now (its status, version, last note), with the form emptied after a
        # save, or holding what was typed beside the message (and the version now, after a conflict).
        task = Task.objects.with_last_note().select_related("area", "work_line").get(pk=task.pk)
        fresh = TaskUpdateForm(initial={"status": task.status, "version": task.version}) if saved else form
        context = {"task": task, "form": fresh, "saved": saved, "today": timezone.localdate()}
        return render(request, "xicheng/_task_card.html", context, status=200 if saved else 400)
    if saved:
        return redirect("task_detail", pk=task.pk)
    updates = task.updates.select_related("author__cadre")
    return render(
        request,
        "xicheng/task_detail.html",
        {"task": task, "updates": updates, "form": form, "may_change": True},
        status=400,
    )


@answers_bad_params
def target_list(request: HttpRequest) -> HttpResponse:
    as_of = as_of_param(request)
    base = Target.objects.visible_to(request.user).select_related("indicator__work_line", "area")
    context = list_context(request, TargetFilter(request.GET, queryset=base))
    context.update(rows=target_progress(list(context["page"].object_list), as_of), as_of=as_of)
    return render(request, "xicheng/target_list.html", context)


def reading_list(request: HttpRequest) -> HttpResponse:
    """Figures entered by hand: what a manual indicator's figure adds up (read-only here)."""
    base = ManualReading.objects.visible_to(request.user).select_related("indicator", "area", "entered_by__cadre")
    return render_list(request, ManualReadingFilter(request.GET, queryset=base), "xicheng/reading_list.html")


@permission_required("xicheng.view_audit_trail", raise_exception=True)
def audit_trail(request: HttpRequest) -> HttpResponse:
    """留痕: who did what, to whom or to which record, when and from where; read-only."""
    form = AuditSearchForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    models = history_models()
    chosen = data.get("model", "")
    context: dict[str, Any] = {"form": form, "chosen": chosen, "query": query_without_page(request)}
    if chosen in models:
        context["model_label"] = models[chosen]._meta.verbose_name
        context["page"] = history_page(models[chosen], data, request.GET.get("page"))
    else:
        context["events"] = events_page(data, request.GET.get("page"))
    return render(request, "xicheng/audit_trail.html", context)


# The leaders' dashboard (领导驾驶舱) -----------------------------------------------------------


def _overview_request(request: HttpRequest) -> DateParams:
    return read_dates(request.GET, timezone.localdate())


def _period_choices(today: date) -> list[tuple[str, str]]:
    year = today.year
    choices = [(f"period=h1&year={y}", Period.half_year(y, 1)) for y in (year - 1, year)]
    choices += [(f"period=h2&year={y}", Period.half_year(y, 2)) for y in (year - 1, year)]
    choices += [(f"period=q{q}&year={year}", Period.quarter(year, q)) for q in range(1, 5)]
    choices += [(f"period=m{m}&year={year}", Period.month(year, m)) for m in range(1, today.month + 1)]
    choices.append((f"period=year&year={year}", Period.year(year)))
    # Calendar order: earliest start first, and the longer period before the shorter it contains
    # (2025上半年, 2025下半年, 2026全年, 2026上半年, 2026一季度, 2026年01月 …).
    ordered = sorted(dict(choices).items(), key=lambda c: (c[1].start, -c[1].end.toordinal()))
    return [(query, period.label) for query, period in ordered]


def dashboard_view(request: HttpRequest) -> HttpResponse:
    context: dict[str, Any] = {
        "query": request.GET.urlencode(),
        "period_choices": _period_choices(timezone.localdate()),
        "screen": False,
    }
    try:
        asked = _overview_request(request)
    except ParamError as error:
        # The controls stay, holding what was typed, so the leader can mend the date in place.
        context.update(errors=error.messages, asked=request.GET)
        return render(request, "xicheng/dashboard.html", context, status=400)
    overview = build_overview(request.user, asked.period, asked.as_of)
    context.update(ov=overview, trend_data=trends_as_data(overview))
    return render(request, "xicheng/dashboard.html", context)


@answers_bad_params
def dashboard_screen(request: HttpRequest) -> HttpResponse:
    """大屏: the overview full-screen for a meeting-room display; it reloads itself."""
    asked = _overview_request(request)
    overview = build_overview(request.user, asked.period, asked.as_of)
    # The panels registered for the wall (xicheng.dashboard.screen_panels), each read from the overview.
    panels = [(panel.template, panel.context(overview)) for panel in screen_panels]
    return render(
        request,
        "xicheng/dashboard_screen.html",
        {
            "ov": overview,
            "trend_data": trends_as_data(overview),
            "refresh_seconds": 300,
            "screen": True,
            "screen_panels": [(template, data) for template, data in panels if data is not None],
        },
    )


@answers_bad_params
def dashboard_export(request: HttpRequest) -> HttpResponse:
    asked = _overview_request(request)
    period, as_of = asked.period, asked.as_of
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


@answers_bad_params
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
            "records_url": records_url(target.indicator, row.period, as_of, target.area),
        },
    )
