"""Metric facts equal a recount of the rows (issue 13): on the demo data, for every kept metric,
period and area asked, and again after 1,000 random writes through the services — back-dated
days, steps taken and undone, rectifications corrected, houses and deliveries moved, rows deleted."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from datetime import date, time, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from governance.models import Dispute, Hazard, Inspection, Migrant, RentalHouse
from governance.services import (
    dispute_move,
    dispute_receive,
    hazard_rectify,
    hazard_report,
    inspection_log,
    migrant_edit,
    rental_house_edit,
)
from projects.models import Household, InvestmentLead, Milestone, ProjectIssue
from projects.services import household_advance, issue_set_status, lead_advance, milestone_complete
from tests.demo.conftest import TODAY
from welfare.models import MealDelivery, SafetyCheck
from welfare.services import meal_delivery_create, safety_check_resolve
from xicheng import facts, metrics
from xicheng.models import Area
from xicheng.periods import Period
from xicheng.stages import stage_revert

pytestmark = pytest.mark.django_db

PERIODS = [Period.half_year(2026, 1), Period.half_year(2026, 2), Period.month(2026, 10)]
AREAS = ["xicheng", "sifang", "yongfeng"]


def _mismatches() -> list[str]:
    """Where reading the facts and reading the rows disagree, for today's as-of."""
    today = timezone.localdate()
    found = [str(d) for d in facts.differences()]
    paths = [Area.objects.get(code=code).path for code in AREAS]
    for metric in facts.kept_metrics():
        # A distinct metric's facts answer half-years (a month is read from its rows).
        periods = [p for p in PERIODS if facts.answers(metric, [p])]
        for within in [None, *([p] for p in paths)]:
            from_facts = facts.values_by_area(metric, periods, today, within)
            from_rows = metrics.values_from_rows(metric, periods, today, within)
            for period in periods:
                a, b = from_facts[period], from_rows[period]
                if a.keys() != b.keys() or any(abs(a[k] - b[k]) > 1e-6 for k in a):
                    found.append(f"{metric.key} {period} within {within}: facts {a} rows {b}")
        for path in paths:
            area = Area.objects.get(path=path)
            figure = metrics.value_for(metric, PERIODS[1], area, today)
            counted = metrics.rolled_up(
                metrics.values_from_rows(metric, [PERIODS[1]], today)[PERIODS[1]], metrics.area_paths()
            )
            if abs(figure - counted.get(path, 0.0)) > 1e-6:
                found.append(f"{metric.key} value_for {area.code}: facts {figure} rows {counted.get(path)}")
    # The weekly trends: every kept metric's series from the facts at once, against each read
    # from its rows.
    for area in [None, *Area.objects.filter(path__in=paths)]:
        kept = facts.kept_metrics()
        series = metrics.weekly_series_of([(m, PERIODS[1], area) for m in kept], today)
        for metric, points in zip(kept, series, strict=True):
            counted = metrics._weekly_from_rows(metric, PERIODS[1], today, area, [d for d, _v in points])
            if any(abs(a[1] - b[1]) > 1e-6 for a, b in zip(points, counted, strict=True)) or not points:
                found.append(f"{metric.key} weekly in {area}: facts {points} rows {counted}")
    return found


def test_every_metric_without_a_state_is_kept(demo: Any) -> None:
    kept = facts.kept_metrics()
    assert len(kept) >= 18
    assert all(m.state is None for m in kept)
    # State metrics are read from the rows.
    assert not facts.kept(metrics.registry.get("governance.hazards_overdue"))
    # A distinct metric's facts answer a half-year, or its start up to a day, but not a month:
    # a house inspected in two months is one house in the half-year.
    houses = metrics.registry.get("governance.rental_houses_inspected")
    assert facts.answers(houses, [Period.half_year(2026, 2), Period(date(2026, 7, 1), date(2026, 9, 30))])
    assert not facts.answers(houses, [Period.month(2026, 10)])
    assert not facts.answers(houses, [Period.year(2026)])
    assert facts.answers(metrics.registry.get("governance.inspections"), [Period.month(2026, 10)])


def test_the_demo_facts_equal_a_recount_of_its_rows(demo: Any) -> None:
    assert _mismatches() == []


