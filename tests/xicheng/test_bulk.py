"""Generated rows in bulk (`xicheng.bulk`): what goes in by COPY (PostgreSQL) or bulk_create
(SQLite) reads back through the ORM as it was given, personal fields encrypted and readable."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection

from governance.models import Migrant, RentalHouse
from tests.conftest import Places
from xicheng.bulk import insert_rows
from xicheng.personal import blind_index, decrypt


@pytest.mark.django_db
def test_inserted_rows_read_back_as_given_with_defaults_and_personal_data(places: Places) -> None:
    awkward = "四方路\t1号\\后院\n东侧"
    count = insert_rows(
        RentalHouse,
        [
            {
                "area_id": places.sifang_grid.pk,
                "address": awkward,
                "landlord": "张建华",
                "landlord_phone": "13912345678",
            },
            {"area_id": places.sifang_grid.pk, "address": "四方路2号", "landlord": "李强", "landlord_phone": ""},
        ],
    )

    assert count == 2
    first, second = RentalHouse.objects.order_by("pk")
    assert (first.address, first.landlord_phone, first.rooms, first.active) == (awkward, "13912345678", 1, True)
    assert second.landlord_phone == ""
    number = "522601199001011236"
    insert_rows(
        Migrant,
        [
            {
                "house_id": first.pk,
                "name": "王芳",
                "id_number": number,
                "id_number_index": blind_index(number),
                "registered_on": date(2026, 3, 1),
                "left_on": None,
            }
        ],
    )
    migrant = Migrant.objects.get(id_number_index=blind_index(number))
    assert (migrant.id_number, migrant.phone, migrant.left_on) == (number, "", None)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id_number FROM {Migrant._meta.db_table}")
        (raw,) = cursor.fetchone()
    assert raw != number and decrypt(raw) == number
