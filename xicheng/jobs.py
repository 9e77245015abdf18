"""Imports and exports as jobs: the kernel's one code path for Excel in and out of a register.

An admin page (through `xicheng.admin.ImportExportAdmin`) records what the user asked for in an
`ImportExportJob`; `job_run` then does the work, in the request when the file is small
(settings.JOBS_INLINE_ROWS) and on the Celery worker when it is not, with a progress bar the
owner watches. The worker keeps the user's rights: it re-reads the user and builds the rows from
the same admin queryset (so `visible_to(user)`, the list's filters and search), and the resource is
given the user, so personal data stays masked unless the user holds the right. An import is all or
nothing (one transaction); each refused row is listed by row, column and value. Exports and
imports are audited with their row count. Files are served only to the job's owner and removed
after settings.JOBS_RETENTION_HOURS."""

from __future__ import annotations

import logging
import uuid
import zoneinfo
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from celery.exceptions import SoftTimeLimitExceeded
from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import NON_FIELD_ERRORS, MultipleObjectsReturned, ObjectDoesNotExist, ValidationError
from django.core.files.base import ContentFile
from django.db import models, transaction
from django.db.models import Q
from django.test import RequestFactory
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export.widgets import ForeignKeyWidget
from simple_history.models import HistoricalRecords

from xicheng.roles import AnyUser
from xicheng.routers import replica_reads

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.http import HttpRequest

logger = logging.getLogger(__name__)


def _job_file_name(job: ImportExportJob, filename: str) -> str:
    # Random names: a file name says nothing about its content and cannot be guessed.
    suffix = PurePath(filename).suffix.lower()[:10]
    return f"jobs/{timezone.now():%Y/%m/%d}/{uuid.uuid4().hex}{suffix}"


