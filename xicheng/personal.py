"""Personal data under PIPL: encrypted at rest, found by a keyed hash, shown masked without the right."""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
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


class EncryptedCharField(models.TextField):
    """Stores a Fernet token; Python code sees the plain text. Not searchable: pair it with a
    blind index field (see `blind_index`) where exact-match search is needed."""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(str(value))


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


def may_see_personal_data(user: AnyUser) -> bool:
    return bool(user.is_authenticated and user.has_perm(PERSONAL_DATA_PERMISSION))
