"""The admin and the audit trail in the users' words (issue 12, item 7): model names, sheets with
Chinese headers both ways, an area by name or path, a template to fill in, errors naming row,
column and value, only xlsx and csv, export files dated by the local day; the trail names
records, people and registers, and shows every change but the version counter."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from typing import Any

import openpyxl
import pytest
import tablib
import time_machine
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation

from governance.models import Dispute, Hazard, RentalHouse
from governance.resources import RentalHouseResource
from projects.models import Household
from tests.conftest import Cast, Places, add_area, login
from tests.governance.factories import RentalHouseFactory
from xicheng.models import Area, AuditEvent
from xicheng.services import audit_log

pytestmark = pytest.mark.django_db

HOUSE_IMPORT = "/admin/governance/rentalhouse/import/"
HOUSE_EXPORT = "/admin/governance/rentalhouse/export/"


def _sheet(*rows: list[Any], headers: list[str]) -> bytes:
    return tablib.Dataset(*rows, headers=headers).export("csv").encode()


def _import(client: Client, content: bytes) -> Any:
    upload = SimpleUploadedFile("houses.csv", content, content_type="text/csv")
    return client.post(HOUSE_IMPORT, {"import_file": upload, "format": "0", "resource": "0"})


def _text(response: Any) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


# Names --------------------------------------------------------------------------------------------


def test_registers_are_named_as_the_users_name_them_not_by_their_unit() -> None:
    with translation.override("zh-hans"):
        assert str(Hazard._meta.verbose_name_plural) == "隐患"
        assert str(Dispute._meta.verbose_name_plural) == "矛盾纠纷"
        assert str(Household._meta.verbose_name_plural) == "征迁户"


# Sheets -----------------------------------------------------------------------------------------


def test_an_export_is_headed_in_chinese_and_the_area_by_its_name(cast: Cast, places: Places) -> None:
    RentalHouseFactory(area=places.sifang_grid, address="四方路8号")
    data = RentalHouseResource(user=cast.admin).export(queryset=RentalHouse.objects.all())
    assert list(data.headers) == ["记录编号", "网格", "地址", "房东", "房东电话", "房间数", "有效"]
    assert data.dict[0]["网格"] == "四方社区第1网格"


def test_a_sheet_headed_in_chinese_imports_with_areas_by_name_path_or_code(
    client: Client, cast: Cast, places: Places
) -> None:
    login(client, cast.admin)
    headers = ["网格", "地址", "房东", "房间数"]
    rows = [
        ["四方社区第1网格", "四方路1号", "张建华", "3"],
        ["童宅片区/飞凤社区/飞凤社区第1网格", "飞凤路2号", "李明", "2"],
        ["sifang-grid-1", "四方路3号", "王强", "1"],
    ]
    response = _import(client, _sheet(*rows, headers=headers))
    assert response.status_code == 302, _text(response)
    areas = dict(RentalHouse.objects.values_list("address", "area__code"))
    assert areas == {"四方路1号": "sifang-grid-1", "飞凤路2号": "feifeng-grid-1", "四方路3号": "sifang-grid-1"}


def test_an_exported_sheet_imports_back_as_it_is(client: Client, cast: Cast, places: Places) -> None:
    RentalHouseFactory(area=places.sifang_grid, address="四方路8号", rooms=2)
    exported = RentalHouseResource(user=cast.admin).export(queryset=RentalHouse.objects.all())
    exported.append(["", "飞凤社区第1网格", "飞凤路9号", "李明", "", "4", "1"])
    login(client, cast.admin)
    response = _import(client, exported.export("csv").encode())
    assert response.status_code == 302, _text(response)
    assert RentalHouse.objects.get(address="飞凤路9号").area == places.feifeng_grid


def test_an_unknown_area_is_named_with_its_row_column_and_value(client: Client, cast: Cast, places: Places) -> None:
    login(client, cast.admin)
    rows = [["四方社区第1网格", "四方路1号", "张建华", "3"], ["四方社区第1网格", "四方路2号", "张建华", "3"]]
    rows.append(["西门外", "四方路3号", "张建华", "3"])
    text = _text(_import(client, _sheet(*rows, headers=["网格", "地址", "房东", "房间数"])))
    assert "3 网格 西门外 区域“西门外”不存在" in text
    assert "matching query" not in text and "village" not in text
    assert not RentalHouse.objects.exists()


def test_a_name_two_areas_bear_asks_for_the_path(client: Client, cast: Cast, places: Places) -> None:
    add_area("sifang-grid-x", "第9网格", Area.Level.GRID, places.sifang)
    add_area("feifeng-grid-x", "第9网格", Area.Level.GRID, places.feifeng)
    login(client, cast.admin)
    text = _text(
        _import(client, _sheet(["第9网格", "四方路1号", "张建华", "3"], headers=["网格", "地址", "房东", "房间数"]))
    )
    assert "有多个区域名为“第9网格”" in text and not RentalHouse.objects.exists()
    response = _import(
        client, _sheet(["飞凤社区/第9网格", "飞凤路1号", "张建华", "3"], headers=["网格", "地址", "房东", "房间数"])
    )
    assert response.status_code == 302
    assert RentalHouse.objects.get().area.code == "feifeng-grid-x"


def test_the_import_page_offers_an_empty_sheet_with_the_headers(client: Client, cast: Cast, places: Places) -> None:
    login(client, cast.admin)
    page = client.get(HOUSE_IMPORT).content.decode()
    assert 'href="/admin/governance/rentalhouse/import/template.xlsx"' in page
    response = client.get("/admin/governance/rentalhouse/import/template.xlsx")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert list(sheet.iter_rows(values_only=True)) == [
        ("记录编号", "网格", "地址", "房东", "房东电话", "房间数", "有效")
    ]


def test_only_xlsx_and_csv_are_offered_and_the_columns_are_named_in_chinese(
    client: Client, cast: Cast, places: Places
) -> None:
    login(client, cast.admin)
    for url in (HOUSE_IMPORT, HOUSE_EXPORT):
        page = client.get(url).content.decode()
        formats = re.findall(r'<option value="\d+"[^>]*>([^<]+)</option>', page)
        assert formats == ["csv", "xlsx"], (url, formats)
    export_page = client.get(HOUSE_EXPORT).content.decode()
    assert "房东电话" in export_page and "Landlord Phone" not in export_page


def test_an_export_file_is_named_by_the_register_and_the_local_day(client: Client, cast: Cast, places: Places) -> None:
    RentalHouseFactory(area=places.sifang_grid)
    fields = {f"rentalhouseresource_{f}": "on" for f in ["id", "area", "address"]}
    # 17:30 UTC on 29 November is 01:30 on 30 November in Yongkang.
    with time_machine.travel(datetime(2026, 11, 29, 17, 30, tzinfo=UTC)):
        login(client, cast.admin)
        response = client.post(HOUSE_EXPORT, {"format": "1", "resource": "0", **fields})
    assert response.status_code == 200
    assert re.search(
        r"filename\*=utf-8''%E5%87%BA%E7%A7%9F%E6%88%BF-20261130-\d+\.xlsx", response["Content-Disposition"]
    )


# The audit trail -------------------------------------------------------------------------------


def _trail(client: Client, cast: Cast, query: str = "") -> str:
    login(client, cast.auditor)
    response = client.get(f"/audit/{query}")
    assert response.status_code == 200
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def test_subjects_read_in_the_users_words(client: Client, cast: Cast, places: Places) -> None:
    house = RentalHouseFactory(area=places.sifang_grid, address="四方路8号")
    api = User.objects.create_user(username="api-client")
    for subject in (
        "admin export governance.rentalhouse",
        "dashboard 2026-07-01..2026-12-31 as of 2026-11-29",
        f"rental house {house.pk} migrants",
        f"governance.rentalhouse:{house.pk}",
        "api migrant search",
        "account li",
    ):
        audit_log(user=cast.admin, action=AuditEvent.Action.EXPORT, subject=subject)
    audit_log(user=cast.sysadmin, action=AuditEvent.Action.TOKEN, subject="token for api-client", target_user=api)
    text = _trail(client, cast)
    for words in (
        "出租房（管理后台）",
        "领导驾驶舱 2026-07-01 至 2026-12-31（截至 2026-11-29）",
        "出租房 四方路8号 · 外来人员",
        "外来人员查询（接口）",
        "李晓燕的账号",
        "api-client的接口令牌",
    ):
        assert words in text, words


def test_a_change_lists_every_field_but_the_version(client: Client, cast: Cast, places: Places) -> None:
    house: Any = RentalHouseFactory(area=places.sifang_grid, address="四方路8号", rooms=4)
    house.rooms, house.version = 6, house.version + 1
    house.save()
    text = _trail(client, cast, "?model=governance.rentalhouse&action=~")
    assert re.search(r"房间数 ：\s*4 → 6", text)
    assert "版本" not in text.split("操作")[-1]


def test_a_change_to_a_record_loaded_in_bulk_shows_what_it_holds(client: Client, cast: Cast, places: Places) -> None:
    (house,) = RentalHouse.objects.bulk_create(
        [RentalHouse(area=places.sifang_grid, address="四方路9号", landlord="张")]
    )
    house.rooms = 5
    house.save()
    text = _trail(client, cast, "?model=governance.rentalhouse")
    assert re.search(r"房间数 ：\s*未记录 → 5", text)


def test_the_admin_s_audit_list_names_people_and_filters_by_person_and_day(
    client: Client, cast: Cast, places: Places
) -> None:
    audit_log(user=cast.li, action=AuditEvent.Action.EXPORT, subject="admin export governance.rentalhouse")
    # The admin's list of audit events is the superuser's (the auditor reads /audit/).
    root = User.objects.create_superuser("root", password="secret-pass-123")
    login(client, root)
    page = client.get("/admin/xicheng/auditevent/")
    assert page.status_code == 200
    text = " ".join(re.sub(r"<[^>]+>", " ", page.content.decode()).split())
    assert "李晓燕" in text and "出租房（管理后台）" in text
    assert f"user__id__exact={cast.li.pk}" in page.content.decode()


def test_the_trail_s_register_filter_offers_only_registers_by_their_names(client: Client, cast: Cast) -> None:
    login(client, cast.auditor)
    page = client.get("/audit/").content.decode()
    select = page[page.index('name="model"') : page.index("</select>", page.index('name="model"'))]
    offered = re.findall(r"<option[^>]*>([^<]*)</option>", select)
    assert "隐患" in offered and "征迁户" in offered
    assert not [name for name in offered if "关系" in name or "relationship" in name]