class ImportExportJobQuerySet(models.QuerySet["ImportExportJob"]):
    def visible_to(self, user: AnyUser) -> ImportExportJobQuerySet:
        """A job, its progress, its errors and its file belong to the user who started it alone."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(user_id=user.pk)

    def expired(self, now: datetime) -> ImportExportJobQuerySet:
        return self.filter(created_at__lt=now - timedelta(hours=settings.JOBS_RETENTION_HOURS))


class ImportExportJob(models.Model):
    """One import or export of a register, with its progress, its errors and its file."""

    class Kind(models.TextChoices):
        EXPORT = "export", _("Export")
        IMPORT = "import", _("Import")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+"
    )
    # The register, as app_label.model_name; its admin says how to read and write it.
    model = models.CharField(_("register"), max_length=100)
    resource = models.PositiveSmallIntegerField(default=0)
    file_format = models.CharField(_("format"), max_length=20)
    # Export: the chosen columns, the list's filters and search, and the rows picked by an action.
    fields = models.JSONField(default=list, blank=True)
    filters = models.JSONField(default=dict, blank=True)
    items = models.JSONField(null=True, blank=True)
    # Import: the uploaded file (removed once read). Export: the file made.
    file = models.FileField(_("file"), upload_to=_job_file_name, max_length=200, blank=True)
    file_name = models.CharField(_("file name"), max_length=200, blank=True)
    total = models.PositiveIntegerField(_("rows in all"), default=0)
    progress = models.PositiveIntegerField(_("rows done"), default=0)
    rows = models.PositiveIntegerField(_("rows written"), default=0)
    # Refused rows: [{"row": 57, "column": "id_number", "value": "…", "message": "…"}].
    errors = models.JSONField(_("errors"), default=list, blank=True)
    message = models.TextField(_("message"), blank=True)
    language = models.CharField(max_length=10, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(_("started"), default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    objects = ImportExportJobQuerySet.as_manager()

    class Meta:
        verbose_name = _("import or export")
        verbose_name_plural = _("my imports and exports")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.model_verbose_name} #{self.pk}"

    @property
    def register(self) -> type[models.Model]:
        return apps.get_model(self.model)

    @property
    def model_verbose_name(self) -> str:
        try:
            return str(self.register._meta.verbose_name_plural)
        except LookupError:
            return self.model

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def runs_inline(self) -> bool:
        """Small enough to run in the request that starts it; larger jobs go to the worker."""
        return self.total <= settings.JOBS_INLINE_ROWS

    @property
    def downloadable(self) -> bool:
        return self.kind == self.Kind.EXPORT and self.status == self.Status.DONE and bool(self.file)

    def current_progress(self) -> int:
        """Rows done so far. An import runs inside one transaction, so its progress cannot be
        written to its own row until the end: the worker counts in the cache, read here."""
        if self.finished:
            return self.total
        return min(max(self.progress, cache.get(progress_key(self.pk)) or 0), self.total)

    def percent(self) -> int:
        return 100 if self.total == 0 and self.finished else int(100 * self.current_progress() / max(self.total, 1))


def progress_key(pk: int) -> str:
    return f"xicheng:job-progress:{pk}"


class Progress:
    """Counts rows and publishes the count about a hundred times over the job."""

    def __init__(self, job: ImportExportJob) -> None:
        self.job = job
        self.done = 0
        self.step = max(50, job.total // 100)

    def tick(self) -> None:
        self.done += 1
        if self.done % self.step == 0:
            cache.set(progress_key(self.job.pk), self.done, timeout=settings.JOBS_RETENTION_HOURS * 3600)


# Starting ------------------------------------------------------------------------------------


def job_create(
    *,
    kind: str,
    model: type[models.Model],
    acting_user: User,
    request: HttpRequest | None = None,
    **fields: Any,
) -> ImportExportJob:
    from xicheng.history import client_ip

    return ImportExportJob.objects.create(
        kind=kind,
        model=model._meta.label_lower,
        user=acting_user,
        language=translation.get_language() or settings.LANGUAGE_CODE,
        ip_address=client_ip(request) if request is not None else None,
        **fields,
    )


def job_start(job: ImportExportJob) -> ImportExportJob:
    """Run a small job now, in the request; queue a large one for the worker."""
    # A count left in the cache under this key (a database restored, its ids given again) is not
    # this job's progress.
    cache.delete(progress_key(job.pk))
    if job.runs_inline:
        job_run(job.pk)
    else:
        from xicheng.tasks import run_import_export_job

        if run_import_export_job.app.conf.task_always_eager:
            run_import_export_job.delay(job.pk)  # no worker: the same task, here and now
        else:
            # The worker must find the job's row: send only once it is committed.
            transaction.on_commit(lambda: run_import_export_job.delay(job.pk))
    job.refresh_from_db()
    return job


# Running --------------------------------------------------------------------------------------


def job_run(pk: int) -> None:
    """Do the job's work once: a job already taken by another worker is left alone, unless that
    worker died (it has run longer than any job may)."""
    now = timezone.now()
    lost = now - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    claimed = ImportExportJob.objects.filter(
        Q(status=ImportExportJob.Status.QUEUED) | Q(status=ImportExportJob.Status.RUNNING, started_at__lt=lost),
        pk=pk,
    ).update(status=ImportExportJob.Status.RUNNING, started_at=now, progress=0)
    if not claimed:
        return
    job = ImportExportJob.objects.select_related("user").get(pk=pk)
    admin = job_admin(job)
    request = _request_for(job)
    nothing = "" if job.kind == ImportExportJob.Kind.EXPORT else " " + gettext("Nothing was imported.")
    try:
        with translation.override(job.language or settings.LANGUAGE_CODE), _history_by(request):
            if not _still_allowed(job, admin, request):
                _fail(job, gettext("You may no longer do this.") + nothing)
            elif job.kind == ImportExportJob.Kind.EXPORT:
                # An export may read the replica, if there is one (xicheng/routers.py), unless its
                # user has just written; an import holds its user's next reads on the primary.
                with replica_reads(user=lambda: job.user, replica=True):
                    _run_export(job, admin, request)
            else:
                with replica_reads(user=lambda: job.user, replica=False):
                    _run_import(job, admin, request)
    except SoftTimeLimitExceeded:
        _fail(job, gettext("The job took too long and was stopped.") + nothing)
    except Exception:
        logger.exception("import/export job %s failed", pk)
        _fail(job, gettext("The job failed; the administrators can find the cause in the log.") + nothing)
    finally:
        if job.kind == ImportExportJob.Kind.IMPORT and job.file:
            # The uploaded file may hold personal data: it is not kept once read.
            job.file.delete(save=False)
            ImportExportJob.objects.filter(pk=pk).update(file="")
        # The count stays in the cache until it expires: a page that read the job as running a
        # moment ago must not see the bar fall back to nothing.


def _still_allowed(job: ImportExportJob, admin: Any, request: HttpRequest) -> bool:
    """The rights are read again when the job runs: an account closed, or a role taken away,
    since the job was queued stops it."""
    user = job.user
    if not (user.is_active and user.is_staff):
        return False
    if job.kind == ImportExportJob.Kind.EXPORT:
        return bool(admin.has_export_permission(request) and admin.has_view_permission(request))
    return bool(
        admin.has_import_permission(request)
        and (admin.has_add_permission(request) or admin.has_change_permission(request))
    )


def job_admin(job: ImportExportJob) -> Any:
    """The register's admin, which knows its resources, formats and queryset."""
    from django.contrib import admin

    return admin.site.get_model_admin(job.register)


