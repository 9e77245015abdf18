"""Django admin for data admins: centres, served villages, elders (with Excel), deliveries, checks."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from welfare.models import CareCenter, Elder, MealDelivery, MealReceipt, SafetyCheck, ServedVillage
from welfare.resources import ElderResource
from xicheng.admin import ImportExportAdmin, ReadOnlyInline, ScopedAdmin
from xicheng.personal import log_personal_read


class ServedVillageInline(admin.TabularInline):
    model = ServedVillage
    fields = ["village", "since", "until"]
    autocomplete_fields = ["village"]
    extra = 0
    can_delete = False


@admin.register(CareCenter)
class CareCenterAdmin(ScopedAdmin):
    list_display = ["name", "area", "operator", "caterer", "daily_capacity"]
    search_fields = ["name", "operator", "caterer"]
    autocomplete_fields = ["area"]
    fields = ["name", "area", "operator", "caterer", "daily_capacity"]
    inlines = [ServedVillageInline]


@admin.register(ServedVillage)
class ServedVillageAdmin(ScopedAdmin):
    list_display = ["center", "village", "since", "until"]
    list_filter = ["center"]
    autocomplete_fields = ["village"]
    fields = ["center", "village", "since", "until"]


@admin.register(Elder)
class ElderAdmin(ImportExportAdmin):
    """Phones and contacts are encrypted; the list shows no personal data beyond the name."""

    resource_classes = [ElderResource]
    list_display = ["name", "village", "birth_year", "lives_alone", "enrolled_on", "left_on"]
    list_filter = ["lives_alone", "enrolled_on"]
    search_fields = ["name"]
    autocomplete_fields = ["village"]
    fields = [
        "name",
        "village",
        "birth_year",
        "lives_alone",
        "phone",
        "emergency_contact",
        "dietary_needs",
        "enrolled_on",
        "left_on",
    ]

    def change_view(self, request: HttpRequest, object_id: str, *args: Any, **kwargs: Any) -> Any:
        # The form shows the decrypted phone and contact: a view of personal data, logged.
        if request.method == "GET":
            log_personal_read(user=request.user, subject=f"welfare.elder:{object_id}", request=request)
        return super().change_view(request, object_id, *args, **kwargs)


class MealReceiptInline(ReadOnlyInline):
    model = MealReceipt
    fields = ["elder", "outcome"]


@admin.register(MealDelivery)
class MealDeliveryAdmin(ScopedAdmin):
    """Deliveries are recorded on the day sheet; here they are read and annotated."""

    list_display = ["day", "village", "center", "delivered_at", "courier"]
    list_filter = ["center", "day"]
    date_hierarchy = "day"
    search_fields = ["courier", "village__name"]
    fields = ["center", "village", "day", "delivered_at", "courier", "note"]
    readonly_fields = ["center", "village", "day"]
    inlines = [MealReceiptInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(SafetyCheck)
class SafetyCheckAdmin(ScopedAdmin):
    list_display = ["day", "elder", "reason", "raised_at", "resolved_at", "resolved_by"]
    list_filter = ["reason", "day"]
    date_hierarchy = "day"
    search_fields = ["elder__name", "finding"]
    fields = ["elder", "day", "reason", "raised_at", "resolved_at", "resolved_by", "finding"]
    # A check is followed up through safety_check_resolve (the safety-check list, the API).
    readonly_fields = ["elder", "day", "reason", "raised_at", "resolved_at", "resolved_by", "finding"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
