"""Reporting periods: half-years, quarters, months or any range of days."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _


@dataclass(frozen=True, order=True)
class Period:
    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("A period ends on or after its start.")

    @classmethod
    def half_year(cls, year: int, half: int) -> Period:
        return cls(date(year, 1, 1), date(year, 6, 30)) if half == 1 else cls(date(year, 7, 1), date(year, 12, 31))

    @classmethod
    def half_year_of(cls, day: date) -> Period:
        return cls.half_year(day.year, 1 if day.month <= 6 else 2)

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        first = 3 * (quarter - 1) + 1
        return cls(date(year, first, 1), date(year, first + 2, calendar.monthrange(year, first + 2)[1]))

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        return cls(date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]))

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(date(year, 1, 1), date(year, 12, 31))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def label(self) -> str:
        s, e = self.start, self.end
        if s.month == 1 and s.day == 1 and e == date(s.year, 12, 31):
            return _("%(year)s") % {"year": s.year}
        if s == date(s.year, 1, 1) and e == date(s.year, 6, 30):
            return _("%(year)s H1") % {"year": s.year}
        if s == date(s.year, 7, 1) and e == date(s.year, 12, 31):
            return _("%(year)s H2") % {"year": s.year}
        if s.day == 1 and (s.month - 1) % 3 == 0 and self == Period.quarter(s.year, (s.month - 1) // 3 + 1):
            return _("%(year)s Q%(quarter)s") % {"year": s.year, "quarter": (s.month - 1) // 3 + 1}
        if s.day == 1 and self == Period.month(s.year, s.month):
            return _("%(year)s-%(month)02d") % {"year": s.year, "month": s.month}
        return f"{s:%Y-%m-%d} – {e:%Y-%m-%d}"
