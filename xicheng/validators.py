"""Facts that can happen: the validators every app's models, forms, serializers and imports share,
so that the page, the API, the admin and an Excel import refuse the same things with the same
message. Dates are judged against `xicheng.clock.today()`; the floor and the horizon are settings
(EARLIEST_RECORD_DATE, PLAN_HORIZON_YEARS)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _

from xicheng import clock

# Free text: a progress note, a summary, a finding. Enough for a page of Chinese, not a dump.
NOTE_LENGTH = 2000
# A name with its phone ("张三 13812345678"), a short description.
SHORT_TEXT_LENGTH = 100


def earliest_record_date() -> date:
    value = getattr(settings, "EARLIEST_RECORD_DATE", date(2000, 1, 1))
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def plan_horizon() -> date:
    """The last day a due date or deadline may fall on: PLAN_HORIZON_YEARS after today."""
    today = clock.today()
    years = int(getattr(settings, "PLAN_HORIZON_YEARS", 5))
    try:
        return today.replace(year=today.year + years)
    except ValueError:  # 29 February
        return today.replace(year=today.year + years, day=28)


def _iso(day: date) -> str:
    return day.isoformat()


def validate_not_before_floor(value: date | None) -> None:
    if value is None:
        return
    floor = earliest_record_date()
    if value < floor:
        raise ValidationError(
            _("%(day)s is before %(floor)s, the earliest day this system records.")
            % {"day": _iso(value), "floor": _iso(floor)},
            code="before_floor",
        )


def validate_not_future(value: date | None) -> None:
    if value is None:
        return
    today = clock.today()
    if value > today:
        raise ValidationError(
            _("%(day)s is after today (%(today)s): record what has happened, on the day it happened.")
            % {"day": _iso(value), "today": _iso(today)},
            code="future",
        )


def validate_within_horizon(value: date | None) -> None:
    if value is None:
        return
    horizon = plan_horizon()
    if value > horizon:
        raise ValidationError(
            _("%(day)s is too far ahead: a due date or deadline can be at most %(years)s years away (%(horizon)s).")
            % {"day": _iso(value), "years": getattr(settings, "PLAN_HORIZON_YEARS", 5), "horizon": _iso(horizon)},
            code="beyond_horizon",
        )


# An event: something that happened (an inspection, a hazard found or rectified, a dispute's step,
# an enrolment, a delivery, a report). Never after today, never before the floor.
EVENT_DATE = [validate_not_before_floor, validate_not_future]
# A plan: a due date, a deadline, a planned stage. Not before the floor, not beyond the horizon.
PLAN_DATE = [validate_not_before_floor, validate_within_horizon]
# A date that may lie a little ahead (an elder's last day of meals): only the floor and the horizon.
SCHEDULED_DATE = PLAN_DATE


def check_event_date(value: date, field: str) -> None:
    """The event-date rules for a date a service receives as an argument, named for the field."""
    try:
        for validator in EVENT_DATE:
            validator(value)
    except ValidationError as e:
        raise ValidationError({field: e.messages}) from None


# Mainland phones: a mobile (11 digits, 13x–19x) or a landline with its area code
# (0579-87654321, 010-62345678, with or without the hyphen, optionally an extension); local
# numbers never start with 0 or 1.
MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}-?[2-9]\d{6,7}(?:-\d{1,6})?$")


def normalise_phone(value: str) -> str:
    """What people type, as stored: spaces dropped, a +86 prefix dropped."""
    value = (value or "").strip().replace(" ", "")
    if value.startswith("+86"):
        value = value[3:].lstrip("-")
    return value


def validate_phone(value: str) -> None:
    if not value:
        return
    phone = normalise_phone(value)
    if not (MOBILE.match(phone) or LANDLINE.match(phone)):
        raise ValidationError(
            _(
                "Enter a mainland phone number: a mobile of 11 digits starting 13–19 (13812345678) or a landline with its area code (0579-87654321)."
            ),
            code="phone",
        )


@deconstructible
class MaxYearFromToday:
    """A year no later than this one (a birth year)."""

    def __call__(self, value: int | None) -> None:
        if value is None:
            return
        this_year = clock.today().year
        if value > this_year:
            raise ValidationError(
                _("%(year)s is after this year (%(this_year)s).") % {"year": value, "this_year": this_year},
                code="future_year",
            )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MaxYearFromToday)

    def __hash__(self) -> int:
        return hash(type(self))


def year_validators(earliest: int = 1900) -> list[Any]:
    return [
        MinValueValidator(earliest),
        MaxYearFromToday(),
    ]


def count_validators(low: int, high: int) -> list[Any]:
    """A count or size in a sane range: `low` to `high`."""
    return [MinValueValidator(low), MaxValueValidator(high)]


def note_validators(length: int = NOTE_LENGTH) -> list[Any]:
    """For a TextField: the model checks the length (a TextField's max_length alone only sizes
    forms and serializers)."""
    return [MaxLengthValidator(length)]


# People ------------------------------------------------------------------------------------------


def _user_of(value: Any) -> Any:
    from django.contrib.auth import get_user_model

    if value is None or value == "":
        return None
    if hasattr(value, "pk") and hasattr(value, "groups"):
        return value
    return get_user_model()._default_manager.filter(pk=value).first()


def _name(user: Any) -> str:
    cadre = getattr(user, "cadre", None)
    return cadre.name if cadre is not None else user.get_username()


def _check_person(value: Any, roles: set[str], message: str) -> None:
    from xicheng.roles import roles_of

    user = _user_of(value)
    if user is None:
        return  # the foreign key itself reports a missing row
    if not user.is_active or not (roles_of(user) & roles):
        raise ValidationError(message % {"name": _name(user)}, code="wrong_role")


def validate_leader(value: Any) -> None:
    """A lead leader (分管领导) is one of the subdistrict's leaders."""
    from xicheng.roles import Role

    _check_person(value, {Role.LEADER}, _("%(name)s is not a leader: choose one of the subdistrict's leaders."))


def validate_field_worker(value: Any) -> None:
    """Whoever answers for a piece of work is a cadre or a leader: never an administrator, the
    auditor or an API client."""
    from xicheng.roles import Role

    _check_person(
        value,
        {Role.CADRE, Role.LEADER},
        _("%(name)s is neither a cadre nor a leader: work can only be given to the subdistrict's people."),
    )
