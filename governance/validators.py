"""The 18-digit PRC resident ID number: its birth date and its ISO 7064 MOD 11-2 check digit."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
CHECK_DIGITS = "10X98765432"


def id_check_digit(first17: str) -> str:
    """The check character for the first 17 digits (ISO 7064 MOD 11-2, as GB 11643 applies it)."""
    return CHECK_DIGITS[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


def normalise_id_number(value: str) -> str:
    return (value or "").strip().upper()


def validate_id_number(value: str) -> None:
    """Refuse anything but 17 digits, a real birth date, and the right check character.

    The messages never repeat the number: it is personal data and error pages get logged."""
    number = normalise_id_number(value)
    if len(number) != 18 or not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise ValidationError(_("An ID number has 17 digits followed by a digit or X."), code="id_format")
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError(_("The birth date inside this ID number does not exist."), code="id_birth") from None
    if born.year < 1900 or born > date.today():
        raise ValidationError(_("The birth date inside this ID number does not exist."), code="id_birth")
    if id_check_digit(number[:17]) != number[17]:
        raise ValidationError(
            _("The ID number's check digit is wrong: please check the number again."), code="id_check"
        )
