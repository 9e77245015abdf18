"""Imports and exports as jobs (xicheng/jobs.py), through the admin pages a data admin uses.

Tests run the worker eagerly (no broker), so a queued job is done when the request returns;
JOBS_INLINE_ROWS is lowered to make small files take the worker's path.
tests/xicheng/test_jobs_worker.py runs the same jobs on a real Celery worker with Redis."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import openpyxl
import pytest
import tablib
from django.contrib.auth.models import Group, Permission, User
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from governance.models import RentalHouse
from tests.conftest import Cast, Places, login
from tests.factories import IndicatorFactory, TargetFactory
from tests.governance.factories import MigrantFactory, RentalHouseFactory, id_number
from xicheng.jobs import ImportExportJob, job_run, jobs_purge_expired, progress_key
from xicheng.models import AuditEvent, Target
from xicheng.roles import Role

pytestmark = pytest.mark.django_db

HOUSE_HEADERS = ["id", "area", "address", "landlord", "landlord_phone", "rooms", "active"]
MIGRANT_EXPORT = "/admin/governance/migrant/export/"
HOUSE_IMPORT = "/admin/governance/rentalhouse/import/"


@pytest.fixture
def through_the_worker(settings: Any) -> None:
    """Every job, however small, takes the worker's path (queued, then run by the task)."""
    settings.JOBS_INLINE_ROWS = 2


def _export(client: Client, url: str = MIGRANT_EXPORT, query: str = "", file_format: str = "xlsx") -> Any:
    index = {"csv": "0", "xlsx": "1"}[file_format]
    fields = ["id", "house", "name", "id_number", "phone", "origin", "registered_on", "left_on"]
    data = {"format": index, "resource": "0", **{f"migrantresource_{f}": "on" for f in fields}}
    return client.post(url + query, data)


def _rows(response: Any) -> list[tuple[Any, ...]]:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return list(sheet.iter_rows(values_only=True))


def _houses(n: int, bad_rows: dict[int, tuple[str, str]] | None = None, headers: list[str] = HOUSE_HEADERS) -> bytes:
    data = tablib.Dataset(headers=headers)
    for i in range(1, n + 1):
        row = {"id": "", "area": "sifang-grid-1", "address": f"四方路{i}号", "landlord": "张建华"}
        row |= {"landlord_phone": "13912345678", "rooms": "3", "active": "1"}
        if bad_rows and i in bad_rows:
            column, value = bad_rows[i]
            row[column] = value
        data.append([row.get(h, "") for h in headers])
    return data.export("csv").encode()


def _import(client: Client, content: bytes, url: str = HOUSE_IMPORT) -> Any:
    upload = SimpleUploadedFile("houses.csv", content, content_type="text/csv")
    return client.post(url, {"import_file": upload, "format": "0", "resource": "0"})


def _migrants(places: Places, n: int) -> RentalHouse:
    house: Any = RentalHouseFactory(area=places.sifang_grid)
    for i in range(n):
        MigrantFactory(house=house, id_number=id_number(i), phone="13598765432")
    return house


# Exports ----------------------------------------------------------------------------------------


def test_a_small_export_downloads_at_once_as_before(client: Client, cast: Cast, places: Places) -> None:
    _migrants(places, 3)
    login(client, cast.admin)
    response = _export(client)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert len(_rows(response)) == 1 + 3


def test_a_large_export_becomes_a_job_with_a_progress_bar_and_a_download_link(
    client: Client, cast: Cast, places: Places, through_the_worker: None
) -> None:
    _migrants(places, 5)
    login(client, cast.admin)
    response = _export(client)
    job = ImportExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/admin/xicheng/importexportjob/{job.pk}/change/"
    page = client.get(response["Location"]).content.decode()
    assert '<progress class="job-progress" max="5" value="5"' in page
    assert f"/admin/xicheng/importexportjob/{job.pk}/download/" in page
    download = client.get(f"/admin/xicheng/importexportjob/{job.pk}/download/")
    assert download.status_code == 200
    assert len(_rows(download)) == 1 + 5


