"""Governance pages: thin — scope the queryset, validate a form, call one service, respond."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from governance.filters import DisputeFilter, HazardFilter, InspectionFilter, MigrantFilter, RentalHouseFilter
from governance.forms import (
    DisputeForm,
    DisputeMoveForm,
    HazardFormSet,
    HouseSearchForm,
    InspectionForm,
    MigrantFormSet,
    MigrantSearchForm,
    RectifyForm,
    RentalHouseForm,
    ZeroReportForm,
)
from governance.models import Dispute, Hazard, Inspection, Migrant, RentalHouse, ZeroReport
from governance.selectors import villages_missing_report, villages_reported_by
from governance.services import (
    dispute_move,
    dispute_receive,
    hazard_rectify,
    hazard_rectify_undo,
    inspection_log,
    rental_house_create,
    zero_report_submit,
)
from xicheng.forms import add_service_error, form_page, submit_form
from xicheng.personal import exactly, reveal, reveal_rows, show_rows, shown
from xicheng.registers import list_context, page_of, render_list
from xicheng.scope import can_change
from xicheng.stage_faces import UndoForm, form_errors, one_tap

if TYPE_CHECKING:
    from xicheng.roles import AuthenticatedHttpRequest


def home(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    return render(
        request,
        "governance/home.html",
        {
            "today": today,
            "missing": villages_missing_report(request.user, today),
            "overdue": Hazard.objects.visible_to(request.user).overdue(today).count(),
        },
    )


# Rental houses ----------------------------------------------------------------------------------


def house_list(request: HttpRequest) -> HttpResponse:
    base = RentalHouse.objects.visible_to(request.user).select_related("area")
    return render_list(request, RentalHouseFilter(request.GET, queryset=base), "governance/house_list.html")


def house_detail(request: HttpRequest, pk: int) -> HttpResponse:
    house = get_object_or_404(RentalHouse.objects.visible_to(request.user).select_related("area"), pk=pk)
    migrants = list(house.migrants.order_by("-registered_on", "pk")[:100])
    # The landlord's phone is personal too: a whole one is a logged read even with no migrants.
    showing = bool(migrants) or bool(house.landlord_phone)
    whole = reveal(request.user, subject=f"rental house {house.pk} migrants", request=request, showing=showing)
    show_rows(migrants, ("id_number", "phone"), whole)
    return render(
        request,
        "governance/house_detail.html",
        {
            "house": house,
            "landlord_phone": shown(house, "landlord_phone", whole),
            "inspections": house.inspections.select_related("inspector__cadre")[:20],
            "hazards": house.hazards.order_by("-found_on", "pk")[:50],
            "migrants": migrants,
            "may_change": can_change(request.user, house),
            "today": timezone.localdate(),
        },
    )


def house_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A rental house not yet on the register, filed under an area the cadre serves."""
    form = RentalHouseForm(request.POST or None, user=request.user)
    return form_page(
        request,
        form,
        partial(rental_house_create, acting_user=request.user),
        perm="governance.add_rentalhouse",
        title=_("New rental house"),
        saved=lambda house: reverse("governance:house_detail", args=[house.pk]),
        message=_("Rental house saved."),
        back=reverse("governance:house_list"),
    )


# Inspections --------------------------------------------------------------------------------------

# How many houses the inspection's address search offers.
SEARCH_ROWS = 20