def test_the_facts_equal_a_recount_after_a_thousand_random_writes(demo: Any) -> None:
    admin = User.objects.get(username="admin")  # the data admin may change every record
    rng = random.Random(13)
    start = date(2026, 1, 5)

    def day(after: date = start) -> date:
        """A day from `after` to the demo's today: most back-dated."""
        span = (TODAY - after).days
        return after + timedelta(days=rng.randint(0, span)) if span > 0 else TODAY

    def pick(queryset: Any) -> Any:
        """A random row of the queryset (LookupError when it has none)."""
        count = queryset.count()
        if not count:
            raise LookupError
        return queryset.order_by("pk")[rng.randrange(count)]

    grids = list(Area.objects.filter(level=Area.Level.GRID).values_list("pk", flat=True)) or list(
        Area.objects.values_list("pk", flat=True)
    )

    def grid() -> Area:
        return Area.objects.get(pk=rng.choice(grids))

    def inspect() -> None:
        house = pick(RentalHouse.objects)
        on = day()
        hazards = (
            [{"category": Hazard.Category.FIRE, "description": "堵塞", "deadline": on + timedelta(days=10)}]
            if rng.random() < 0.5
            else []
        )
        inspection_log(house=house, inspected_on=on, forces=["street", "police"], acting_user=admin, hazards=hazards)

    def report_hazard() -> None:
        on = day()
        category = rng.choice([Hazard.Category.FIRE, Hazard.Category.GAS])
        hazard_report(acting_user=admin, category=category, found_on=on, deadline=on + timedelta(7), area=grid())

    def rectify() -> None:
        hazard = pick(Hazard.objects.filter(rectified_on__isnull=True))
        hazard_rectify(hazard=hazard, rectified_on=day(hazard.found_on), acting_user=admin, version=hazard.version)

    def correct_rectification() -> None:
        hazard = pick(Hazard.objects.filter(rectified_on__isnull=False))
        on = None if rng.random() < 0.5 else day(hazard.found_on)
        hazard_rectify(hazard=hazard, rectified_on=on, acting_user=admin, version=hazard.version)

    def advance_household() -> None:
        household = pick(Household.objects.exclude(status=Household.Status.DEMOLISHED))
        household_advance(
            household=household, on=day(TODAY - timedelta(days=20)), version=household.version, acting_user=admin
        )

    def revert_household() -> None:
        household = pick(Household.objects.exclude(status=Household.Status.NEW))
        stage_revert(household, version=household.version, acting_user=admin)

    def receive_dispute() -> None:
        dispute_receive(category="neighbours", area=grid(), summary="噪音", received_on=day(), acting_user=admin)

    def resolve_dispute() -> None:
        dispute = pick(Dispute.objects.exclude(status=Dispute.Status.RESOLVED))
        dispute_move(
            dispute=dispute,
            to_status=rng.choice([Dispute.Status.MEDIATING, Dispute.Status.RESOLVED]),
            on=day(TODAY - timedelta(days=10)),
            acting_user=admin,
            version=dispute.version,
        )

    def revert_dispute() -> None:
        dispute = pick(Dispute.objects.exclude(status=Dispute.Status.RECEIVED))
        stage_revert(dispute, version=dispute.version, acting_user=admin)

    def advance_lead() -> None:
        lead = pick(InvestmentLead.objects)
        lead_advance(lead=lead, on=day(TODAY - timedelta(days=15)), version=lead.version, acting_user=admin)

    def resolve_issue() -> None:
        issue = pick(ProjectIssue.objects.exclude(status=ProjectIssue.Status.RESOLVED))
        issue_set_status(
            issue=issue,
            status=ProjectIssue.Status.RESOLVED,
            version=issue.version,
            acting_user=admin,
            resolution="已解决",
        )

    def complete_milestone() -> None:
        milestone = pick(Milestone.objects.filter(actual_end__isnull=True))
        milestone_complete(
            milestone=milestone, on=day(milestone.actual_start or start), acting_user=admin, version=milestone.version
        )

    def move_house() -> None:
        # A house moved to another grid carries its inspections and migrants with it.
        house = pick(RentalHouse.objects.filter(inspections__isnull=False).distinct())
        rental_house_edit(house=house, acting_user=admin, version=house.version, area=grid())

    def move_migrant() -> None:
        migrant = pick(Migrant.objects)
        changes: dict[str, Any] = {"registered_on": day()}
        if rng.random() < 0.5:
            changes["house"] = pick(RentalHouse.objects)
        migrant_edit(migrant=migrant, acting_user=admin, **changes)

    def delete_inspection() -> None:
        pick(Inspection.objects.filter(hazards__isnull=True)).delete()

    def delete_hazard() -> None:
        pick(Hazard.objects).delete()

    def deliver() -> None:
        # The demo delivers every day: a delivery is deleted (its receipts with it), and the day
        # entered again through the service, which writes in bulk.
        delivery = pick(MealDelivery.objects)
        center, village, on = delivery.center, delivery.village, delivery.day
        elders = list(delivery.receipts.values_list("elder_id", flat=True))
        delivery.delete()
        outcomes = {e: rng.choice(["delivered", "delivered", "not_home", "declined"]) for e in elders}
        meal_delivery_create(
            center=center,
            village=village,
            day=on,
            delivered_at=time(rng.choice([10, 11, 12]), 30),
            courier="王师傅",
            outcomes=outcomes,
            acting_user=admin,
        )

    def move_delivery() -> None:
        # Through the toolkit, not a service: a delivery moved to another day (one deleted to
        # free it) takes its receipts with it.
        gone = pick(MealDelivery.objects)
        moved = pick(MealDelivery.objects.filter(center=gone.center_id, village=gone.village_id).exclude(pk=gone.pk))
        moved.day = gone.day
        gone.delete()
        moved.save()

    def resolve_check() -> None:
        check = pick(SafetyCheck.objects.filter(resolved_at__isnull=True))
        safety_check_resolve(check=check, finding="已联系，平安", acting_user=admin, version=check.version)

    writes: list[Callable[[], None]] = [
        inspect,
        inspect,
        report_hazard,
        rectify,
        rectify,
        correct_rectification,
        advance_household,
        advance_household,
        revert_household,
        receive_dispute,
        resolve_dispute,
        revert_dispute,
        advance_lead,
        resolve_issue,
        complete_milestone,
        move_house,
        move_migrant,
        delete_inspection,
        delete_hazard,
        deliver,
        move_delivery,
        resolve_check,
    ]
    done: Counter[str] = Counter()
    refused: Counter[str] = Counter()
    why: dict[str, str] = {}
    for _ in range(1000):
        write = rng.choice(writes)
        try:
            with transaction.atomic():
                write()
            done[write.__name__] += 1
        except (ValidationError, PermissionDenied, IntegrityError, ProtectedError, LookupError) as e:
            refused[write.__name__] += 1
            why.setdefault(write.__name__, repr(e)[:200])

    assert _mismatches() == []
    # Most writes went through, and every kind of write did at least once.
    assert sum(done.values()) >= 600, (done, refused, why)
    assert set(done) == {w.__name__ for w in writes}, (done, refused, why)
