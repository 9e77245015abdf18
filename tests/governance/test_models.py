"""Rules the database itself keeps, and the ID number check."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from governance.models import Hazard, Inspection, Migrant, ZeroReport
from governance.validators import validate_id_number
from tests.conftest import Cast, Places
from tests.governance.factories import (
    HazardFactory,
    InspectionFactory,
    MigrantFactory,
    RentalHouseFactory,
    ZeroReportFactory,
    id_number,
    wrong_check_digit,
)

pytestmark = pytest.mark.django_db


def test_a_published_example_id_number_is_valid() -> None:
    validate_id_number("11010519491231002X")  # GB 11643's own example


def test_a_wrong_id_check_digit_is_refused() -> None:
    with pytest.raises(ValidationError) as e:
        validate_id_number(wrong_check_digit(id_number(1)))
    assert e.value.code == "id_check"


@pytest.mark.parametrize("bad", ["52260119900230001X", "5226011990031500", "52260119900315ABC1", "990101189901010012"])
def test_an_id_number_with_a_bad_shape_or_birth_date_is_refused(bad: str) -> None:
    with pytest.raises(ValidationError):
        validate_id_number(bad)


def test_the_id_number_message_never_repeats_the_number() -> None:
    number = wrong_check_digit(id_number(7))
    with pytest.raises(ValidationError) as e:
        validate_id_number(number)
    assert number not in " ".join(e.value.messages)


def test_the_database_refuses_an_inspection_with_no_force(cast: Cast, places: Places) -> None:
    house = RentalHouseFactory(area=places.sifang_grid)
    with pytest.raises(IntegrityError), transaction.atomic():
        InspectionFactory(house=house, inspector=cast.li, with_grid=False)


def test_full_clean_names_the_missing_force(cast: Cast, places: Places) -> None:
    inspection = Inspection(
        house=RentalHouseFactory(area=places.sifang_grid), inspector=cast.li, inspected_on=date(2026, 3, 1)
    )
    with pytest.raises(ValidationError) as e:
        inspection.full_clean()
    assert "至少勾选一支" in " ".join(e.value.messages)


def test_the_database_refuses_a_deadline_before_the_found_date(places: Places) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        HazardFactory(area=places.sifang_grid, found_on=date(2026, 3, 10), deadline=date(2026, 3, 9))


def test_the_database_refuses_a_rectification_before_the_hazard_was_found(places: Places) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        HazardFactory(area=places.sifang_grid, rectified_on=date(2026, 3, 1))


def test_the_database_refuses_a_second_zero_report_for_a_village_and_day(places: Places) -> None:
    ZeroReportFactory(village=places.sifang, day=date(2026, 3, 10))
    with pytest.raises(IntegrityError), transaction.atomic():
        ZeroReportFactory(village=places.sifang, day=date(2026, 3, 10))


def test_the_zero_report_constraint_speaks_a_clear_message(places: Places) -> None:
    ZeroReportFactory(village=places.sifang, day=date(2026, 3, 10))
    with pytest.raises(ValidationError) as e:
        ZeroReport(village=places.sifang, day=date(2026, 3, 10)).validate_constraints()
    assert "已报送" in " ".join(e.value.messages)


def test_the_id_number_is_stored_encrypted(places: Places) -> None:
    from django.db import connection

    migrant = MigrantFactory(house=RentalHouseFactory(area=places.sifang_grid), id_number=id_number(3))
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone FROM governance_migrant WHERE id = %s", [migrant.pk])
        stored_id, stored_phone = cursor.fetchone()
    assert id_number(3) not in stored_id and "13598765432" not in stored_phone
    assert Migrant.objects.get(pk=migrant.pk).id_number == id_number(3)


def test_overdue_is_derived_as_of_a_day(places: Places) -> None:
    late = HazardFactory(area=places.sifang_grid, deadline=date(2026, 3, 31))
    HazardFactory(area=places.sifang_grid, deadline=date(2026, 3, 31), rectified_on=date(2026, 3, 20))
    fixed_late = HazardFactory(area=places.sifang_grid, deadline=date(2026, 3, 31), rectified_on=date(2026, 4, 20))
    assert set(Hazard.objects.overdue(date(2026, 3, 31))) == set()
    assert set(Hazard.objects.overdue(date(2026, 4, 10))) == {late, fixed_late}
    assert set(Hazard.objects.overdue(date(2026, 4, 30))) == {late}


def test_the_same_person_at_two_houses_at_once_is_flagged(places: Places) -> None:
    first, second, third = (RentalHouseFactory(area=places.sifang_grid) for _ in range(3))
    number = id_number(42)
    a = MigrantFactory(house=first, id_number=number, registered_on=date(2026, 1, 5))
    b = MigrantFactory(house=second, id_number=number, registered_on=date(2026, 2, 1))
    # Left the first house before moving into the third: not a clash with a.
    moved = id_number(43)
    MigrantFactory(house=first, id_number=moved, registered_on=date(2026, 1, 5), left_on=date(2026, 1, 31))
    MigrantFactory(house=third, id_number=moved, registered_on=date(2026, 2, 1))
    assert set(Migrant.objects.at_two_houses()) == {a, b}
