"""The demo data: the figures the half-year report needs, consistent with the records."""

from __future__ import annotations

from datetime import date, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from welfare.models import CareCenter, Elder, MealDelivery, MealReceipt, SafetyCheck
from xicheng import metrics
from xicheng.models import Area
from xicheng.periods import Period

from .conftest import TODAY

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(demo: Any, db: None) -> None:
    """The package's demo, seeded once."""


def test_villages_served_this_year_is_at_least_ten(seeded: None) -> None:
    xicheng = Area.objects.get(code="xicheng")
    served = metrics.value_for(metrics.registry.get("welfare.villages_served"), Period.year(2026), xicheng, TODAY)
    assert served >= 10


def test_meals_delivered_per_day_equal_the_receipts_marked_delivered(seeded: None) -> None:
    xicheng = Area.objects.get(code="xicheng")
    metric = metrics.registry.get("welfare.meals_delivered")
    day = date(2026, 1, 1)
    while day <= TODAY:
        delivered = MealReceipt.objects.filter(delivery__day=day, outcome=MealReceipt.Outcome.DELIVERED).count()
        assert delivered > 0
        assert metrics.value_for(metric, Period(day, day), xicheng, TODAY) == delivered, day
        day += timedelta(days=1)


def test_the_demo_has_lone_elders_late_deliveries_and_open_checks_today(seeded: None) -> None:
    assert CareCenter.objects.get().daily_capacity >= 400 - 100
    assert 200 <= Elder.objects.count() <= 400
    assert Elder.objects.filter(lives_alone=True).count() > 20
    assert MealDelivery.objects.filter(delivered_at__gt="11:00").exists()
    assert MealDelivery.objects.filter(day=TODAY).count() == 11  # every village, weekends too
    assert SafetyCheck.objects.filter(resolved_at__isnull=False).exists()
    assert SafetyCheck.objects.open().filter(day=TODAY).exists()


def test_seeding_twice_adds_nothing(seeded: None) -> None:
    before = MealReceipt.objects.count()
    call_command("seed_demo", today=TODAY, allow_demo_accounts=True, stdout=StringIO())
    assert MealReceipt.objects.count() == before