def inspection_start(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The way in from *my work*: the address first, then a tap on the house opens its inspection
    form. Only the houses the user may inspect are offered; typing narrows them as it goes (htmx)."""
    if not request.user.has_perm("governance.add_inspection"):
        raise PermissionDenied
    search = HouseSearchForm(request.GET)
    q = search.cleaned_data["q"].strip() if search.is_valid() else ""
    houses: list[RentalHouse] = []
    if q:
        houses = list(
            RentalHouse.objects.changeable_by(request.user)
            .filter(active=True, address__icontains=q)
            .select_related("area")
            .order_by("address", "pk")[:SEARCH_ROWS]
        )
    return render(request, "governance/inspection_start.html", {"search": search, "q": q, "houses": houses})


def inspection_new(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """One mobile form: the inspection, the hazards found and the migrants registered there."""
    house = get_object_or_404(RentalHouse.objects.visible_to(request.user).select_related("area"), pk=pk)
    if not (request.user.has_perm("governance.add_inspection") and can_change(request.user, house)):
        raise PermissionDenied
    if request.method == "POST":
        form = InspectionForm(request.POST)
        hazards = HazardFormSet(request.POST, prefix="hazards")
        migrants = MigrantFormSet(request.POST, prefix="migrants")
        if form.is_valid() and hazards.is_valid() and migrants.is_valid():
            try:
                inspection_log(
                    house=house,
                    acting_user=request.user,
                    hazards=[f.cleaned_data for f in hazards.forms if f.has_changed() and f.cleaned_data],
                    migrants=[f.cleaned_data for f in migrants.forms if f.has_changed() and f.cleaned_data],
                    **form.cleaned_data,
                )
            except ValidationError as e:
                add_service_error(form, e)
            else:
                messages.success(request, _("Inspection saved."))
                return redirect("governance:house_detail", pk=house.pk)
        status = 400
    else:
        form = InspectionForm()
        hazards = HazardFormSet(prefix="hazards")
        migrants = MigrantFormSet(prefix="migrants")
        status = 200
    return render(
        request,
        "governance/inspection_form.html",
        {"house": house, "form": form, "hazards": hazards, "migrants": migrants},
        status=status,
    )


def inspection_list(request: HttpRequest) -> HttpResponse:
    # The landlord's and the inspector's phones are not on the list: left unread, not decrypted.
    base = (
        Inspection.objects.visible_to(request.user)
        .select_related("house__area", "inspector__cadre")
        .defer("house__landlord_phone", "inspector__cadre__phone")
    )
    return render_list(request, InspectionFilter(request.GET, queryset=base), "governance/inspection_list.html")


# Migrants -----------------------------------------------------------------------------------------


def migrant_list(request: HttpRequest) -> HttpResponse:
    """The list, filtered by GET; an exact ID number search comes by POST so it stays out of URLs."""
    base = Migrant.objects.visible_to(request.user).select_related("house__area").defer("house__landlord_phone")
    search = MigrantSearchForm(request.POST or None)
    searched = False
    if request.method == "POST" and search.is_valid():
        base = exactly(base, "id_number", search.cleaned_data["id_number"])
        searched = True
    context = list_context(request, MigrantFilter(request.GET, queryset=base), personal=("id_number", "phone"))
    context.update(
        rows=context["page"].object_list, search=MigrantSearchForm() if searched else search, searched=searched
    )
    return render(request, "governance/migrant_list.html", context)


def migrant_duplicates(request: HttpRequest) -> HttpResponse:
    """Data quality: one person registered at two houses with overlapping stays."""
    base = (
        Migrant.objects.visible_to(request.user)
        .at_two_houses()
        .select_related("house__area")
        .order_by("id_number_index", "registered_on", "pk")
    )
    page = page_of(request, base)
    rows = list(page.object_list)
    reveal_rows(request, rows, ("id_number", "phone"), subject=f"migrant duplicates page {page.number}")
    return render(request, "governance/migrant_duplicates.html", {"page": page, "rows": rows, "query": ""})


# Hazards ------------------------------------------------------------------------------------------


def hazard_list(request: HttpRequest) -> HttpResponse:
    base = Hazard.objects.visible_to(request.user).select_related("area", "house").defer("house__landlord_phone")
    return render_list(
        request,
        HazardFilter(request.GET, queryset=base),
        "governance/hazard_list.html",
        today=timezone.localdate(),
        rectify_form=RectifyForm(),
    )


@require_POST
def hazard_rectify_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    hazard = get_object_or_404(Hazard.objects.visible_to(request.user).select_related("area", "house"), pk=pk)
    form = RectifyForm(request.POST)
    submit_form(request, hazard, form, partial(hazard_rectify, hazard=hazard, acting_user=request.user))
    error = " ".join(str(m) for errors in form.errors.values() for m in errors)
    if error:
        # Someone else may have rectified it meanwhile: show the row as it stands, with its version now.
        hazard.refresh_from_db()
    if request.htmx:
        return render(
            request,
            "governance/_hazard_row.html",
            {
                "hazard": hazard,
                "today": timezone.localdate(),
                "error": error,
                "saved": not error,
                "typed": request.POST.get("rectified_on", "") if error else "",
            },
            status=200 if not error else 400,
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Hazard marked rectified."))
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("governance:hazard_list")


@require_POST
def hazard_undo_rectify_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Undo a rectification just recorded: by the one who recorded it, within 10 minutes."""
    hazard = get_object_or_404(Hazard.objects.visible_to(request.user).select_related("area", "house"), pk=pk)
    form = UndoForm(request.POST)
    undone = submit_form(request, hazard, form, partial(hazard_rectify_undo, hazard=hazard, acting_user=request.user))
    error = " ".join(form_errors(form))
    if request.htmx:
        if error:
            hazard.refresh_from_db()
        context = {"hazard": hazard, "today": timezone.localdate(), "error": error, "undone": undone is not None}
        return render(request, "governance/_hazard_row.html", context, status=400 if error else 200)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Rectification undone."))
    return redirect("governance:hazard_list")


# Disputes -----------------------------------------------------------------------------------------


def dispute_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A dispute received: filed under an area the cadre serves, dated the day it came in."""
    form = DisputeForm(request.POST or None, user=request.user)
    return form_page(
        request,
        form,
        partial(dispute_receive, acting_user=request.user),
        perm="governance.add_dispute",
        title=_("Receive a dispute"),
        saved=lambda dispute: f"{reverse('governance:dispute_list')}#dispute-{dispute.pk}",
        message=_("Dispute received."),
        back=reverse("governance:dispute_list"),
    )


def dispute_list(request: HttpRequest) -> HttpResponse:
    base = Dispute.objects.visible_to(request.user).select_related("area", "mediator__cadre")
    return render_list(
        request, DisputeFilter(request.GET, queryset=base), "governance/dispute_list.html", today=timezone.localdate()
    )


@require_POST
def dispute_move_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    dispute = get_object_or_404(Dispute.objects.visible_to(request.user).select_related("area"), pk=pk)
    form = DisputeMoveForm(request.POST)
    if submit_form(request, dispute, form, partial(dispute_move, dispute=dispute, acting_user=request.user)):
        messages.success(request, _("Dispute moved to “%(status)s”.") % {"status": dispute.get_status_display()})
        # The list offers the undo of this step to the one who took it (stage_undo decides).
        return redirect(f"{reverse('governance:dispute_list')}?undo={dispute.pk}#dispute-{dispute.pk}")
    messages.error(request, " ".join(form_errors(form)))
    return redirect("governance:dispute_list")


@require_POST
def dispute_undo_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Undo the step just taken on a dispute: by the one who took it, within 10 minutes."""
    dispute = get_object_or_404(Dispute.objects.visible_to(request.user).select_related("area"), pk=pk)
    return one_tap(
        request,
        dispute,
        template="governance/dispute_list.html",
        context=dict,
        redirect_to="governance:dispute_list",
        undo=True,
    )


# Zero reports ------------------------------------------------------------------------------------


def zero_report_list(request: HttpRequest) -> HttpResponse:
    from governance.filters import ZeroReportFilter

    base = ZeroReport.objects.visible_to(request.user).select_related("village", "reported_by__cadre")
    return render_list(request, ZeroReportFilter(request.GET, queryset=base), "governance/zero_report_list.html")


def zero_report_missing(request: HttpRequest) -> HttpResponse:
    """Leaders' page: the villages that have not sent today's zero report."""
    today = timezone.localdate()
    return render(
        request,
        "governance/zero_report_missing.html",
        {"today": today, "missing": villages_missing_report(request.user, today)},
    )


@require_POST
def zero_report_submit_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The one tap on *my work*: today's report for one of the cadre's villages."""
    form = ZeroReportForm(request.POST)
    raw = str(form.data.get("village", ""))
    village = villages_reported_by(request.user).filter(pk=int(raw)).first() if raw.isdigit() else None
    if not form.is_valid() and village is None:
        messages.error(request, _("Choose a village and a number of incidents."))
        return redirect("my_work")
    if village is None:
        raise PermissionDenied
    report = None
    if form.is_valid():
        try:
            report = zero_report_submit(
                village=village,
                day=timezone.localdate(),
                incidents=form.cleaned_data["incidents"],
                note=form.cleaned_data["note"],
                acting_user=request.user,
            )
        except ValidationError as e:
            add_service_error(form, e)
    if request.htmx:
        # 我的填报's card answers in place: the report sent, or the message beside what was typed.
        context = {"village": village, "report": report, "form": form, "saved": report is not None}
        return render(request, "governance/_zero_report_card.html", context, status=200 if report else 400)
    if report is None:
        messages.error(request, " ".join(str(m) for errors in form.errors.values() for m in errors))
    else:
        messages.success(request, _("Today's report for %(village)s is sent.") % {"village": village.name})
    return redirect("my_updates" if request.POST.get("next") == "my_updates" else "my_work")