def _request_for(job: ImportExportJob) -> HttpRequest:
    """A request as the job's user made it: the admin's queryset, the resources and the history
    records read the user (and the address, for the audit) from it."""
    request = RequestFactory().get("/", job.filters or {}, REMOTE_ADDR=job.ip_address or "")
    request.user = job.user
    return request


@contextmanager
def _history_by(request: HttpRequest) -> Iterator[None]:
    # Rows written by an import keep who wrote them, on the worker as in a request.
    context = HistoricalRecords.context
    previous = getattr(context, "request", None)
    context.request = request
    try:
        yield
    finally:
        if previous is None:
            del context.request
        else:
            context.request = previous


def _finish(job: ImportExportJob, **fields: Any) -> None:
    for name, value in fields.items():
        setattr(job, name, value)
    job.finished_at = timezone.now()
    job.save(update_fields=[*fields, "finished_at"])


def _fail(job: ImportExportJob, message: str) -> None:
    _finish(job, status=ImportExportJob.Status.FAILED, message=message)


def _counting(method: Callable[..., Any], progress: Progress) -> Callable[..., Any]:
    def counted(*args: Any, **kwargs: Any) -> Any:
        result = method(*args, **kwargs)
        progress.tick()
        return result

    return counted


def export_queryset(admin: Any, job: ImportExportJob, request: HttpRequest) -> models.QuerySet[Any]:
    """The rows the user sees in the list (scope, filters, search), or those they picked."""
    queryset = admin.get_export_queryset(request)
    if job.items is not None:
        queryset = queryset.filter(pk__in=job.items)
    return queryset


