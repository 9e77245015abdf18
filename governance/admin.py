"""Admin for data admins: search, filters, inlines, Excel import and export, all scoped."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from governance.models import Dispute, Hazard, Inspection, Migrant, RentalHouse, ZeroReport
from governance.resources import MigrantResource, RentalHouseResource
from governance.services import hazard_rectify, migrant_check, migrant_edit, migrant_register
from governance.validators import normalise_id_number
from xicheng import clock
from xicheng.admin import ImportExportAdmin, ReadOnlyInline, ScopedAdmin
from xicheng.admin_actions import service_action
from xicheng.forms import add_service_error
from xicheng.personal import exactly, masked_column, may_see_personal_data, reveal

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from xicheng.roles import AuthenticatedHttpRequest


class _ReadOnlyInline(ReadOnlyInline):
    show_change_link = True

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class InspectionInline(_ReadOnlyInline):
    model = Inspection
    fields = ["inspected_on", "inspector", "note"]


class HazardInline(_ReadOnlyInline):
    model = Hazard
    fk_name = "house"
    fields = ["category", "description", "found_on", "deadline", "rectified_on"]


class InspectionHazardInline(HazardInline):
    fk_name = "inspection"


class MigrantInline(_ReadOnlyInline):
    model = Migrant
    fields = ["name", "masked_id", "origin", "registered_on", "left_on"]
    masked_id = masked_column("id_number", _("ID number"))


@admin.register(RentalHouse)
class RentalHouseAdmin(ImportExportAdmin):
    resource_classes = [RentalHouseResource]
    list_display = ["address", "area", "landlord", "masked_phone", "rooms", "active"]
    list_filter = ["active"]
    search_fields = ["address", "landlord", "area__name"]
    autocomplete_fields = ["area"]
    fields = ["area", "address", "landlord", "landlord_phone", "rooms", "active"]
    inlines = [InspectionInline, HazardInline, MigrantInline]
    masked_phone = masked_column("landlord_phone", _("landlord phone"))


@admin.register(Inspection)
class InspectionAdmin(ScopedAdmin):
    list_display = ["house", "inspected_on", "inspector"]
    date_hierarchy = "inspected_on"
    search_fields = ["house__address", "note"]
    autocomplete_fields = ["house", "inspector"]
    fields = [
        "house",
        "inspected_on",
        "with_street",
        "with_police",
        "with_enforcement",
        "with_village",
        "with_party",
        "with_grid",
        "inspector",
        "note",
    ]
    inlines = [InspectionHazardInline]


MIGRANT_FIELDS = ("house", "name", "id_number", "phone", "origin", "registered_on", "left_on")


class MigrantAdminForm(forms.ModelForm):
    """Judged by the services' own rules (migrant_check): the ID number, its index, duplicates."""

    class Meta:
        model = Migrant
        fields = list(MIGRANT_FIELDS)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # Fields the user may not see (the ID number, the phone) keep the values stored.
        values: dict[str, Any] = {name: data.get(name, getattr(self.instance, name, None)) for name in MIGRANT_FIELDS}
        if self.errors or values["house"] is None or not values["id_number"] or values["registered_on"] is None:
            return data
        try:
            migrant_check(
                migrant=self.instance if self.instance.pk else None,
                **{**values, "phone": values["phone"] or "", "origin": values["origin"] or ""},
            )
        except ValidationError as e:
            add_service_error(self, e)
        return data


