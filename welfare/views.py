"""The cadre pages of the livelihood domain: the day sheet, elders, deliveries, safety checks."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from welfare.filters import ElderFilter, MealDeliveryFilter, MealReceiptFilter, SafetyCheckFilter, ServedVillageFilter
from welfare.forms import ElderEnrolForm, ElderLeaveForm, SafetyCheckResolveForm, parse_sheet
from welfare.models import CareCenter, Elder, MealDelivery, MealReceipt, SafetyCheck, ServedVillage
from welfare.selectors import day_sheet, name_shown_to, safety_check_cards
from welfare.services import (
    VillageSheet,
    day_sheet_save,
    elder_enrol,
    elder_leave,
    may_run_sheet,
    safety_check_resolve,
)
from xicheng.forms import add_service_error, submit_form
from xicheng.params import ParamError, read_path_day
from xicheng.personal import reveal, shown
from xicheng.registers import list_context, render_list
from xicheng.scope import can_change
from xicheng.services import Conflict
from xicheng.views import bad_params_page

if TYPE_CHECKING:
    from xicheng.roles import AuthenticatedHttpRequest


def center_list(request: HttpRequest) -> HttpResponse:
    centers = list(CareCenter.objects.visible_to(request.user).select_related("area").order_by("name"))
    runnable = set(CareCenter.objects.changeable_by(request.user).values_list("pk", flat=True))
    return render(
        request,
        "welfare/center_list.html",
        {"centers": centers, "runnable": runnable, "today": timezone.localdate()},
    )


def sheet_today(request: HttpRequest, pk: int) -> HttpResponse:
    center = get_object_or_404(CareCenter.objects.visible_to(request.user), pk=pk)
    return redirect("welfare:sheet", pk=center.pk, day=timezone.localdate().isoformat())


def sheet(request: AuthenticatedHttpRequest, pk: int, day: str) -> HttpResponse:
    """The day's delivery sheet: every served village, each enrolled elder, saved in one submit."""
    center = get_object_or_404(CareCenter.objects.visible_to(request.user).select_related("area"), pk=pk)
    try:
        on = read_path_day(day)
    except ParamError as error:
        today_url = reverse("welfare:sheet_today", args=[center.pk])
        return bad_params_page(request, error, retry_url=today_url, retry_label=_("Today's sheet"))
    may_change = may_run_sheet(request.user, center)
    errors: list[str] = []
    posted: dict[int, VillageSheet] = {}
    if request.method == "POST":
        if not may_change:
            raise PermissionDenied
        rows = parse_sheet(request.POST)
        posted = {row.village_id: row for row in rows}
        try:
            result = day_sheet_save(center=center, day=on, villages=rows, acting_user=request.user)
        except Conflict as e:
            errors = e.messages
        except ValidationError as e:
            errors = [_("Nothing was saved."), *e.messages]
        else:
            request.session["welfare_sheet_saved"] = len(result.checks_raised)
            return redirect("welfare:sheet", pk=center.pk, day=on.isoformat())
    blocks = day_sheet(center, on, request.user, may_change)
    if posted:
        # Show what the courier tapped, not what was saved, so a refused sheet can be mended.
        for block in blocks:
            sent = posted.get(block.village.pk)
            if sent is None:
                continue
            block.delivered_at, block.courier, block.note = sent.delivered_at, sent.courier, sent.note
            for row in block.rows:
                row.outcome = sent.outcomes.get(row.elder.pk, row.outcome)
    checks_raised = request.session.pop("welfare_sheet_saved", None)
    return render(
        request,
        "welfare/sheet.html",
        {
            "center": center,
            "day": on,
            "blocks": blocks,
            "may_change": may_change and on <= timezone.localdate(),
            "errors": errors,
            "saved": checks_raised is not None,
            "checks_raised": checks_raised or 0,
            "outcomes": MealReceipt.Outcome.choices,
            "meals": sum(len(b.rows) for b in blocks),
            "is_today": on == timezone.localdate(),
            "previous_day": (on - timedelta(days=1)).isoformat(),
        },
        status=400 if errors else 200,
    )


def elder_list(request: HttpRequest) -> HttpResponse:
    base = Elder.objects.visible_to(request.user).select_related("village")
    context = list_context(request, ElderFilter(request.GET, queryset=base))
    shown = name_shown_to(request.user)
    today = timezone.localdate()
    context.update(
        rows=[(elder, shown(elder, elder.village), elder.is_enrolled(today)) for elder in context["page"].object_list],
        may_enrol=request.user.has_perm("welfare.add_elder"),
    )
    return render(request, "welfare/elder_list.html", context)


