"""Django admin: the data admin's kernel models, scoped like every other page; the system admin's
accounts are in `xicheng.accounts_admin`. Audit records are read-only for everyone."""

from __future__ import annotations

from typing import Any, cast

import tablib
from axes.admin import AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessFailureLog, AccessLog
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db.models import Model, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import content_disposition_header
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from import_export.admin import ImportExportModelAdmin
from import_export.formats.base_formats import CSV, XLSX
from import_export.forms import SelectableFieldsExportForm
from import_export.resources import modelresource_factory
from simple_history.admin import SimpleHistoryAdmin
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from xicheng import accounts_admin  # noqa: F401  (registers the accounts and roles pages)
from xicheng.admin_actions import ReadOnlyAdminMixin, VersionedAdminMixin
from xicheng.audit_trail import person_name, readable_subjects
from xicheng.jobs import ImportExportJob, header_problems, job_create, job_start, read_dataset
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
from xicheng.personal import masked_column
from xicheng.resources import RegisterResource
from xicheng.scope import can_change

admin.site.site_header = _("Xicheng Subdistrict Work Progress")
admin.site.site_title = _("Xicheng Subdistrict Work Progress")
admin.site.index_title = _("Data administration")


class ScopedAdmin(VersionedAdminMixin, SimpleHistoryAdmin):
    """Admin pages start from the same scope as every other page, never hard-delete, and save a
    versioned row only at the version it was read (xicheng/admin_actions.py)."""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        qs = super().get_queryset(request)
        return qs.visible_to(request.user) if hasattr(qs, "visible_to") else qs

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        if obj is not None and hasattr(type(obj)._default_manager, "changeable_by"):
            return can_change(request.user, obj)
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    """Rows shown under their parent as they are: every field read-only, none added or deleted
    here (they are written through their own services)."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        return self.fields or ()

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class ExportForm(SelectableFieldsExportForm):
    """The export's column checkboxes read as the sheet's headers do (RegisterResource's labels)."""

    def _get_field_label(self, resource: Any, field_name: str) -> str:
        field = resource().fields.get(field_name)
        return str(field.column_name) if field is not None else field_name


class ImportExportAdmin(ScopedAdmin, ImportExportModelAdmin):
    """Excel in and out of a register, the same way for every register (xicheng/jobs.py).

    The resources get the user (scope of the rows an import may touch, masking of personal data
    in exports). Every import and export is an `ImportExportJob`: a small one runs in the request
    as before; a large one runs on the worker while the user watches its progress bar, and ends
    with a download link or the list of refused rows. An import is one step, all or nothing: a
    file with missing or unknown columns is refused before any row is read, a file with one bad
    row imports nothing and lists each bad row, column and value."""

    import_template_name = "admin/xicheng/import.html"
    export_form_class = ExportForm
    # What a data admin opens in Excel or WPS; json, yaml and html are for programs (the API).
    formats = [CSV, XLSX]

    def get_urls(self) -> list[Any]:
        info = (self.opts.app_label, self.opts.model_name)
        return [
            path(
                "import/template.xlsx",
                self.admin_site.admin_view(self.import_template_view),
                name="{}_{}_import_template".format(*info),
            ),
            *super().get_urls(),
        ]

    def import_template_view(self, request: HttpRequest) -> HttpResponse:
        """An empty sheet with the import's headers, to fill in and import."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        resource = self.get_import_resource_classes(request)[0](**self.get_import_resource_kwargs(request))
        headers = [str(f.column_name) for f in resource.get_import_fields() if not f.readonly]
        content = XLSX().export_data(tablib.Dataset(headers=headers))
        name = gettext("%(register)s import template.xlsx") % {"register": self.opts.verbose_name_plural}
        response = HttpResponse(content, content_type=XLSX().get_content_type())
        response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=name) or ""
        return response

    def get_resource_classes(self, request: HttpRequest) -> list[type[Any]]:
        """The register's own resources; for one that names none (the kernel's targets), a resource
        on the kernel's base, so that its imports and exports keep the same rules as every other."""
        if self.resource_classes:
            return list(self.resource_classes)
        return [modelresource_factory(self.model, resource_class=RegisterResource)]

    def get_resource_kwargs(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_resource_kwargs(request, *args, **kwargs), "user": request.user}

    # Import -------------------------------------------------------------------------------------

    def import_action(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        if request.method != "POST":
            return super().import_action(request, **kwargs)
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = self.create_import_form(request)
        job = None
        if form.is_valid():
            job = self._import_job(request, form)
        if job is not None and not job.runs_inline:
            return HttpResponseRedirect(job_url(job))
        if job is not None and job.status == ImportExportJob.Status.DONE:
            messages.success(
                request,
                ngettext("Imported %(count)d row.", "Imported %(count)d rows.", job.rows) % {"count": job.rows},
            )
            return HttpResponseRedirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist"))
        # A refused file or a small import with bad rows: the form again, with what to fix.
        # import-export reads a request with POST data as an upload and would import the file once
        # more (a dry run) to show its own table of the same errors, by field name: it gets none.
        request.method = "GET"
        request.POST = QueryDict()
        response = super().import_action(request, **kwargs)
        if isinstance(response, TemplateResponse) and response.context_data is not None:
            response.context_data.update({"form": form, "job": job})
        return response

    def _import_job(self, request: HttpRequest, form: Any) -> ImportExportJob | None:
        formats = self.get_import_formats()
        file_format = formats[int(form.cleaned_data["format"])]()
        upload = form.cleaned_data["import_file"]
        content = b"".join(upload.chunks())
        try:
            dataset = read_dataset(file_format, content)
        except Exception as error:
            self.add_data_read_fail_error_to_form(form, error)
            return None
        resource = self.choose_import_resource_class(form, request)(**self.get_import_resource_kwargs(request))
        missing, unknown = header_problems(resource, list(dataset.headers or []))
        if missing:
            form.add_error(
                "import_file", gettext("The file lacks the columns: %(columns)s.") % {"columns": ", ".join(missing)}
            )
        if unknown:
            form.add_error(
                "import_file",
                gettext("The file has columns no field reads: %(columns)s. Use the column names listed above.")
                % {"columns": ", ".join(unknown)},
            )
        if not form.errors and len(dataset) == 0:
            form.add_error("import_file", gettext("The file has no rows to import."))
        if form.errors:
            return None
        job = job_create(
            kind=ImportExportJob.Kind.IMPORT,
            model=self.model,
            acting_user=cast("User", request.user),  # the admin lets no anonymous user in
            request=request,
            resource=self.get_resource_index(form),
            file_format=type(file_format).__name__,
            file_name=upload.name[:200],
            total=len(dataset),
        )
        job.file.save(upload.name, ContentFile(content), save=False)
        job.save(update_fields=["file"])
        return job_start(job)

    # Export -------------------------------------------------------------------------------------

    def export_action(self, request: HttpRequest) -> HttpResponse | FileResponse:
        if request.method != "POST":
            return super().export_action(request)
        if not self.has_export_permission(request):
            raise PermissionDenied
        formats = self.get_export_formats()
        form = self.get_export_form_class()(formats, self.get_export_resource_classes(request), data=request.POST)
        if "export_items" in request.POST:
            # The rows picked must be rows the user's list holds; ask only about those picked,
            # not for every key of a register of tens of thousands.
            picked = [value for value in request.POST.getlist("export_items") if value.isdigit()]
            allowed = self.get_export_queryset(request).filter(pk__in=picked).values_list("pk", flat=True)
            form.fields["export_items"] = forms.MultipleChoiceField(
                widget=forms.MultipleHiddenInput, required=False, choices=[(pk, pk) for pk in allowed]
            )
        if not form.is_valid():
            return super().export_action(request)
        file_format = formats[int(form.cleaned_data["format"])]
        items = form.cleaned_data.get("export_items") or None
        job = job_create(
            kind=ImportExportJob.Kind.EXPORT,
            model=self.model,
            acting_user=cast("User", request.user),  # the admin lets no anonymous user in
            request=request,
            resource=self.get_resource_index(form),
            file_format=file_format.__name__,
            fields=self.get_export_resource_fields_from_form(form) or [],
            filters=dict(request.GET.lists()),
            items=[str(pk) for pk in items] if items else None,
        )
        queryset = self.get_export_queryset(request)
        job.total = (queryset.filter(pk__in=items) if items else queryset).count()
        job.save(update_fields=["total"])
        job = job_start(job)
        if not job.runs_inline:
            return HttpResponseRedirect(job_url(job))
        if job.downloadable:
            # Small: the file at once, as before the jobs.
            return download_response(job)
        if job.status == ImportExportJob.Status.FAILED:
            messages.error(request, job.message)
        return HttpResponseRedirect(request.get_full_path())


def job_url(job: ImportExportJob) -> str:
    return reverse("admin:xicheng_importexportjob_change", args=[job.pk])


def download_response(job: ImportExportJob) -> FileResponse:
    if not job.downloadable:
        raise Http404
    try:
        handle = job.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(handle, as_attachment=True, filename=job.file_name)


@admin.register(ImportExportJob)
class ImportExportJobAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Each user's own imports and exports: progress, refused rows, download. Nobody sees another
    user's job (404), and no one edits one."""

    list_display = ["created_at", "kind", "register_name", "status", "progress_display", "rows", "download"]
    list_filter = ["kind", "status"]
    list_display_links = ["created_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return ImportExportJob.objects.visible_to(request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        """Those who may import or export some register (the data admin), and no one else."""
        if not (request.user.is_active and request.user.is_staff):
            return False
        return any(
            isinstance(other, ImportExportAdmin)
            and (other.has_export_permission(request) or other.has_import_permission(request))
            for other in self.admin_site._registry.values()
        )

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        if not self.has_module_permission(request):
            return False
        return obj is None or getattr(obj, "user_id", None) == request.user.pk

    @admin.display(description=_("register"))
    def register_name(self, job: ImportExportJob) -> str:
        return job.model_verbose_name

    @admin.display(description=_("progress"))
    def progress_display(self, job: ImportExportJob) -> str:
        return f"{job.percent()}%"

    @admin.display(description=_("file"))
    def download(self, job: ImportExportJob) -> str:
        if not job.downloadable:
            return ""
        url = reverse("admin:xicheng_importexportjob_download", args=[job.pk])
        return format_html('<a href="{}">{}</a>', url, gettext("Download"))

    def get_urls(self) -> list[Any]:
        return [
            path(
                "<int:pk>/download/",
                self.admin_site.admin_view(self.download_view),
                name="xicheng_importexportjob_download",
            ),
            *super().get_urls(),
        ]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """The job's page: a progress bar the page polls (htmx) until the job ends."""
        job = get_object_or_404(self.get_queryset(request), pk=object_id if object_id.isdigit() else 0)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "job": job,
            "title": str(job),
            "list_url": _changelist_url(job),
            "retention_hours": settings.JOBS_RETENTION_HOURS,
        }
        if getattr(request, "htmx", False):
            return TemplateResponse(request, "admin/xicheng/importexportjob/_job_status.html", context)
        return TemplateResponse(request, "admin/xicheng/importexportjob/job.html", context)

    def download_view(self, request: HttpRequest, pk: int) -> FileResponse:
        return download_response(get_object_or_404(self.get_queryset(request), pk=pk))


def _changelist_url(job: ImportExportJob) -> str:
    meta = job.register._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")


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

    list_display = ["name", "position", "user", "masked_phone"]
    list_filter = ["position"]
    search_fields = ["name", "user__username"]
    autocomplete_fields = ["areas"]
    fields = ["user", "name", "phone", "position", "areas"]
    readonly_fields = ["user"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    masked_phone = masked_column("phone", _("phone"))


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
    fields = ["code", "name", "unit", "work_line", "source", "metric", "lower_is_better", "headline", "order", "owner"]
    # The cadre who types a manual indicator's readings from 我的填报.
    autocomplete_fields = ["owner"]


@admin.register(Target)
class TargetAdmin(ImportExportAdmin):
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
            obj.entered_by = cast("User", request.user)  # the admin lets no anonymous user in
        super().save_model(request, obj, form, change)


class TaskUpdateInline(ReadOnlyInline):
    model = TaskUpdate
    fields = ["created_at", "author", "status", "note"]


@admin.register(Task)
class TaskAdmin(ScopedAdmin):
    list_display = ["title", "work_line", "area", "lead_leader", "responsible", "due_on", "status"]
    list_filter = ["work_line", "status"]
    search_fields = ["title", "description"]
    date_hierarchy = "due_on"
    autocomplete_fields = ["area", "lead_leader", "responsible", "target"]
    fields = ["title", "description", "work_line", "area", "lead_leader", "responsible", "due_on", "status", "target"]
    # The status moves with a progress note (task_add_update), on the task's page or the API.
    readonly_fields = ["status"]
    inlines = [TaskUpdateInline]


class PersonFilter(admin.RelatedFieldListFilter):
    """The people who appear in the trail, by name (the cadre's), not by login name."""

    def field_choices(self, field: Any, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        users = User.objects.filter(pk__in=AuditEvent.objects.values("user")).select_related("cadre")
        return sorted(((str(user.pk), person_name(user)) for user in users), key=lambda choice: choice[1])


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: nothing in the audit trail can be edited. People by name, subjects in words
    (as on /audit/, xicheng/audit_trail.py), filtered by person, action and day."""

    list_display = ["at", "person", "action", "concerning", "subject_in_words", "ip_address"]
    list_filter = ["action", ("user", PersonFilter), ("at", admin.DateFieldListFilter)]
    list_select_related = ["user__cadre", "target_user__cadre"]
    search_fields = ["subject", "user__username", "user__cadre__name"]
    date_hierarchy = "at"

    @admin.display(description=_("user"), ordering="user__username")
    def person(self, event: AuditEvent) -> str:
        return person_name(event.user)

    @admin.display(description=_("concerning"))
    def concerning(self, event: AuditEvent) -> str:
        return person_name(event.target_user)

    @admin.display(description=_("subject"))
    def subject_in_words(self, event: AuditEvent) -> str:
        return readable_subjects([event])[0]


class AccessLogReadOnlyAdmin(ReadOnlyAdminMixin, AccessLogAdmin):
    pass


class AccessFailureLogReadOnlyAdmin(ReadOnlyAdminMixin, AccessFailureLogAdmin):
    pass


for _model, _admin in ((AccessLog, AccessLogReadOnlyAdmin), (AccessFailureLog, AccessFailureLogReadOnlyAdmin)):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
    admin.site.register(_model, _admin)


# The API tokens, listed and revoked by the system administrator (xicheng/tokens_admin.py).
from xicheng import tokens_admin  # noqa: E402, F401

# Second-factor devices are enrolled and removed by their owners at /accounts/otp/, and reset by
# the system admin with `manage.py reset_second_factor`; django-otp's own admin pages would be a
# second, unaudited way in.
for _model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