def test_the_worker_exports_only_the_rows_the_user_sees(
    client: Client, cast: Cast, places: Places, through_the_worker: None
) -> None:
    sifang = _migrants(places, 3)  # 四方社区, 李's
    feifeng: Any = RentalHouseFactory(area=places.feifeng_grid)
    for i in range(4):
        MigrantFactory(house=feifeng, id_number=id_number(100 + i))
    # A data admin who does not read every record (the right withdrawn) but serves 四方社区 as a
    # cadre: the worker must export what his admin list shows, not every migrant.
    admin = cast.admin
    Group.objects.get(name=Role.DATA_ADMIN).permissions.remove(Permission.objects.get(codename="view_all_records"))
    admin.groups.add(Group.objects.get(name=Role.CADRE))
    admin.cadre.areas.set([places.sifang])
    login(client, User.objects.get(pk=admin.pk))
    _export(client)
    job = ImportExportJob.objects.get()
    assert job.status == ImportExportJob.Status.DONE and job.rows == 3
    rows = _rows(client.get(f"/admin/xicheng/importexportjob/{job.pk}/download/"))
    assert len(rows) == 1 + 3 and {int(row[1]) for row in rows[1:]} == {sifang.pk}


def test_the_worker_keeps_the_lists_filter(
    client: Client, cast: Cast, places: Places, through_the_worker: None
) -> None:
    house = _migrants(places, 3)
    other: Any = RentalHouseFactory(area=places.sifang_grid, address="四方路99号")
    MigrantFactory(house=other, id_number=id_number(500), name="只此一人")
    login(client, cast.admin)
    _export(client, query="?q=只此一人")
    job = ImportExportJob.objects.get()
    rows = _rows(client.get(f"/admin/xicheng/importexportjob/{job.pk}/download/"))
    assert job.rows == 1 and [int(row[1]) for row in rows[1:]] == [other.pk] != [house.pk]


def test_exported_personal_data_stays_masked_without_the_right(
    client: Client, cast: Cast, places: Places, through_the_worker: None
) -> None:
    _migrants(places, 3)
    # A data admin without the personal-data right.
    Group.objects.get(name=Role.DATA_ADMIN).permissions.remove(Permission.objects.get(codename="view_personal_data"))
    login(client, User.objects.get(pk=cast.admin.pk))
    _export(client)
    rows = _rows(client.get(f"/admin/xicheng/importexportjob/{ImportExportJob.objects.get().pk}/download/"))
    header = rows[0]
    numbers = {row[header.index("身份证号")] for row in rows[1:]}
    phones = {row[header.index("电话")] for row in rows[1:]}
    assert all("*" in n for n in numbers) and phones == {"135****5432"}


def test_a_data_admin_exports_personal_data_whole_and_that_is_logged(
    client: Client, cast: Cast, places: Places, through_the_worker: None
) -> None:
    _migrants(places, 3)
    login(client, cast.admin)
    _export(client)
    rows = _rows(client.get(f"/admin/xicheng/importexportjob/{ImportExportJob.objects.get().pk}/download/"))
    assert {row[rows[0].index("电话")] for row in rows[1:]} == {"13598765432"}
    assert AuditEvent.objects.filter(action=AuditEvent.Action.VIEW_PERSONAL, user=cast.admin).exists()


def test_an_export_is_audited_with_its_row_count(
    client: Client, cast: Cast, places: Places, through_the_worker: None
) -> None:
    _migrants(places, 4)
    login(client, cast.admin)
    _export(client)
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert event.user == cast.admin and event.subject == "admin export governance.migrant"
    assert event.changes["rows"] == [None, 4]
    assert event.ip_address == "127.0.0.1"


def test_an_export_of_the_kernels_targets_is_audited_like_a_domain_register(
    client: Client, cast: Cast, places: Places
) -> None:
    TargetFactory(area=places.sifang)
    TargetFactory(area=places.feifeng)
    login(client, cast.admin)
    fields = ["id", "indicator", "area", "period_start", "period_end", "value"]
    data = {"format": "1", "resource": "0", **{f"targetresource_{f}": "on" for f in fields}}
    response = client.post("/admin/xicheng/target/export/", data)
    assert response.status_code == 200 and len(_rows(response)) == 3
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert event.user == cast.admin and event.subject == "admin export xicheng.target"
    assert event.changes["rows"] == [None, 2]


def test_an_import_of_the_kernels_targets_is_audited_like_a_domain_register(
    client: Client, cast: Cast, places: Places
) -> None:
    indicator = IndicatorFactory()
    data = tablib.Dataset(headers=["id", "indicator", "area", "period_start", "period_end", "value"])
    data.append(["", indicator.pk, places.sifang.pk, "2026-07-01", "2026-12-31", "40"])
    login(client, cast.admin)
    upload = SimpleUploadedFile("targets.csv", data.export("csv").encode(), content_type="text/csv")
    client.post("/admin/xicheng/target/import/", {"import_file": upload, "format": "0", "resource": "0"})
    assert Target.objects.get(indicator=indicator).value == 40
    event = AuditEvent.objects.get(action=AuditEvent.Action.IMPORT)
    assert event.user == cast.admin and event.subject == "admin import xicheng.target"
    assert event.changes["rows"] == [None, 1]


