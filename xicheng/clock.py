"""The one "today" that the rules of fact read (no event after today, a zero report for today or
yesterday, due dates within the horizon). Call it as `clock.today()` so that a test can move the
clock with `monkeypatch.setattr("xicheng.clock.today", lambda: date(…))`."""

from __future__ import annotations

from datetime import date

from django.utils import timezone


def today() -> date:
    """Today in the site's time zone (Asia/Shanghai), not the server's."""
    return timezone.localdate()
