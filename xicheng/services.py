"""Writes of the kernel that carry a rule: every one here, none in views, serializers or signals."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xicheng.history import client_ip, current_request
from xicheng.models import AuditEvent, Task, TaskUpdate
from xicheng.roles import AnyUser
from xicheng.scope import can_change


class Conflict(ValidationError):
    """The row changed since the user read it; nothing was written."""


@transaction.atomic
def task_add_update(
    *, task: Task, note: str, status: str, acting_user: AnyUser, version: int | None = None
) -> TaskUpdate:
    """Write a progress note on a task and move its status, as one change."""
    if not can_change(acting_user, task):
        raise PermissionDenied(_("You may not change this task."))
    locked = Task.objects.select_for_update().get(pk=task.pk)
    if version is not None and locked.version != version:
        raise Conflict(_("This task was changed by someone else. Reload and try again."))
    note = note.strip()
    if not note:
        raise ValidationError({"note": _("Write what has been done.")})
    if status not in Task.Status.values:
        raise ValidationError({"status": _("Choose a valid status.")})
    update = TaskUpdate.objects.create(task=locked, author=acting_user, note=note, status=status)
    locked.status = status
    locked.version += 1
    locked.save(update_fields=["status", "version"])
    task.status, task.version = locked.status, locked.version
    return update


def audit_log(
    *,
    user: Any,
    action: str,
    subject: str,
    request: Any = None,
    target_user: Any = None,
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


@transaction.atomic
def task_create(*, acting_user: AnyUser, **fields: Any) -> Task:
    unknown = set(fields) - set(TASK_EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    task = Task(**fields)
    task.full_clean()
    task.save()
    return task


@transaction.atomic
def task_edit(*, task: Task, acting_user: AnyUser, **fields: Any) -> Task:
    if not can_change(acting_user, task):
        raise PermissionDenied(_("You may not change this task."))
    unknown = set(fields) - set(TASK_EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    locked = Task.objects.select_for_update().get(pk=task.pk)
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.version += 1
    locked.full_clean()
    locked.save(update_fields=[*fields, "version"])
    return locked