@admin.register(Migrant)
class MigrantAdmin(ImportExportAdmin):
    """Search by name, or by an exact ID number (matched on its keyed hash). Saved through the
    services (migrant_register, migrant_edit), like a registration on the pages or the API."""

    form = MigrantAdminForm
    resource_classes = [MigrantResource]
    list_display = ["name", "masked_id", "house", "origin", "registered_on", "left_on"]
    date_hierarchy = "registered_on"
    search_fields = ["name", "house__address"]
    autocomplete_fields = ["house"]
    fields = ["house", "name", "id_number", "phone", "origin", "registered_on", "left_on"]
    masked_id = masked_column("id_number", _("ID number"))

    def get_search_results(self, request: HttpRequest, queryset: QuerySet[Any], search_term: str) -> Any:
        results, duplicates = super().get_search_results(request, queryset, search_term)
        number = normalise_id_number(search_term)
        if len(number) == 18:
            results = results | exactly(queryset, "id_number", number)
        return results, duplicates

    def get_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        if may_see_personal_data(request.user):
            return self.fields
        return [f for f in self.fields or [] if f not in ("id_number", "phone")]

    def change_view(self, request: HttpRequest, object_id: str, *args: Any, **kwargs: Any) -> HttpResponse:
        reveal(request.user, subject=f"admin migrant {object_id}", request=request)
        return super().change_view(request, object_id, *args, **kwargs)

    def save_model(self, request: HttpRequest, obj: Migrant, form: Any, change: bool) -> None:
        data = {name: form.cleaned_data[name] for name in MIGRANT_FIELDS if name in form.cleaned_data}
        for name in ("phone", "origin"):
            if name in data:
                data[name] = data[name] or ""
        acting_user = cast("User", request.user)  # the admin lets no anonymous user in
        if change:
            migrant_edit(migrant=obj, acting_user=acting_user, **data)
        else:
            saved = migrant_register(acting_user=acting_user, **data)
            obj.pk, obj.id_number_index = saved.pk, saved.id_number_index


def _rectify_today(request: AuthenticatedHttpRequest, hazard: Hazard) -> None:
    hazard_rectify(hazard=hazard, rectified_on=clock.today(), version=hazard.version, acting_user=request.user)


@admin.register(Hazard)
class HazardAdmin(ScopedAdmin):
    list_display = ["category", "description", "area", "house", "found_on", "deadline", "rectified_on"]
    list_filter = ["category"]
    date_hierarchy = "found_on"
    search_fields = ["description", "house__address", "area__name"]
    autocomplete_fields = ["house", "area", "inspection"]
    fields = ["house", "area", "inspection", "category", "description", "found_on", "deadline", "rectified_on"]
    # Rectified through hazard_rectify (the action below, the hazard list, the API), which checks
    # the day, bumps the version and lets whoever may change the hazard correct it later.
    readonly_fields = ["rectified_on"]
    actions = [
        service_action(
            _("Mark the selected hazards rectified today"),
            _rectify_today,
            done=_("%(count)s hazards marked rectified."),
            name="rectify_today",
        )
    ]


@admin.register(Dispute)
class DisputeAdmin(ScopedAdmin):
    list_display = ["category", "area", "status", "received_on", "resolved_on", "escalated_on", "mediator"]
    list_filter = ["status", "category"]
    date_hierarchy = "received_on"
    search_fields = ["summary", "area__name"]
    autocomplete_fields = ["area", "mediator"]
    fields = [
        "category",
        "area",
        "summary",
        "mediator",
        "status",
        "received_on",
        "mediating_on",
        "resolved_on",
        "escalated_on",
    ]
    # A dispute moves one step at a time through dispute_move (the dispute list, the API).
    readonly_fields = ["status", "mediating_on", "resolved_on", "escalated_on"]


@admin.register(ZeroReport)
class ZeroReportAdmin(ScopedAdmin):
    list_display = ["village", "day", "incidents", "reported_by"]
    date_hierarchy = "day"
    search_fields = ["village__name", "note"]
    autocomplete_fields = ["village"]
    fields = ["village", "day", "incidents", "note"]

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        # A report sent is the village's word for that day: its day and village stay.
        return ["village", "day"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: ZeroReport, form: Any, change: bool) -> None:
        if not change:
            obj.reported_by = cast("User", request.user)  # the admin lets no anonymous user in
        super().save_model(request, obj, form, change)
