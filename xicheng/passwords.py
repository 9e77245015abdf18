"""The password rule of 等保三级: long enough (Django's MinimumLengthValidator) and mixed."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

CLASSES = (str.islower, str.isupper, str.isdigit)


def character_classes(password: str) -> int:
    """How many of lower-case letters, upper-case letters, digits and other characters it uses."""
    used = {i for char in password for i, test in enumerate(CLASSES) if test(char)}
    if any(not (char.islower() or char.isupper() or char.isdigit()) for char in password):
        used.add(len(CLASSES))
    return len(used)


class CharacterClassValidator:
    """At least `min_classes` of the four character classes (li123456 has two: refused)."""

    def __init__(self, min_classes: int = 3) -> None:
        self.min_classes = min_classes

    def validate(self, password: str, user: Any = None) -> None:
        if character_classes(password) < self.min_classes:
            raise ValidationError(self.get_error_message(), code="password_too_simple")

    def get_error_message(self) -> str:
        return _(
            "The password must mix at least %(n)d of these: lower-case letters, upper-case letters, digits, symbols."
        ) % {"n": self.min_classes}

    def get_help_text(self) -> str:
        return _("Use at least %(n)d of these: lower-case letters, upper-case letters, digits, symbols.") % {
            "n": self.min_classes
        }
