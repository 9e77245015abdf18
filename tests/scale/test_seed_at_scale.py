"""`seed_demo --scale 2`: a second subdistrict as big as Xicheng, generated in bulk (COPY on
PostgreSQL), the same rows on every run. Seeding twice takes minutes, so this carries the `scale`
marker: `.ci/run` runs it once, on PostgreSQL."""

from __future__ import annotations

import hashlib
import io
from datetime import date
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import transaction

from governance.models import Hazard, Inspection, Migrant, RentalHouse, ZeroReport
from welfare.models import Elder, MealDelivery, MealReceipt
from xicheng.demo import seed
from xicheng.models import Area
from xicheng.roles import Role

pytestmark = [pytest.mark.django_db, pytest.mark.scale]

TODAY = date(2026, 11, 26)

# What identifies each generated row, by natural keys: primary keys differ between two runs in
# one database (sequences do not roll back), the rows must not.
CONTENT: dict[type[Any], tuple[str, ...]] = {
    RentalHouse: ("area__code", "address", "landlord", "landlord_phone", "rooms"),
    Inspection: ("house__area__code", "house__address", "inspected_on", "inspector__username", "with_police"),
    Migrant: ("house__address", "name", "id_number", "phone", "origin", "registered_on", "left_on"),
    Hazard: ("house__address", "category", "description", "found_on", "deadline", "rectified_on"),
    ZeroReport: ("village__code", "day", "incidents", "reported_by__username"),
    MealReceipt: ("delivery__village__code", "delivery__day", "elder__name", "outcome"),
}


def _under(model: type[Any], area: Area) -> dict[str, Any]:
    path: str = {
        RentalHouse: "area__path",
        Inspection: "house__area__path",
        Migrant: "house__area__path",
        Hazard: "area__path",
        ZeroReport: "village__path",
        MealReceipt: "elder__village__path",
        MealDelivery: "village__path",
        Elder: "village__path",
    }[model]
    return {f"{path}__startswith": area.path}


def _seeded() -> tuple[dict[str, dict[str, int]], dict[str, str]]:
    """Counts per subdistrict and a digest of every generated row, of one scale-2 seed, rolled back."""
    with transaction.atomic():
        seed(today=TODAY, scale=2, out=io.StringIO())
        subdistricts = {code: Area.objects.get(code=code) for code in ("xicheng", "xicheng-s2")}
        # The benchmark's city leader: a leader of the city the copies are added to.
        city = User.objects.get(username="city")
        assert city.groups.filter(name=Role.LEADER).exists()
        assert [area.code for area in city.cadre.areas.all()] == ["yongkang"]
        models: list[type[Any]] = [*CONTENT, MealDelivery, Elder]
        counts = {
            code: {model.__name__: model.objects.filter(**_under(model, area)).count() for model in models}
            for code, area in subdistricts.items()
        }
        digests = {
            model.__name__: hashlib.sha256(repr(sorted(model.objects.values_list(*fields))).encode()).hexdigest()
            for model, fields in CONTENT.items()
        }
        transaction.set_rollback(True)
    return counts, digests


def test_the_second_subdistrict_is_as_big_as_xicheng_and_every_run_seeds_the_same_rows() -> None:
    counts, digests = _seeded()

    xicheng, copy = counts["xicheng"], counts["xicheng-s2"]
    assert xicheng["RentalHouse"] == copy["RentalHouse"] == 9000
    # The published figures, in each subdistrict: 8,000+ inspected, 30,000+ migrants.
    for model in ("Inspection", "Migrant", "MealDelivery"):
        assert xicheng[model] == copy[model], model
    assert xicheng["Inspection"] > 8000 and xicheng["Migrant"] > 30000
    # Elders and their meals are drawn at random per village: about as many, never none.
    for model in ("Elder", "MealReceipt", "Hazard", "ZeroReport"):
        assert 0.8 < copy[model] / xicheng[model] < 1.25, model
    assert MealReceipt.objects.count() == 0  # rolled back

    assert _seeded() == (counts, digests)
