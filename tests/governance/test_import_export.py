"""Excel import and export: all or nothing, bad rows named, formulas defused."""

from __future__ import annotations

import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from governance.models import Migrant, RentalHouse
from governance.resources import MigrantResource, RentalHouseResource
from tests.conftest import Cast, Places, login
from tests.governance.factories import MigrantFactory, RentalHouseFactory, id_number, wrong_check_digit
from xicheng.models import AuditEvent
from xicheng.resources import defuse_formula

pytestmark = pytest.mark.django_db

HEADERS = ["id", "house", "name", "id_number", "phone", "origin", "registered_on", "left_on"]


def _migrants(house_pk: int, bad_row: int | None = None, n: int = 100) -> tablib.Dataset:
    data = tablib.Dataset(headers=HEADERS)
    for i in range(n):
        number = id_number(i)
        if i + 1 == bad_row:
            number = wrong_check_digit(number)
        data.append(["", house_pk, f"外来{i}", number, "13500000000", "贵州", "2026-03-01", ""])
    return data


def test_100_migrants_import_when_every_row_is_good(cast: Cast, places: Places) -> None:
    house = RentalHouseFactory(area=places.sifang_grid)
    result = MigrantResource(user=cast.admin).import_data(_migrants(house.pk), dry_run=False)
    assert not result.has_errors() and not result.has_validation_errors()
    assert Migrant.objects.count() == 100
    assert Migrant.objects.filter(id_number_index__gt="").count() == 100


def test_an_import_files_no_house_outside_the_importers_areas_and_says_where(cast: Cast, places: Places) -> None:
    data = tablib.Dataset(headers=["id", "area", "address", "landlord", "landlord_phone", "rooms", "active"])
    data.append(["", places.feifeng_grid.code, "飞凤路1号", "房东甲", "", 3, True])
    data.append(["", places.sifang_grid.code, "四方路2号", "房东乙", "", 2, True])
    result = RentalHouseResource(user=cast.li).import_data(data, dry_run=False)  # 李 serves 四方社区 only
    assert RentalHouse.objects.count() == 0
    assert [row.number for row in result.invalid_rows] == [1]
    assert result.invalid_rows[0].error_dict == {"area": ["您无权在此区域登记记录。"]}


def test_one_bad_id_number_among_100_migrants_imports_nothing_and_names_the_row(cast: Cast, places: Places) -> None:
    house = RentalHouseFactory(area=places.sifang_grid)
    result = MigrantResource(user=cast.admin).import_data(_migrants(house.pk, bad_row=57), dry_run=False)
    assert Migrant.objects.count() == 0
    invalid = result.invalid_rows
    assert [row.number for row in invalid] == [57]
    assert "校验位错误" in " ".join(m for msgs in invalid[0].error_dict.values() for m in msgs)


def test_the_admin_import_page_names_the_bad_row_and_imports_nothing(
    client: Client, cast: Cast, places: Places
) -> None:
    house = RentalHouseFactory(area=places.sifang_grid)
    upload = SimpleUploadedFile("migrants.csv", _migrants(house.pk, bad_row=57).csv.encode(), content_type="text/csv")
    login(client, cast.admin)
    response = client.post("/admin/governance/migrant/import/", {"import_file": upload, "format": "0", "resource": "0"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "57" in page and "校验位错误" in page
    assert Migrant.objects.count() == 0


def test_an_import_cannot_file_houses_outside_the_importers_areas(cast: Cast, places: Places) -> None:
    data = tablib.Dataset(headers=["id", "area", "address", "landlord", "landlord_phone", "rooms", "active"])
    data.append(["", "sifang-grid-1", "四方路1号", "张", "", 3, 1])
    data.append(["", "feifeng-grid-1", "飞凤路1号", "王", "", 3, 1])
    result = RentalHouseResource(user=cast.li).import_data(data, dry_run=False)
    assert [row.number for row in result.invalid_rows] == [2]
    assert RentalHouse.objects.count() == 0


@pytest.mark.parametrize("text", ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)"])
def test_exported_text_cannot_run_as_a_formula(text: str) -> None:
    assert defuse_formula(text) == "'" + text


def test_plain_text_and_numbers_export_unchanged() -> None:
    assert defuse_formula("四方路1号") == "四方路1号" and defuse_formula(3) == 3


def test_an_exported_landlord_with_a_formula_starts_with_an_apostrophe(cast: Cast, places: Places) -> None:
    RentalHouseFactory(area=places.sifang_grid, landlord="=cmd|' /C calc'!A0", address="@四方路")
    data = RentalHouseResource(user=cast.zhao).export(queryset=RentalHouse.objects.all())
    row = data.dict[0]
    assert row["房东"].startswith("'=") and row["地址"] == "'@四方路"


def test_exported_landlord_phones_are_masked_without_the_right(cast: Cast, places: Places) -> None:
    RentalHouseFactory(area=places.sifang_grid, landlord_phone="13911112222")
    data = RentalHouseResource(user=cast.zhao).export(queryset=RentalHouse.objects.all())
    assert data.dict[0]["房东电话"] == "139****2222"


def test_an_admin_export_is_logged(client: Client, cast: Cast, places: Places) -> None:
    MigrantFactory(house=RentalHouseFactory(area=places.sifang_grid))
    login(client, cast.admin)
    client.post(
        "/admin/governance/rentalhouse/export/",
        {"format": "0", "resource": "0", **{f"rentalhouseresource_{f}": "on" for f in ["id", "area", "address"]}},
    )
    assert AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT, subject__contains="rentalhouse").exists()
