"""Excel import and export of households and investment leads: every row checked, all or nothing."""

from __future__ import annotations

from typing import Any

import pytest
import tablib
from django.test import Client
from django.utils import translation

from projects.models import Household, InvestmentLead
from projects.resources import HouseholdResource, InvestmentLeadResource, row_errors
from tests.conftest import Cast, Places, login
from tests.projects.conftest import Site
from tests.projects.factories import HouseholdFactory

pytestmark = pytest.mark.django_db

HEADERS = [
    "project",
    "squad",
    "area",
    "address",
    "owner_name",
    "owner_phone",
    "floor_area",
    "status",
    "evaluated_on",
    "signed_on",
]


def _rows(site: Site, n: int, bad: int) -> tablib.Dataset:
    data = tablib.Dataset(headers=HEADERS)
    for i in range(1, n + 1):
        row = [site.project.name, site.squad.name, "yuehongwan", f"导入{i}号", "胡立新", "13700001234", "98.5"]
        if i == bad:
            row += ["已签约", "2026-05-10", "2026-05-01"]  # signed before it was evaluated
        else:
            row += ["已评估", "2026-04-10", ""]
        data.append(row)
    return data


def test_an_import_with_one_bad_row_among_50_imports_nothing_and_names_the_row(site: Site, cast: Cast) -> None:
    before = Household.objects.count()
    with translation.override("zh-hans"):
        result = HouseholdResource(user=cast.admin).import_data(_rows(site, 50, bad=23), dry_run=False)
        errors = row_errors(result)
    assert Household.objects.count() == before
    assert len(errors) == 1
    assert errors[0].startswith("第 23 行") and "不能早于上一步" in errors[0], errors


def test_a_clean_import_of_50_rows_imports_them_all(site: Site, cast: Cast) -> None:
    before = Household.objects.count()
    result = HouseholdResource(user=cast.admin).import_data(_rows(site, 50, bad=0), dry_run=False)
    assert not result.has_errors() and not result.has_validation_errors()
    assert Household.objects.count() == before + 50
    assert Household.objects.get(address="导入7号").last_step_on is not None


def test_an_import_cannot_file_households_outside_the_importers_areas(site: Site, cast: Cast) -> None:
    data = _rows(site, 2, bad=0)
    result = HouseholdResource(user=cast.wang).import_data(data, dry_run=False)  # 王 serves 飞凤社区
    assert result.has_validation_errors() and Household.objects.count() == 1


def test_the_admin_import_page_refuses_the_file_and_names_the_bad_row(client: Client, site: Site, cast: Cast) -> None:
    login(client, cast.admin)
    content = _rows(site, 50, bad=23).export("csv").encode()
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        "/admin/projects/household/import/",
        {
            "import_file": SimpleUploadedFile("households.csv", content, content_type="text/csv"),
            "format": "0",
            "resource": "0",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert Household.objects.count() == 1
    assert "23" in page and "不能早于上一步" in page


def test_exports_defuse_formulas_and_mask_phones(site: Site, places: Places, cast: Cast) -> None:
    HouseholdFactory(project=site.project, area=places.yuehongwan, address="=HYPERLINK(1)", owner_phone="13911112222")
    exported: Any = HouseholdResource(user=cast.li).export()
    addresses = exported["地址"]
    assert "'=HYPERLINK(1)" in addresses
    assert "139****2222" in exported["户主电话"] and "13911112222" not in exported["户主电话"]
    assert "13911112222" in HouseholdResource(user=cast.admin).export()["户主电话"]


def test_investment_leads_import_all_or_nothing(places: Places, cast: Cast) -> None:
    data = tablib.Dataset(headers=["company", "industry", "amount", "area", "owner", "stage", "talks_on", "signed_on"])
    data.append(["恒信五金", "现代五金", "1200", "sifang", "li", "洽谈", "2026-03-01", ""])
    data.append(["晶科储能", "新能源", "-5", "sifang", "li", "洽谈", "2026-03-01", ""])  # a negative amount
    result = InvestmentLeadResource(user=cast.admin).import_data(data, dry_run=False)
    assert InvestmentLead.objects.count() == 0
    assert [line.split("：")[0] for line in row_errors(result)] == ["第 2 行"] or "2" in row_errors(result)[0]


def _update(household: Household, **changes: str) -> tablib.Dataset:
    """The household as an export shows it, with some cells changed."""
    row = {
        "id": household.pk,
        "project": household.project.name,
        "area": household.area.code,
        "address": household.address,
        "status": household.get_status_display(),
        "evaluated_on": household.evaluated_on.isoformat() if household.evaluated_on else "",
    }
    row.update(changes)
    data = tablib.Dataset(headers=list(row))
    data.append(list(row.values()))
    return data


def test_an_import_cannot_move_an_existing_household_a_step(site: Site, cast: Cast) -> None:
    household = site.household
    with translation.override("zh-hans"):
        result = HouseholdResource(user=cast.admin).import_data(_update(household, status="已拆除"), dry_run=False)
        errors = row_errors(result)
    household.refresh_from_db()
    assert household.status != Household.Status.DEMOLISHED
    assert errors and "页面上的步骤" in errors[0], errors


def test_an_import_that_changes_a_household_bumps_its_version_so_a_stale_edit_is_refused(
    site: Site, cast: Cast
) -> None:
    household = site.household
    read = household.version
    result = HouseholdResource(user=cast.admin).import_data(_update(household, address="周塘村新1号"), dry_run=False)
    assert not result.has_errors() and not result.has_validation_errors(), row_errors(result)
    household.refresh_from_db()
    assert household.address == "周塘村新1号" and household.version == read + 1
