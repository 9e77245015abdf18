"""One reading of the period and date parameters (`start`, `end`, `as_of`, `year`, `period`) and of
dates in paths (`/welfare/centres/1/sheet/2026-06-30/`), shared by the pages, the API and the exports.

A value that is not a day of the calendar, lies outside the years the system keeps records for, or
contradicts another parameter is refused with a message that names the parameter: the API answers
400, a page shows the message with status 400. Nothing falls back quietly to the default period,
because a leader reading last year's figures under this year's heading is worse than an error.

The defaults, when a parameter is absent: `as_of` is today; the period is `start`–`end` when both
are given, else `period` (h1, h2, q1–q4, m1–m12, year) of `year` (this year), else the whole
`year` when only the year is given, else this half-year.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xicheng.periods import Period
from xicheng.validators import earliest_record_date

ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
PERIOD_KINDS = ["h1", "h2", "q1", "q2", "q3", "q4", *(f"m{m}" for m in range(1, 13)), "year"]
# Half-years, quarters, years and the five-year plans (十四五) fit; a century of weekly trend points
# does not, and nobody reads one.
MAX_PERIOD_YEARS = 10
# The last day anything may be asked about: far enough for any plan, near enough that date
# arithmetic (a period's end, a week's Sunday) can never run past date.max.
LATEST_DAY = date(2100, 12, 31)


class ParamError(Exception):
    """Parameters that cannot be read: `errors` maps each parameter to its messages."""

    def __init__(self, errors: Mapping[str, list[str]]) -> None:
        super().__init__("; ".join(m for ms in errors.values() for m in ms))
        self.errors = {name: list(messages) for name, messages in errors.items()}

    @property
    def messages(self) -> list[str]:
        return [m for ms in self.errors.values() for m in ms]


def _named(label: str | Promise, name: str) -> dict[str, str]:
    return {"label": str(label), "name": name}


def parse_day(raw: str, *, name: str, label: str | Promise) -> date:
    """A day written YYYY-MM-DD that exists and lies within the years kept; else ParamError."""
    raw = raw.strip()
    if not ISO_DAY.match(raw):
        message = _("%(label)s (%(name)s) must be a date written YYYY-MM-DD, e.g. 2026-06-30.")
        raise ParamError({name: [message % _named(label, name)]})
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        message = _("%(label)s (%(name)s): %(value)s is not a day of the calendar.")
        raise ParamError({name: [message % {**_named(label, name), "value": raw}]}) from None
    first, last = earliest_record_date(), LATEST_DAY
    if not first <= day <= last:
        message = _("%(label)s (%(name)s) must lie between %(first)s and %(last)s.")
        raise ParamError({name: [message % {**_named(label, name), "first": first, "last": last}]})
    return day


class DayField(forms.CharField):
    """A form field for one day, read by `parse_day`; the field's name is the parameter's."""

    def __init__(self, *, name: str, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.param = name

    def clean(self, value: Any) -> date | None:
        raw = super().clean(value)
        if not raw:
            return None
        try:
            return parse_day(raw, name=self.param, label=self.label or self.param)
        except ParamError as e:
            raise forms.ValidationError(e.messages) from None


class DateParamsForm(forms.Form):
    """The parameters every figure is asked with. Unknown parameters (filters, page) are left alone."""

    start = DayField(name="start", label=gettext_lazy("Start date"))
    end = DayField(name="end", label=gettext_lazy("End date"))
    as_of = DayField(name="as_of", label=gettext_lazy("As-of day"))
    year = forms.CharField(required=False, label=gettext_lazy("Year"))
    period = forms.CharField(required=False, label=gettext_lazy("Period"))

    def __init__(self, data: Mapping[str, Any], *, today: date | None = None) -> None:
        super().__init__(data)
        self.today = today or timezone.localdate()

    def clean_year(self) -> int | None:
        raw = (self.cleaned_data.get("year") or "").strip()
        if not raw:
            return None
        first, last = earliest_record_date().year, LATEST_DAY.year
        if not re.fullmatch(r"\d{4}", raw) or not first <= int(raw) <= last:
            message = _("%(label)s (%(name)s) must be a year from %(first)s to %(last)s.")
            raise forms.ValidationError(message % {**_named(_("Year"), "year"), "first": first, "last": last})
        return int(raw)

    def clean_period(self) -> str:
        kind = (self.cleaned_data.get("period") or "").strip().lower()
        if kind and kind not in PERIOD_KINDS:
            message = _("%(label)s (%(name)s) must be one of h1, h2, q1–q4, m1–m12 or year.")
            raise forms.ValidationError(message % _named(_("Period"), "period"))
        return kind

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        start, end = data.get("start"), data.get("end")
        if self.has_error("start") or self.has_error("end"):
            return data
        if (start is None) != (end is None):
            missing = "end" if end is None else "start"
            self.add_error(missing, _("Give both the start (start) and the end (end) of the period."))
        elif start is not None and end is not None:
            if end < start:
                self.add_error("end", _("The end (end) of the period is before its start (start)."))
            elif (end - start).days > MAX_PERIOD_YEARS * 366:
                message = _("A period may span at most %(years)s years.")
                self.add_error("end", message % {"years": MAX_PERIOD_YEARS})
        return data

    @property
    def period_asked(self) -> Period:
        """The period, once the form is valid."""
        data = self.cleaned_data
        if data.get("start") and data.get("end"):
            return Period(data["start"], data["end"])
        year, kind = data.get("year"), data.get("period") or ""
        if not kind:
            return Period.year(year) if year else Period.half_year_of(self.today)
        year = year or self.today.year
        if kind in ("h1", "h2"):
            return Period.half_year(year, int(kind[1]))
        if kind.startswith("q"):
            return Period.quarter(year, int(kind[1]))
        if kind.startswith("m"):
            return Period.month(year, int(kind[1:]))
        return Period.year(year)

    @property
    def as_of_asked(self) -> date:
        return self.cleaned_data.get("as_of") or self.today


@dataclass(frozen=True)
class DateParams:
    period: Period
    as_of: date


def _read(params: Mapping[str, Any], today: date | None) -> DateParamsForm:
    form = DateParamsForm(params, today=today)
    if not form.is_valid():
        raise ParamError({name: [str(m) for m in messages] for name, messages in form.errors.items()})
    return form


def read_dates(params: Mapping[str, Any], today: date | None = None) -> DateParams:
    """The period and the as-of day a request asks for; ParamError names what cannot be read."""
    form = _read(params, today)
    return DateParams(period=form.period_asked, as_of=form.as_of_asked)


def read_as_of(params: Mapping[str, Any], today: date | None = None) -> date:
    """The as-of day alone (lists and drill-downs that show figures of their own period)."""
    raw = params.get("as_of", "") or ""
    if not raw:
        return today or timezone.localdate()
    return parse_day(str(raw), name="as_of", label=gettext_lazy("As-of day"))


def read_path_day(raw: str, name: str = "day") -> date:
    """A day in a URL path, e.g. the sheet's `/sheet/2026-06-30/`."""
    return parse_day(raw, name=name, label=gettext_lazy("Day"))
