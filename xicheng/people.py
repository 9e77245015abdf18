"""The fields a register uses to name a person, and its version counter: one line per field.

Each factory returns the very field the registers used to spell out by hand (the same arguments,
so the same migration state): who answers for a row is checked by role when a form or the API
validates it, and who merely entered a row is kept without a reverse accessor on the user.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, overload

from django.conf import settings
from django.db import models

from xicheng.validators import validate_field_worker, validate_leader

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.db.models.expressions import Combinable


def _user_field(verbose_name: Any, **kwargs: Any) -> models.ForeignKey[Any, Any]:
    # PROTECT: a user named on a row cannot be deleted while the row stands.
    return models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=verbose_name, on_delete=models.PROTECT, **kwargs)


def leader_field(verbose_name: Any, *, related_name: str) -> models.ForeignKey[User, User]:
    """A lead leader (分管领导): one of the subdistrict's leaders."""
    return _user_field(verbose_name, related_name=related_name, validators=[validate_leader])


@overload
def field_worker_field(
    verbose_name: Any, *, related_name: str = "+", optional: Literal[False] = False
) -> models.ForeignKey[User, User]: ...
@overload
def field_worker_field(
    verbose_name: Any, *, related_name: str = "+", optional: Literal[True]
) -> models.ForeignKey[User | None, User | None]: ...
def field_worker_field(
    verbose_name: Any, *, related_name: str = "+", optional: bool = False
) -> models.ForeignKey[Any, Any]:
    """Whoever answers for the work: a cadre or a leader (`optional`: nobody yet)."""
    return _user_field(
        verbose_name, null=optional, blank=optional, related_name=related_name, validators=[validate_field_worker]
    )


def entered_by_field(verbose_name: Any) -> models.ForeignKey[User | None, User | None]:
    """Who entered or closed the row (the acting user at the time); the user gets no reverse accessor."""
    return _user_field(verbose_name, null=True, blank=True, related_name="+")


def version_field() -> models.PositiveIntegerField[float | int | str | Combinable, int]:
    """The row's version: every service write bumps it, and a write that names an older one is
    refused (xicheng.locking), so two people editing the same row cannot overwrite each other."""
    return models.PositiveIntegerField(default=1, editable=False)
