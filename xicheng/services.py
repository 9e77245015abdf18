"""Writes of the kernel that carry a rule: every one here, none in views, serializers or signals."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xicheng import events
from xicheng.history import client_ip, current_request
from xicheng.locking import Conflict, locked_for_change, may_assign, require_assigner
from xicheng.models import Area, AuditEvent, Indicator, ManualReading, Target, Task, TaskUpdate
from xicheng.scope import areas_changeable_by, can_change, served_areas

if TYPE_CHECKING:
    from datetime import date
    from decimal import Decimal

    from django.contrib.auth.models import User


__all__ = ["Conflict", "audit_log", "manual_reading_add", "task_add_update", "task_create", "task_edit"]


@transaction.atomic
def task_add_update(*, task: Task, note: str, status: str, acting_user: User, version: int | None) -> TaskUpdate:
    """Write a progress note on a task and move its status, as one change.

    A note that leaves the status as it stands is appended, not an edit of the task: it needs no
    version and never conflicts, and the task's version stays (nobody else's form goes stale)."""
    note = note.strip()
    if not note:
        raise ValidationError({"note": _("Write what has been done.")})
    if status not in Task.Status.values:
        raise ValidationError({"status": _("Choose a valid status.")})
    if not can_change(acting_user, task):
        raise PermissionDenied(_("You may not change this %(thing)s.") % {"thing": Task._meta.verbose_name})
    current = Task.objects.select_for_update().get(pk=task.pk)
    if status == current.status:
        update = TaskUpdate(task=current, author=acting_user, note=note, status=status)
        update.full_clean(exclude=["task", "author"])
        update.save()
    else:
        with locked_for_change(task, version=version, by=acting_user) as locked:
            update = TaskUpdate(task=locked, author=acting_user, note=note, status=status)
            update.full_clean(exclude=["task", "author"])
            update.save()
            locked.status = status
    events.emit(events.TASK_UPDATED, events.record_payload(update.task, state=status, update=update.pk))
    return update


def audit_log(
    *,
    user: Any,
    action: str,
    subject: str,
    request: Any = None,
    target_user: User | None = None,
    changes: dict[str, Any] | None = None,
    source: str = "",
) -> AuditEvent:
    """Record an event the history tables cannot see: a sign-in, an account or role change, a
    token, an export, a view of personal data. `changes` is {"field": [before, after]}. The source
    (web, admin, api, or the command and host) is found from the request when not given."""
    from xicheng.audit import request_source

    if request is None:
        request = current_request()
    return AuditEvent.objects.create(
        at=timezone.now(),
        user=user if getattr(user, "is_authenticated", False) else None,
        action=action,
        subject=subject[:200],
        target_user=target_user,
        changes=changes or {},
        source=(source or request_source(request))[:100],
        ip_address=client_ip(request) if request is not None else None,
    )


TASK_EDITABLE_FIELDS = ("title", "description", "work_line", "area", "lead_leader", "responsible", "due_on", "target")
# What makes the assignment: who leads it, who answers for it, where, by when, towards what. A
# leader or a data admin sets these; the cadre who answers for the task reports its progress and
# status (task_add_update) and may put its description in her own words.
TASK_ASSIGNMENT_FIELDS = ("title", "work_line", "area", "lead_leader", "responsible", "due_on", "target")


def _refuse_unknown(fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(TASK_EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})


def _check_task_scope(acting_user: User, fields: dict[str, Any]) -> None:
    """A task may only point at an area the writer serves and a target the writer can see."""
    area = fields.get("area")
    if area is not None and not areas_changeable_by(acting_user).filter(pk=area.pk).exists():
        raise ValidationError({"area": _("Choose an area you serve.")})
    target = fields.get("target")
    if target is not None and not Target.objects.visible_to(acting_user).filter(pk=target.pk).exists():
        raise ValidationError({"target": _("Choose a target you can see.")})


@transaction.atomic
def task_create(*, acting_user: User, **fields: Any) -> Task:
    """Set up a task: giving out work is a leader's or a data admin's."""
    _refuse_unknown(fields)
    if not may_assign(acting_user) or not acting_user.has_perm("xicheng.add_task"):
        raise PermissionDenied(_("Only a leader or a data admin sets up tasks."))
    _check_task_scope(acting_user, fields)
    task = Task(**fields)
    task.full_clean()
    task.save()
    return task


@transaction.atomic
def task_edit(*, task: Task, acting_user: User, version: int | None, **fields: Any) -> Task:
    """Change a task's fields; the assignment fields only by a leader or a data admin."""
    _refuse_unknown(fields)
    with locked_for_change(task, version=version, by=acting_user) as locked:
        reassigned = [
            name for name in TASK_ASSIGNMENT_FIELDS if name in fields and getattr(locked, name) != fields[name]
        ]
        require_assigner(acting_user, reassigned, Task)
        _check_task_scope(acting_user, {name: fields[name] for name in reassigned})
        for name, value in fields.items():
            setattr(locked, name, value)
    events.emit(events.TASK_UPDATED, events.record_payload(locked, state=locked.status))
    return locked


@transaction.atomic
def manual_reading_add(
    *, indicator: Indicator, area: Area, on: date, value: Decimal, acting_user: User, note: str = ""
) -> ManualReading:
    """A manual indicator's figure for an area: the increase since the last reading, typed by the
    cadre who owns the indicator for an area she serves. A reading is added, never an edit, so
    two of them never conflict."""
    if indicator.source != Indicator.Source.MANUAL or indicator.owner_id != acting_user.pk:
        raise PermissionDenied(_("Only the owner of a manual indicator enters its readings."))
    if not acting_user.has_perm("xicheng.add_manualreading"):
        raise PermissionDenied(_("Only the owner of a manual indicator enters its readings."))
    if area not in served_areas(acting_user):
        raise ValidationError({"area": _("Choose an area you serve.")})
    reading = ManualReading(
        indicator=indicator, area=area, on=on, value=value, note=note.strip(), entered_by=acting_user
    )
    reading.full_clean(exclude=["indicator", "area", "entered_by"])
    reading.save()
    return reading
