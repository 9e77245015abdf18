"""Django admin: the data admin's kernel models, scoped like every other page; the system admin's
accounts are in `xicheng.accounts_admin`. Audit records are read-only for everyone."""

from __future__ import annotations

from typing import Any

from axes.admin import AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessFailureLog, AccessLog
from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportModelAdmin
from simple_history.admin import SimpleHistoryAdmin
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from xicheng import accounts_admin  # noqa: F401  (registers the accounts and roles pages)
from xicheng.models import (
    Area,
    AuditEvent,
    Cadre,
    Indicator,
    ManualReading,
    Target,
    Task,
    TaskUpdate,
    WorkLine,
)
from xicheng.scope import can_change

admin.site.site_header = _("Xicheng Subdistrict Work Progress")
admin.site.site_title = _("Xicheng Subdistrict Work Progress")
admin.site.index_title = _("Data administration")


class ScopedAdmin(SimpleHistoryAdmin):
    """Admin pages start from the same scope as every other page, and never hard-delete."""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        qs = super().get_queryset(request)
        return qs.visible_to(request.user) if hasattr(qs, "visible_to") else qs

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        if obj is not None and hasattr(type(obj)._default_manager, "changeable_by"):
            return can_change(request.user, obj)
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Area)
class AreaAdmin(TreeAdmin):
    form = movenodeform_factory(Area, fields=["name", "level", "code"])
    list_display = ["name", "level", "code"]
    list_filter = ["level"]
    search_fields = ["name", "code"]

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Cadre)
class CadreAdmin(ScopedAdmin):
    """The data admin keeps what a cadre does: position, phone, the areas served. The person comes
    with the account, which the system admin creates."""

    list_display = ["name", "position", "user"]
    list_filter = ["position"]
    search_fields = ["name", "user__username"]
    autocomplete_fields = ["areas"]
    fields = ["user", "name", "phone", "position", "areas"]
    readonly_fields = ["user"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(WorkLine)
class WorkLineAdmin(ScopedAdmin):
    list_display = ["name", "order"]
    fields = ["name", "order"]
    search_fields = ["name"]


@admin.register(Indicator)
class IndicatorAdmin(ScopedAdmin):
    list_display = ["name", "unit", "work_line", "source", "metric", "lower_is_better", "headline"]
    list_filter = ["work_line", "source", "headline"]
    search_fields = ["name", "code"]
    fields = ["code", "name", "unit", "work_line", "source", "metric", "lower_is_better", "headline", "order"]


@admin.register(Target)
class TargetAdmin(ScopedAdmin, ImportExportModelAdmin):
    list_display = ["indicator", "area", "period_start", "period_end", "value"]
    list_filter = ["indicator__work_line", "period_start"]
    search_fields = ["indicator__name", "area__name"]
    autocomplete_fields = ["indicator", "area"]
    fields = ["indicator", "area", "period_start", "period_end", "value"]


@admin.register(ManualReading)
class ManualReadingAdmin(ScopedAdmin):
    list_display = ["indicator", "area", "on", "value", "entered_by"]
    list_filter = ["indicator"]
    date_hierarchy = "on"
    autocomplete_fields = ["indicator", "area"]
    fields = ["indicator", "area", "on", "value", "note"]

    def save_model(self, request: HttpRequest, obj: ManualReading, form: Any, change: bool) -> None:
        if not change:
            obj.entered_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)


class TaskUpdateInline(admin.TabularInline):
    model = TaskUpdate
    fields = ["created_at", "author", "status", "note"]
    readonly_fields = ["created_at", "author", "status", "note"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Task)
class TaskAdmin(ScopedAdmin):
    list_display = ["title", "work_line", "area", "lead_leader", "responsible", "due_on", "status"]
    list_filter = ["work_line", "status"]
    search_fields = ["title", "description"]
    date_hierarchy = "due_on"
    autocomplete_fields = ["area", "lead_leader", "responsible", "target"]
    fields = ["title", "description", "work_line", "area", "lead_leader", "responsible", "due_on", "status", "target"]
    inlines = [TaskUpdateInline]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: nothing in the audit trail can be edited."""

    list_display = ["at", "user", "action", "subject", "ip_address"]
    list_filter = ["action"]
    search_fields = ["subject", "user__username"]
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class ReadOnlyLogAdmin:
    """Axes' login logs: read, never edited or deleted, by anyone."""

    actions = None

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class AccessLogReadOnlyAdmin(ReadOnlyLogAdmin, AccessLogAdmin):
    pass


class AccessFailureLogReadOnlyAdmin(ReadOnlyLogAdmin, AccessFailureLogAdmin):
    pass


for _model, _admin in ((AccessLog, AccessLogReadOnlyAdmin), (AccessFailureLog, AccessFailureLogReadOnlyAdmin)):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
    admin.site.register(_model, _admin)
