"""The locked write: the one way a service changes a row that others may be editing.

    with locked_for_change(household, version=version, by=acting_user) as locked:
        locked.advance(on)

checks that the user may change the row (`can_change`, else PermissionDenied), locks it
(`SELECT … FOR UPDATE`), compares the version the user read with the row's (a stale one raises
`Conflict`, carrying the current version, and nothing is written), hands the locked row to the
block, then validates the fields the block changed (their validators, the model's `clean()` and
every constraint), bumps the version and saves only what changed — so django-simple-history
records one change, by that user. The caller's own instance is brought up to date as well.

A model is *versioned* when it has a `version` field; for those a version is required. Models
without one (a migrant, an area) are still locked and validated, last writer wins.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from xicheng.roles import AnyUser, Role, roles_of
from xicheng.scope import can_change

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class Versioned(Protocol):
    """A row with a `version` field (`is_versioned`), as the type checker sees it."""

    version: int


M = TypeVar("M", bound=models.Model)


class Conflict(ValidationError):
    """The row changed since the user read it; nothing was written. `current_version` is the
    row's version now, so an API client can re-read and retry."""

    def __init__(self, message: Any, *, current_version: int | None = None) -> None:
        super().__init__(message, code="conflict")
        self.current_version = current_version


def is_versioned(model: type[models.Model] | models.Model) -> bool:
    return any(f.name == "version" for f in model._meta.concrete_fields)


def thing(obj: models.Model | type[models.Model]) -> str:
    """What users call the row: its model's verbose name, in their language."""
    return str(obj._meta.verbose_name)


def conflict_message(label: str, current: int, sent: int | None) -> str:
    return _(
        "This %(thing)s was changed by someone else meanwhile (it is now at version %(current)s; you read version %(sent)s). Nothing was saved: reload it and try again."
    ) % {"thing": label, "current": current, "sent": sent}


def missing_version_message(label: str) -> str:
    return _(
        "Send the version of the %(thing)s you read (the “version” field, or an If-Match header with the ETag), so that no one else's change is overwritten."
    ) % {"thing": label}


def refuse_stale(row: models.Model, version: int | None, *, label: str | None = None) -> None:
    """Raise the one Conflict (or the one missing-version error) for a locked versioned row."""
    label = label or thing(row)
    if version is None:
        raise ValidationError({"version": missing_version_message(label)}, code="version_required")
    current = cast(Versioned, row).version  # the caller locked a versioned row
    if current != version:
        raise Conflict(conflict_message(label, current, version), current_version=current)


def may_assign(user: AnyUser) -> bool:
    """Who gives out work: a leader or a data admin. A cadre reports progress and status; she
    does not re-assign what she answers for."""
    return bool(roles_of(user) & {Role.LEADER, Role.DATA_ADMIN})


def require_assigner(user: AnyUser, fields: list[str], model: type[models.Model]) -> None:
    """Refuse a change of assignment fields by anyone but a leader or a data admin, naming them."""
    if not fields or may_assign(user):
        return
    names = "、".join(str(getattr(model._meta.get_field(f), "verbose_name", f)) for f in fields)
    raise PermissionDenied(
        _("Only a leader or a data admin may change %(fields)s of a %(thing)s.")
        % {"fields": names, "thing": thing(model)}
    )


def _concrete(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return [f for f in model._meta.concrete_fields if not f.primary_key]


@contextmanager
def locked_for_change(
    obj: M,
    *,
    version: int | None,
    by: User,
    label: str | None = None,
    check_scope: bool = True,
) -> Iterator[M]:
    """Lock `obj`'s row for the block, refuse a stale version, then validate, bump and save.

    `label` names the row in messages (its model's verbose name by default). `check_scope=False`
    is for the system's own writes (a scheduled job), never for a user's."""
    model = type(obj)
    label = label or thing(obj)
    if check_scope and not can_change(by, obj):
        raise PermissionDenied(_("You may not change this %(thing)s.") % {"thing": label})
    versioned = is_versioned(model)
    if versioned and version is None:
        raise ValidationError({"version": missing_version_message(label)}, code="version_required")
    with transaction.atomic():
        locked = model._default_manager.select_for_update().get(pk=obj.pk)
        if versioned:
            refuse_stale(locked, version, label=label)
        fields = _concrete(model)
        before = {f.attname: getattr(locked, f.attname) for f in fields}
        # The history records who did it, also outside a request (a service called by a job or a test).
        # django-simple-history reads who made the change from this attribute, outside a request too.
        setattr(locked, "_history_user", by)  # noqa: B010
        yield locked
        changed = [f for f in fields if getattr(locked, f.attname) != before[f.attname]]
        unchanged = [f.name for f in fields if f not in changed]
        # Only what the block changed is judged by the field validators (an old row is not refused
        # for a rule that came later); the model's clean() and every constraint are judged whole.
        locked.clean_fields(exclude=unchanged)
        locked.clean()
        locked.validate_unique(exclude=unchanged)
        locked.validate_constraints()
        update_fields = [f.name for f in changed if f.name != "version"]
        if versioned:
            # A versioned row came with a version: None was refused above.
            cast(Versioned, locked).version = cast(int, version) + 1
            update_fields.append("version")
        if update_fields:
            locked.save(update_fields=update_fields)
    _refresh(obj, locked, update_fields)


def _refresh(obj: models.Model, locked: models.Model, names: list[str]) -> None:
    """Bring the caller's instance up to date with what was saved (views re-render it)."""
    if obj is locked:
        return
    for name in names:
        field = obj._meta.get_field(name)
        if field.is_relation:
            setattr(obj, name, getattr(locked, name))
        else:
            attname = cast("models.Field[Any, Any]", field).attname  # not a relation: a concrete field
            setattr(obj, attname, getattr(locked, attname))
