"""Progress arithmetic (DESIGN.md): one function, used by the web pages, the API and the exports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Light(models.TextChoices):
    DONE = "done", _("Done")
    GREEN = "green", _("On pace")
    YELLOW = "yellow", _("Slightly behind")
    RED = "red", _("Behind")


@dataclass(frozen=True)
class Progress:
    actual: float
    target: float
    percent: float  # actual as a share of the target, in percent
    expected: float  # what the pro-rata pace asks for by as_of
    elapsed: float  # share of the period gone by as_of, 0 to 1
    gap: float  # percentage points ahead (+) or behind (-) the pace
    light: Light

    def as_dict(self) -> dict[str, object]:
        return {
            "actual": self.actual,
            "target": self.target,
            "percent": self.percent,
            "expected": self.expected,
            "gap": self.gap,
            "light": self.light.value,
        }


def time_elapsed(start: date, end: date, as_of: date) -> float:
    """Share of the period gone by the end of as_of, clamped to [0, 1]; a period counts whole days."""
    total = (end - start).days + 1
    gone = (as_of - start).days + 1
    return min(max(gone / total, 0.0), 1.0)


def progress(
    *,
    actual: float | Decimal,
    target: float | Decimal,
    start: date,
    end: date,
    as_of: date,
    lower_is_better: bool = False,
    yellow_gap: float | None = None,
) -> Progress:
    """How far `actual` has come against `target` over [start, end], as of a day.

    Higher is better: done once actual reaches the target; otherwise green on or ahead of the
    pro-rata pace, yellow when behind by less than `yellow_gap` points, red when further behind.
    Lower is better (the target is a ceiling): the comparison is inverted; exceeding the ceiling is
    red at once, and staying under it is done when the period is over.
    """
    threshold = float(settings.PROGRESS_YELLOW_GAP if yellow_gap is None else yellow_gap)
    actual_f, target_f = float(actual), float(target)
    elapsed = time_elapsed(start, end, as_of)
    expected = target_f * elapsed
    if target_f > 0:
        percent = actual_f / target_f * 100
    else:
        percent = 0.0 if (lower_is_better and actual_f <= 0) else 100.0

    if lower_is_better:
        gap = elapsed * 100 - percent if target_f > 0 else (0.0 if actual_f <= 0 else -100.0)
        if actual_f > target_f:
            light = Light.RED
        elif elapsed >= 1:
            light = Light.DONE
        else:
            light = _light_for_gap(gap, threshold)
    else:
        gap = percent - elapsed * 100 if target_f > 0 else 0.0
        light = Light.DONE if actual_f >= target_f else _light_for_gap(gap, threshold)
    return Progress(
        actual=as_number(actual_f),
        target=as_number(target_f),
        percent=round(percent, 1),
        expected=round(expected, 2),
        elapsed=round(elapsed, 4),
        gap=round(gap, 1),
        light=light,
    )


def _light_for_gap(gap: float, threshold: float) -> Light:
    # Rounding first, so that a figure shown as "on pace" is never lit yellow.
    gap = round(gap, 6)
    if gap >= 0:
        return Light.GREEN
    if gap > -threshold:
        return Light.YELLOW
    return Light.RED


def as_number(value: float) -> float:
    """Whole numbers as ints (1000, not 1000.0); others to two places."""
    return int(value) if value == int(value) else round(value, 2)
