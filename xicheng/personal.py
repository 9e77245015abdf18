"""Personal data under PIPL: encrypted at rest, found by a keyed hash, shown masked without the right.

One declaration per personal field and one way to show it:

- a model declares each personal field with its kind (`Kind.NAME`, `PHONE`, `ID_NUMBER`,
  `CONTACT`): `EncryptedCharField(..., kind=Kind.PHONE)` for what is encrypted at rest (with a
  `<field>_index` CharField beside it where exact search is needed, see `blind_index`), or
  `PersonalCharField(..., kind=Kind.NAME)` for a name kept in clear (searched by its letters);
- `reveal(user, subject=…, request=…)` is the one show path: whether the user sees personal data
  whole (the `xicheng.view_personal_data` right), with every whole read logged as an audit event;
- `shown(instance, field, whole)` and `masked(instance, field)` give a field's value as shown,
  masked by its kind; the API (`xicheng.serializers.MasksPersonalData`), the exports
  (`xicheng.resources.RegisterResource`), the admin (`masked_column`) and the pages use them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Callable, Sequence
from enum import StrEnum
from functools import cache
from typing import Any, TypeVar

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models

from xicheng.roles import AnyUser

PERSONAL_DATA_PERMISSION = "xicheng.view_personal_data"


@cache
def _fernet(key: str) -> Fernet:
    digest = hashlib.sha256(("fernet:" + key).encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


# `key` is given only by the key rotation (`manage.py rotate_personal_data_key`); everything else
# uses the configured PERSONAL_DATA_KEY.


def encrypt(value: str, key: str | None = None) -> str:
    return _fernet(key or settings.PERSONAL_DATA_KEY).encrypt(value.encode()).decode()


def decrypt(token: str, key: str | None = None) -> str:
    try:
        return _fernet(key or settings.PERSONAL_DATA_KEY).decrypt(token.encode()).decode()
    except InvalidToken:
        raise ValueError("Personal data cannot be decrypted with the configured PERSONAL_DATA_KEY.") from None


def blind_index(value: str, key: str | None = None) -> str:
    """A keyed hash for exact-match search: equal inputs match, the hash reveals nothing else."""
    normalised = value.strip().upper()
    digest_key = hashlib.sha256(("index:" + (key or settings.PERSONAL_DATA_KEY)).encode()).digest()
    return hmac.new(digest_key, normalised.encode(), hashlib.sha256).hexdigest()


_QS = TypeVar("_QS", bound=models.QuerySet[Any])


def exactly(queryset: _QS, name: str, value: str) -> _QS:
    """The rows whose encrypted field `name` is `value`, matched on its blind index `<name>_index`."""
    return queryset.filter(**{f"{name}_index": blind_index(value)})


class Kind(StrEnum):
    """What a personal field holds, which says how it reads masked."""

    NAME = "name"
    PHONE = "phone"
    ID_NUMBER = "id_number"
    CONTACT = "contact"  # a name and a phone in free text (儿子 13812345678)


class EncryptedCharField(models.TextField):
    """Stores a Fernet token; Python code sees the plain text. Not searchable: pair it with a
    blind index field named `<field>_index` (see `blind_index`) where exact-match search is needed.

    `kind` says how the value reads masked. It changes nothing in the database, so it is left out
    of migrations (historical models built from them have none)."""

    def __init__(self, *args: Any, kind: Kind | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.personal_kind = kind

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(str(value))


class PersonalCharField(models.CharField):
    """Personal data kept in clear (a name, found by its letters), shown masked like `kind`.

    In migrations it is a plain CharField: the kind is about showing, not storing."""

    def __init__(self, *args: Any, kind: Kind | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.personal_kind = kind

    def deconstruct(self) -> Any:
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.CharField", args, kwargs


def mask_phone(phone: str) -> str:
    """138****5678: the first three and last four digits stay."""
    if not phone:
        return ""
    if len(phone) <= 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_id_number(number: str) -> str:
    """330784********123X: the first six (the place) and last four stay."""
    if not number:
        return ""
    if len(number) <= 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_name(name: str) -> str:
    """张*明: the family name and, for longer names, the last character stay."""
    if not name:
        return ""
    if len(name) == 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_contact(contact: str) -> str:
    """Digits of a contact masked like a phone; the words (儿子, 邻居) stay."""
    return re.sub(r"\d{7,}", lambda m: mask_phone(m.group(0)), contact or "")


MASKS: dict[Kind, Callable[[str], str]] = {
    Kind.NAME: mask_name,
    Kind.PHONE: mask_phone,
    Kind.ID_NUMBER: mask_id_number,
    Kind.CONTACT: mask_contact,
}


def personal_kind(model: Any, path: str) -> Kind | None:
    """The kind of the personal field at `path` of `model` ("phone", "elder.name"), or None when
    the path does not end on a personal field."""
    field: Any = None
    for part in path.replace("__", ".").split("."):
        if field is not None:
            model = field.related_model
        if model is None:
            return None
        try:
            field = model._meta.get_field(part)
        except (AttributeError, FieldDoesNotExist):  # not a model, or no such field
            return None
    return getattr(field, "personal_kind", None)


def masked(instance: models.Model, name: str) -> str:
    """The value of the personal field `name` of `instance`, masked by its kind."""
    kind = personal_kind(type(instance), name)
    if kind is None:
        raise LookupError(f"{type(instance).__name__}.{name} is not declared as a personal field.")
    return MASKS[kind](getattr(instance, name) or "")


def shown(instance: models.Model, name: str, whole: bool) -> str:
    """The value of the personal field `name` as shown: whole (`reveal` said so) or masked."""
    return (getattr(instance, name) or "") if whole else masked(instance, name)


def masked_column(name: str, description: Any) -> Callable[[Any, models.Model], str]:
    """An admin column (list_display, readonly_fields) showing the personal field `name` masked:
    `masked_phone = masked_column("phone", _("phone"))`."""
    # Imported here: this module is read with the models, before the admin may be.
    from django.contrib import admin

    @admin.display(description=description)
    def column(model_admin: Any, instance: models.Model) -> str:
        return masked(instance, name)

    return column


def may_see_personal_data(user: AnyUser | None) -> bool:
    """The right to see personal data whole; everyone else sees it masked."""
    return bool(user is not None and user.is_authenticated and user.has_perm(PERSONAL_DATA_PERMISSION))


def log_personal_read(*, user: AnyUser, subject: str, request: Any = None) -> None:
    """Record that `user` read personal data unmasked (DESIGN.md, Personal data)."""
    from xicheng.models import AuditEvent
    from xicheng.services import audit_log

    audit_log(user=user, action=AuditEvent.Action.VIEW_PERSONAL, subject=subject, request=request)


def reveal(user: AnyUser, *, subject: str, request: Any = None, showing: bool = True) -> bool:
    """The one show path: whether `user` sees personal data whole. When they do and the answer
    shows some (`showing`: not an empty page), the read is logged under `subject`."""
    whole = may_see_personal_data(user)
    if whole and showing:
        log_personal_read(user=user, subject=subject, request=request)
    return whole


def show_rows(rows: Sequence[models.Model], fields: Sequence[str], whole: bool) -> None:
    """Give each row `<field>_shown` for its templates: whole, or masked by the field's kind."""
    for row in rows:
        for name in fields:
            setattr(row, f"{name}_shown", shown(row, name, whole))


def reveal_rows(request: Any, rows: Sequence[models.Model], fields: Sequence[str], *, subject: str) -> bool:
    """What a page shows of its rows' personal fields: `<field>_shown` on each row, whole for a user
    with the right (the read logged once, under `subject`) and masked for everyone else."""
    whole = reveal(request.user, subject=subject, request=request, showing=bool(rows))
    show_rows(rows, fields, whole)
    return whole
