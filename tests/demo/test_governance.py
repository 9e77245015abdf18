"""seed_demo reproduces the published half-year figures, and a second run adds nothing."""

from __future__ import annotations

import dataclasses
import io
import re

import pytest
from django.utils import timezone

from governance.demo import _say_figures
from governance.models import Hazard, Migrant, RentalHouse, ZeroReport
from xicheng import metrics
from xicheng.demo import DemoContext, seed
from xicheng.models import Area, MetricFact
from xicheng.periods import Period

from .conftest import TODAY

pytestmark = pytest.mark.django_db


def test_seed_demo_reproduces_the_published_h1_figures_and_is_idempotent(demo: DemoContext, db: None) -> None:
    xicheng = Area.objects.get(code="xicheng")
    h1, h2 = Period.half_year(2026, 1), Period.half_year(2026, 2)

    def value(key: str, period: Period) -> float:
        return metrics.value_for(metrics.registry.get(f"governance.{key}"), period, xicheng, TODAY)

    assert value("rental_houses_inspected", h1) >= 8000
    assert value("migrants_registered", h1) >= 30000
    assert value("fire_hazards_rectified", h1) >= 2000
    assert value("disputes_resolved", h1) >= 300
    # The second half is in progress: under its targets (8,500 / 32,000 / 2,200 / 320), not empty.
    for key, target in [
        ("rental_houses_inspected", 8500),
        ("migrants_registered", 32000),
        ("fire_hazards_rectified", 2200),
        ("disputes_resolved", 320),
    ]:
        assert 0 < value(key, h2) < target
    assert Hazard.objects.overdue(TODAY).exists()
    villages = Area.objects.within(xicheng).filter(level=Area.Level.VILLAGE).count()
    assert 0 < villages - ZeroReport.objects.filter(day=TODAY).count() <= 5
    assert Migrant.objects.at_two_houses().exists()

    counts = (RentalHouse.objects.count(), Migrant.objects.count(), Hazard.objects.count())
    seed(today=TODAY, scale=1, out=io.StringIO())
    assert (RentalHouse.objects.count(), Migrant.objects.count(), Hazard.objects.count()) == counts


def test_the_figures_seed_demo_prints_are_counted_before_they_are_read(demo: DemoContext, db: None) -> None:
    # `make run` prints them as it seeds, as of today, when the bulk-written rows have no facts yet.
    MetricFact.objects.all().delete()
    ctx = dataclasses.replace(demo, out=io.StringIO(), today=timezone.localdate())
    _say_figures(ctx)
    h1 = re.search(r"Governance \d+年上半年 \(西城街道\): (.*)", ctx.out.getvalue())
    assert h1, ctx.out.getvalue()
    figures = dict(pair.split("=") for pair in h1.group(1).split(", "))
    assert int(figures["migrants_registered"]) >= 30000
    assert int(figures["fire_hazards_rectified"]) >= 2000
    assert int(figures["disputes_resolved"]) >= 300