def _with_related(resource: Any, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    # A column that shows a related row would otherwise cost one query per row (55,000 for the
    # migrants): join them in.
    related = []
    for field in resource.fields.values():
        attribute = field.attribute or ""
        if isinstance(field.widget, ForeignKeyWidget) and attribute and "__" not in attribute:
            try:
                model_field = queryset.model._meta.get_field(attribute)
            except Exception:
                continue
            if model_field.many_to_one or model_field.one_to_one:
                # By the field's name: a resource made for a model without its own (the kernel's
                # targets) reads the key column (`area_id`), which select_related refuses.
                related.append(model_field.name)
    return queryset.select_related(*related) if related else queryset


def _format(formats: list[Any], name: str) -> Any:
    for file_format in formats:
        if file_format.__name__ == name:
            return file_format()
    raise LookupError(name)


def _run_export(job: ImportExportJob, admin: Any, request: HttpRequest) -> None:
    from xicheng.models import AuditEvent
    from xicheng.personal import reveal
    from xicheng.services import audit_log

    resource = admin.get_export_resource_classes(request)[job.resource](**admin.get_export_resource_kwargs(request))
    queryset = _with_related(resource, export_queryset(admin, job, request))
    job.total = queryset.count()
    job.save(update_fields=["total"])
    progress = Progress(job)
    resource.export_resource = _counting(resource.export_resource, progress)
    file_format = _format(admin.get_export_formats(), job.file_format)
    dataset = resource.export(queryset=queryset, export_fields=job.fields or None)
    content = file_format.export_data(dataset)
    if isinstance(content, str):
        content = content.encode("utf-8-sig")  # so that Excel reads the Chinese of a CSV right
    # Named in the users' words and dated by the day here (Asia/Shanghai), not UTC's.
    day = timezone.localdate(timezone=zoneinfo.ZoneInfo(settings.TIME_ZONE))
    name = f"{job.model_verbose_name}-{day:%Y%m%d}-{job.pk}.{file_format.get_extension()}"
    job.file.save(name, ContentFile(content), save=False)
    subject = f"admin export {job.model}"
    audit_log(
        user=job.user,
        action=AuditEvent.Action.EXPORT,
        subject=subject,
        request=request,
        changes={"rows": [None, len(dataset)]},
        source=f"job {job.pk}",
    )
    reveal(job.user, subject=subject, request=request)
    _finish(job, status=ImportExportJob.Status.DONE, file=job.file, file_name=name, rows=len(dataset))


def _run_import(job: ImportExportJob, admin: Any, request: HttpRequest) -> None:
    from xicheng.models import AuditEvent
    from xicheng.services import audit_log

    file_format = _format(admin.get_import_formats(), job.file_format)
    dataset = read_dataset(file_format, job.file.read())
    resource = admin.get_import_resource_classes(request)[job.resource](**admin.get_import_resource_kwargs(request))
    progress = Progress(job)
    resource.import_row = _counting(resource.import_row, progress)
    resource.import_field = _naming_the_column(resource.import_field)
    # All or nothing: one transaction, rolled back if a single row is refused.
    result = resource.import_data(
        dataset,
        dry_run=False,
        raise_errors=False,
        use_transactions=True,
        rollback_on_validation_errors=True,
        file_name=job.file_name,
        user=job.user,
    )
    errors = refused_rows(result, resource)
    written = 0 if errors else result.totals.get("new", 0) + result.totals.get("update", 0)
    audit_log(
        user=job.user,
        action=AuditEvent.Action.IMPORT,
        subject=f"admin import {job.model}",
        request=request,
        changes={"rows": [None, written], "refused_rows": [None, len({e["row"] for e in errors})]},
        source=f"job {job.pk}",
    )
    if errors:
        _finish(
            job,
            status=ImportExportJob.Status.FAILED,
            errors=errors,
            message=gettext("Nothing was imported: fix the rows below and import the file again."),
        )
    else:
        _finish(job, status=ImportExportJob.Status.DONE, rows=written)


def _naming_the_column(import_field: Callable[..., Any]) -> Callable[..., Any]:
    """A value a column's widget cannot read (an unknown code, a word where a number belongs)
    becomes an error of that column, so the list of refused rows can name it. django-import-export
    does so for ValueError only; the rest would be reported without the column."""

    def named(field: Any, instance: Any, row: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return import_field(field, instance, row, *args, **kwargs)
        except (ValueError, ValidationError):
            raise
        except ObjectDoesNotExist:
            value = row.get(field.column_name, "")
            raise ValueError(gettext("“%(value)s” matches no record.") % {"value": _cell(value)}) from None
        except MultipleObjectsReturned:
            value = row.get(field.column_name, "")
            raise ValueError(gettext("“%(value)s” matches several records.") % {"value": _cell(value)}) from None
        except (ArithmeticError, TypeError):
            value = row.get(field.column_name, "")
            raise ValueError(gettext("“%(value)s” is not a number.") % {"value": _cell(value)}) from None

    return named


def read_dataset(file_format: Any, data: bytes) -> Any:
    if not file_format.is_binary():
        return file_format.create_dataset(data.decode("utf-8-sig"))
    return file_format.create_dataset(data)


def refused_rows(result: Any, resource: Any) -> list[dict[str, Any]]:
    """Each refused row by its number, the column, the value found there and the reason."""
    columns = {name: field.column_name for name, field in resource.fields.items()}
    headers = list(result.diff_headers or [])
    found: list[dict[str, Any]] = []
    for invalid in result.invalid_rows:
        for field, messages in invalid.error_dict.items():
            column = "" if field == NON_FIELD_ERRORS else columns.get(field, field)
            value = invalid.values[headers.index(column)] if column in headers else ""
            found.append(
                {
                    "row": invalid.number,
                    "column": column,
                    "value": _cell(value),
                    "message": " ".join(str(m) for m in messages),
                }
            )
    for number, row_errors in result.row_errors():
        for error in row_errors:
            found.append({"row": number, "column": "", "value": "", "message": str(error.error)})
    for error in result.base_errors:
        found.append({"row": 0, "column": "", "value": "", "message": str(error.error)})
    return found


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= 100 else text[:99] + "…"


# Headers --------------------------------------------------------------------------------------


def header_problems(resource: Any, headers: list[str]) -> tuple[list[str], list[str]]:
    """The columns a file lacks (those a row cannot be saved without) and those no field reads."""
    model = resource._meta.model
    known: set[str] = set()
    required: list[str] = []
    for name, field in resource.fields.items():
        if field.readonly:
            continue
        known.update({field.column_name, name})
        if field.attribute and _required(model, field.attribute) and name not in resource.get_import_id_fields():
            required.append(field.column_name)
    # A header may be the column's label or the field's own name (resource.column_for).
    named = {str(h).strip() for h in headers if h is not None and str(h).strip()}
    present = {resource.column_for(h) or h for h in named} if hasattr(resource, "column_for") else named
    missing = [column for column in required if column not in present]
    unknown = [header for header in present if header not in known]
    return missing, sorted(unknown)


def _required(model: type[models.Model], attribute: str) -> bool:
    try:
        field = model._meta.get_field(attribute)
    except Exception:
        return False
    if not isinstance(field, models.Field) or not field.concrete or field.primary_key:
        return False
    return not (field.blank or field.null or field.has_default() or not field.editable)


# Cleaning up ----------------------------------------------------------------------------------


def jobs_purge_expired(*, now: datetime | None = None) -> int:
    """Remove the jobs (files, refused values and all) older than the retention period."""
    expired = list(ImportExportJob.objects.expired(now or timezone.now()))
    for job in expired:
        if job.file:
            job.file.delete(save=False)
        cache.delete(progress_key(job.pk))
    ImportExportJob.objects.filter(pk__in=[job.pk for job in expired]).delete()
    return len(expired)
