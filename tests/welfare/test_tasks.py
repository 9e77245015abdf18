"""The safety checks as celery beat runs them (welfare.tasks), after the meal cut-off."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

import pytest
from django.utils import timezone

from tests.welfare.factories import DAY, World
from welfare.models import SafetyCheck
from welfare.tasks import raise_safety_checks
from xicheng.celery import app

pytestmark = pytest.mark.django_db


def test_the_beat_task_raises_a_check_for_a_lone_elder_nobody_reached(world: World) -> None:
    assert raise_safety_checks.delay(DAY.isoformat()).get() == 1
    check = SafetyCheck.objects.get()
    assert check.elder == world.alone and check.reason == SafetyCheck.Reason.NO_RECEIPT


def test_the_beat_task_run_twice_raises_nothing_new(world: World) -> None:
    raise_safety_checks.delay(DAY.isoformat())
    assert raise_safety_checks.delay(DAY.isoformat()).get() == 0
    assert SafetyCheck.objects.count() == 1


def test_without_a_day_the_beat_task_checks_today_and_only_after_the_cut_off(world: World, monkeypatch: Any) -> None:
    today = timezone.localdate()
    monkeypatch.setattr(timezone, "now", lambda: timezone.make_aware(datetime.combine(today, time(9, 0))))
    assert raise_safety_checks.delay().get() == 0
    monkeypatch.setattr(timezone, "now", lambda: timezone.make_aware(datetime.combine(today, time(11, 35))))
    assert raise_safety_checks.delay().get() == 1
    assert SafetyCheck.objects.get().day == today


def test_beat_runs_the_task_by_the_name_the_worker_knows() -> None:
    app.loader.import_default_modules()
    app.finalize()
    entry = app.conf.beat_schedule["raise-safety-checks"]
    assert entry["task"] in app.tasks
    assert entry["schedule"].hour == {11} and entry["schedule"].minute == {35}
