"""How a figure reads on a page: whole counts whole, thousands grouped, the unit beside it, and a
gap in percentage points (百分点).

    {% load figures %}
    {{ row.progress.actual|figure:row.target.indicator.unit }}     → 1,234 户
    {{ row.progress.expected|figure_like:row.progress.target }}    → 264 (the target is a whole count)
    {{ row.progress.gap|points }}                                  → -2.6 百分点
"""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext

register = template.Library()

Number = int | float | Decimal


def _is_whole(value: Number) -> bool:
    return float(value) == int(float(value))


def group(value: Number | None, places: int = 2) -> str:
    """1234567 → "1,234,567"; 2.50 → "2.5": at most `places` decimals, none when whole."""
    if value is None or value == "":
        return "—"
    number = round(Decimal(str(value)), places)
    if number == number.to_integral_value():
        return number_format(int(number), decimal_pos=0, force_grouping=True)
    text = number_format(number, decimal_pos=places, force_grouping=True)
    return text.rstrip("0").rstrip(".") if "." in text else text


@register.filter
def figure(value: Number | None, unit: str = "") -> str:
    """A value with its thousands grouped and its unit: "16,502 户"."""
    text = group(value)
    return f"{text} {unit}" if unit and text != "—" else text


@register.filter
def figure_like(value: Number | None, like: Number | None) -> str:
    """A derived value (the pace, a share of a target) read the way its target reads: whole when the
    target is a whole count, so "应完成 264.35" of 500 households shows as 264."""
    if value is None or value == "":
        return "—"
    if like is not None and like != "" and _is_whole(like):
        return group(round(float(value)), 0)
    return group(value)


@register.filter
def percent(value: Number | None) -> str:
    """63.456 → "63.5%"."""
    if value is None or value == "":
        return "—"
    return f"{group(value, 1)}%"


@register.filter
def points(value: Number | None) -> str:
    """A gap against the pace in percentage points, signed: "+3.2 百分点", "-2.6 百分点"."""
    if value is None or value == "":
        return "—"
    number = round(float(value), 1)
    sign = "+" if number > 0 else ""
    return gettext("%(value)s pp") % {"value": f"{sign}{group(number, 1)}"}