def test_only_the_owner_may_see_or_download_a_job(
    client: Client, cast: Cast, places: Places, through_the_worker: None
) -> None:
    _migrants(places, 3)
    login(client, cast.admin)
    _export(client)
    job = ImportExportJob.objects.get()
    other = Client()
    login(other, cast.sysadmin)  # staff, in the admin, but not the owner
    assert other.get(f"/admin/xicheng/importexportjob/{job.pk}/download/").status_code == 404
    assert other.get(f"/admin/xicheng/importexportjob/{job.pk}/change/").status_code == 404
    assert (
        f"/admin/xicheng/importexportjob/{job.pk}/change/"
        not in other.get("/admin/xicheng/importexportjob/").content.decode()
    )
    assert client.get("/admin/xicheng/importexportjob/").status_code == 200
    anonymous = Client()
    assert anonymous.get(f"/admin/xicheng/importexportjob/{job.pk}/download/").status_code == 302  # to the login


def test_a_running_job_page_polls_and_shows_the_rows_done(client: Client, cast: Cast) -> None:
    job = ImportExportJob.objects.create(
        kind="export", model="governance.migrant", user=cast.admin, file_format="XLSX", total=55010,
        status=ImportExportJob.Status.RUNNING,
    )  # fmt: skip
    cache.set(progress_key(job.pk), 11002)
    login(client, cast.admin)
    partial = client.get(f"/admin/xicheng/importexportjob/{job.pk}/change/", headers={"HX-Request": "true"})
    body = partial.content.decode()
    assert 'hx-trigger="every 1s"' in body and 'max="55010" value="11002"' in body
    assert "<html" not in body and "20%" in body
    assert "download" not in body


# Imports ----------------------------------------------------------------------------------------


def test_a_large_import_runs_as_a_job_and_saves_every_row(
    client: Client, cast: Cast, places: Places, through_the_worker: None
) -> None:
    login(client, cast.admin)
    response = _import(client, _houses(30))
    job = ImportExportJob.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{job.pk}/change/")
    assert job.status == ImportExportJob.Status.DONE and job.rows == 30
    assert RentalHouse.objects.count() == 30
    page = client.get(response["Location"]).content.decode()
    assert 'max="30" value="30"' in page and "导入 30 行" in page


def test_imported_rows_keep_who_imported_them_in_their_history(
    client: Client, cast: Cast, places: Places, through_the_worker: None
) -> None:
    login(client, cast.admin)
    _import(client, _houses(3))
    house = RentalHouse.objects.first()
    assert house is not None and house.history.get().history_user == cast.admin  # type: ignore[attr-defined]


def test_a_bad_row_imports_nothing_and_the_job_lists_row_column_and_value(
    client: Client, cast: Cast, places: Places, through_the_worker: None
) -> None:
    login(client, cast.admin)
    response = _import(client, _houses(40, bad_rows={17: ("rooms", "十间"), 33: ("area", "nowhere")}))
    job = ImportExportJob.objects.get()
    assert RentalHouse.objects.count() == 0
    assert job.status == ImportExportJob.Status.FAILED
    refused = {(e["row"], e["column"], e["value"]) for e in job.errors}
    # Named as the sheet names them: the column's label, the row's number, the value found.
    assert refused == {(17, "房间数", "十间"), (33, "网格", "nowhere")}
    page = client.get(response["Location"]).content.decode()
    assert "十间" in page and "nowhere" in page and "没有导入" in page
    event = AuditEvent.objects.get(action=AuditEvent.Action.IMPORT)
    assert event.changes == {"rows": [None, 0], "refused_rows": [None, 2]}


def test_a_small_import_with_a_bad_row_shows_the_rows_on_the_import_page(
    client: Client, cast: Cast, places: Places
) -> None:
    login(client, cast.admin)
    response = _import(client, _houses(3, bad_rows={2: ("rooms", "-4")}))
    page = response.content.decode()
    assert response.status_code == 200 and RentalHouse.objects.count() == 0
    assert 'class="job-error"><td>2</td><td>房间数</td><td>-4</td>' in page


def test_a_good_import_is_audited_with_its_row_count(client: Client, cast: Cast, places: Places) -> None:
    login(client, cast.admin)
    response = _import(client, _houses(3))
    assert response.status_code == 302 and response["Location"] == "/admin/governance/rentalhouse/"
    event = AuditEvent.objects.get(action=AuditEvent.Action.IMPORT)
    assert event.subject == "admin import governance.rentalhouse" and event.changes["rows"] == [None, 3]