def elder_detail(request: HttpRequest, pk: int) -> HttpResponse:
    elder = get_object_or_404(Elder.objects.visible_to(request.user).select_related("village"), pk=pk)
    unmasked = reveal(
        request.user,
        subject=f"welfare.elder:{elder.pk}",
        request=request,
        showing=bool(elder.phone or elder.emergency_contact),
    )
    may_change = can_change(request.user, elder)
    return render(
        request,
        "welfare/elder_detail.html",
        {
            "elder": elder,
            "name": name_shown_to(request.user)(elder, elder.village),
            "phone": shown(elder, "phone", unmasked),
            "emergency_contact": shown(elder, "emergency_contact", unmasked),
            "may_change": may_change,
            "leave_form": ElderLeaveForm(initial={"left_on": timezone.localdate(), "version": elder.version}),
            "checks": elder.safety_checks.order_by("-day")[:10],
        },
    )


def elder_enrol_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not request.user.has_perm("welfare.add_elder"):
        raise PermissionDenied
    form = ElderEnrolForm(request.POST or None, user=request.user, initial={"enrolled_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            elder = elder_enrol(acting_user=request.user, **form.cleaned_data)
        except ValidationError as e:
            add_service_error(form, e)
        else:
            return redirect("welfare:elder_detail", pk=elder.pk)
    return render(request, "welfare/elder_form.html", {"form": form}, status=400 if form.errors else 200)


@require_POST
def elder_leave_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    elder = get_object_or_404(Elder.objects.visible_to(request.user), pk=pk)
    form = ElderLeaveForm(request.POST)
    submit_form(request, elder, form, partial(elder_leave, elder=elder, acting_user=request.user))
    if form.errors:
        return render(request, "welfare/elder_form.html", {"form": form, "leaving": elder}, status=400)
    return redirect("welfare:elder_detail", pk=elder.pk)


def delivery_list(request: HttpRequest) -> HttpResponse:
    base = MealDelivery.objects.visible_to(request.user).select_related("center", "village")
    return render_list(request, MealDeliveryFilter(request.GET, queryset=base), "welfare/delivery_list.html")


def served_village_list(request: HttpRequest) -> HttpResponse:
    """The villages each centre serves: what the villages-served figure opens."""
    base = ServedVillage.objects.visible_to(request.user).select_related("center", "village")
    return render_list(request, ServedVillageFilter(request.GET, queryset=base), "welfare/served_village_list.html")


def receipt_list(request: HttpRequest) -> HttpResponse:
    """Meals one by one (who received them is on the day's sheet): what the meals figure opens."""
    base = MealReceipt.objects.visible_to(request.user).select_related("delivery__center", "delivery__village")
    # Delivery by delivery, each one's elders in turn (one receipt per elder and delivery): the order
    # of the deliveries' index (day, id), which a page reads without sorting a centre's whole year.
    base = base.order_by("delivery__day", "delivery_id", "elder_id")
    return render_list(request, MealReceiptFilter(request.GET, queryset=base), "welfare/receipt_list.html")


def safety_check_list(request: HttpRequest) -> HttpResponse:
    """Safety checks for leaders and cadres; open ones first, oldest first. The bare page shows
    the open ones; a link that filters (a figure's rows, one check) shows what it asks for."""
    data = request.GET.copy()
    if not set(data) & set(SafetyCheckFilter.base_filters):
        data["open"] = "true"
    base = SafetyCheck.objects.visible_to(request.user).select_related("elder__village", "resolved_by__cadre")
    context = list_context(request, SafetyCheckFilter(data, queryset=base.order_by("-resolved_at", "day", "pk")))
    context["cards"] = safety_check_cards(request.user, list(context["page"].object_list))
    return render(request, "welfare/safety_check_list.html", context)


@require_POST
def safety_check_resolve_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    check = get_object_or_404(
        SafetyCheck.objects.visible_to(request.user).select_related("elder__village"),
        pk=pk,
    )
    form = SafetyCheckResolveForm(request.POST)
    resolved = submit_form(request, check, form, partial(safety_check_resolve, check=check, acting_user=request.user))
    card = safety_check_cards(request.user, [resolved or check])[0]
    card["form"] = form if form.errors else card["form"]
    card["saved"] = not form.errors
    status = 400 if form.errors else 200
    if request.htmx:
        return render(request, "welfare/_safety_check_card.html", card, status=status)
    if form.errors:
        return render(request, "welfare/safety_check_list.html", {"cards": [card], "page": None}, status=status)
    return redirect("welfare:safety_check_list")