def test_missing_columns_are_named_before_anything_is_imported(client: Client, cast: Cast, places: Places) -> None:
    login(client, cast.admin)
    response = _import(client, _houses(3, headers=["id", "area", "landlord", "rooms"]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "文件缺少这些列：地址" in page
    assert RentalHouse.objects.count() == 0 and not ImportExportJob.objects.exists()


def test_unknown_columns_are_named_before_anything_is_imported(client: Client, cast: Cast, places: Places) -> None:
    login(client, cast.admin)
    headers = ["area", "adress", "landlord", "rooms", "住址"]
    response = _import(client, _houses(3, headers=headers))
    page = response.content.decode()
    assert "adress, 住址" in page and "文件缺少这些列：地址" in page
    assert RentalHouse.objects.count() == 0 and not ImportExportJob.objects.exists()


def test_the_uploaded_file_is_not_kept_once_read(
    client: Client, cast: Cast, places: Places, through_the_worker: None, settings: Any
) -> None:
    login(client, cast.admin)
    before = set(settings.MEDIA_ROOT.rglob("*.csv"))  # other tests' files share the folder
    _import(client, _houses(5))
    job = ImportExportJob.objects.get()
    assert not job.file and not {p for p in settings.MEDIA_ROOT.rglob("*.csv") if p.is_file()} - before


# The worker's side ------------------------------------------------------------------------------


def test_a_job_runs_once_even_if_the_task_is_delivered_twice(cast: Cast, places: Places) -> None:
    _migrants(places, 2)
    job = ImportExportJob.objects.create(kind="export", model="governance.migrant", user=cast.admin, file_format="XLSX")
    job_run(job.pk)
    job.refresh_from_db()
    finished = job.finished_at
    job_run(job.pk)
    job.refresh_from_db()
    assert job.status == ImportExportJob.Status.DONE and job.finished_at == finished
    assert AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).count() == 1


def test_a_job_the_user_lost_the_scope_for_exports_nothing(cast: Cast, places: Places) -> None:
    # The worker re-reads the user: 王 serves 飞凤社区 and sees none of 四方's migrants.
    _migrants(places, 3)
    cast.wang.is_staff = True
    cast.wang.save(update_fields=["is_staff"])
    job = ImportExportJob.objects.create(kind="export", model="governance.migrant", user=cast.wang, file_format="XLSX")
    job_run(job.pk)
    job.refresh_from_db()
    assert job.status == ImportExportJob.Status.DONE and job.rows == 0 and job.total == 0


def test_expired_jobs_lose_their_files_and_newer_ones_keep_them(
    client: Client, cast: Cast, places: Places, through_the_worker: None, settings: Any
) -> None:
    _migrants(places, 3)
    login(client, cast.admin)
    _export(client)
    _export(client)
    old, new = ImportExportJob.objects.order_by("pk")
    ImportExportJob.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=25))
    old_path = old.file.path
    assert jobs_purge_expired() == 1
    assert not ImportExportJob.objects.filter(pk=old.pk).exists()
    assert client.get(f"/admin/xicheng/importexportjob/{old.pk}/download/").status_code == 404
    assert not settings.MEDIA_ROOT.joinpath(old_path).exists()
    assert client.get(f"/admin/xicheng/importexportjob/{new.pk}/download/").status_code == 200


def test_every_import_export_admin_is_built_on_the_kernels_job_admin() -> None:
    from django.contrib import admin
    from import_export.admin import ImportExportMixin

    from xicheng.admin import ImportExportAdmin

    with_excel = [a for a in admin.site._registry.values() if isinstance(a, ImportExportMixin)]
    assert len(with_excel) >= 6
    assert all(isinstance(a, ImportExportAdmin) for a in with_excel), [type(a).__name__ for a in with_excel]


def test_a_job_whose_user_lost_the_role_meanwhile_does_nothing(cast: Cast, places: Places) -> None:
    _migrants(places, 2)
    job = ImportExportJob.objects.create(kind="export", model="governance.migrant", user=cast.admin, file_format="XLSX")
    cast.admin.groups.clear()  # the data admin role taken away after the job was queued
    job_run(job.pk)
    job.refresh_from_db()
    assert job.status == ImportExportJob.Status.FAILED and not job.file
    assert "无权" in job.message
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


def test_a_job_of_a_closed_account_does_nothing(cast: Cast, places: Places) -> None:
    _migrants(places, 2)
    job = ImportExportJob.objects.create(kind="export", model="governance.migrant", user=cast.admin, file_format="XLSX")
    cast.admin.is_active = False
    cast.admin.save(update_fields=["is_active"])
    job_run(job.pk)
    job.refresh_from_db()
    assert job.status == ImportExportJob.Status.FAILED and not job.file
