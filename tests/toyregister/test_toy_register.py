"""The toy register gets every face from the kernel's toolkit, and each behaves like the real
registers': scope, masking and its logged show path, the staged step and its undo, the audited
import and export, the metrics, and a fixed number of queries whatever the data size. (Its routes
are in the role matrix, tests/xicheng/test_role_matrix.py, beside the real ones.)"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from tests.conftest import CAST, Cast, Places, assert_role_matrix, count_queries, login
from tests.openapi import assert_matches_schema
from tests.toyregister.admin import LampRepairResource
from tests.toyregister.models import LampRepair
from xicheng import metrics
from xicheng.audit import audit_tables
from xicheng.jobs import ImportExportJob
from xicheng.models import Area, AuditEvent
from xicheng.periods import Period

pytestmark = pytest.mark.django_db

REPORTED = date(2026, 3, 2)


def lamp(area: Area, **fields: Any) -> LampRepair:
    return LampRepair.objects.create(
        area=area, **{"address": "四方路灯1号", "reporter": "张三丰", "reported_on": REPORTED, **fields}
    )


def roles(**given: int) -> dict[str, int]:
    return {role: given.get(role, given.get("others", 0)) for role in CAST}


# Scope ------------------------------------------------------------------------------------------


def test_a_cadre_sees_only_the_lamps_of_the_village_they_serve(client: Client, cast: Cast, places: Places) -> None:
    lamp(places.sifang_grid, address="四方路灯")
    lamp(places.feifeng_grid, address="飞凤路灯")
    client.force_login(cast.li)
    page = client.get("/toyregister/lamps/").content.decode()
    assert "四方路灯" in page and "飞凤路灯" not in page
    api = APIClient()
    api.force_login(cast.li)
    assert [row["address"] for row in api.get("/api/v1/lamp-repairs/").json()["results"]] == ["四方路灯"]


def test_the_list_page_and_the_api_list_answer_each_role_as_the_real_registers_do(cast: Cast, places: Places) -> None:
    lamp(places.sifang_grid)
    # The page: the auditor and the system admin are refused, the anonymous sent to sign in.
    page = roles(others=200, anonymous=302, nobody=403, sysadmin=403, auditor=403)
    assert_role_matrix(cast, "GET", "/toyregister/lamps/", page)
    api = roles(others=200, anonymous=401, nobody=403, sysadmin=403, auditor=403)
    assert_role_matrix(cast, "GET", "/api/v1/lamp-repairs/", api, api=True)


def test_a_lamp_outside_the_cadres_villages_is_a_404(cast: Cast, places: Places) -> None:
    other = lamp(places.feifeng_grid)
    api = APIClient()
    api.force_login(cast.li)
    assert api.get(f"/api/v1/lamp-repairs/{other.pk}/").status_code == 404
    assert api.post(f"/api/v1/lamp-repairs/{other.pk}/advance/", {"version": 1}, format="json").status_code == 404


# Queries ----------------------------------------------------------------------------------------

# Pinned like the real registers' lists (tests/governance/test_queries.py).
# The area filter is a search box (#13): no query for every area.
# Each page's header counts the unread notifications (督办): one query.
QUERIES = {"/toyregister/lamps/": 12, "/api/v1/lamp-repairs/": 9, "/toyregister/lamps/?page=2": 12}


def _grow(places: Places, n: int) -> None:
    LampRepair.objects.bulk_create(
        [
            LampRepair(area=places.sifang_grid, address=f"四方路灯{i}号", reporter="张三丰", reported_on=REPORTED)
            for i in range(n)
        ]
    )


@pytest.mark.parametrize("url", list(QUERIES))
def test_the_toy_lists_cost_the_same_for_60_and_3000_lamps(
    client: Client, cast: Cast, places: Places, url: str
) -> None:
    client.force_login(cast.li)
    _grow(places, 60)
    small = count_queries(lambda: client.get(url))
    _grow(places, 3000 - 60)
    assert client.get(url).status_code == 200
    large = count_queries(lambda: client.get(url))
    assert small == large == QUERIES[url], (small, large, QUERIES[url])


# Personal data ----------------------------------------------------------------------------------


def test_the_reporter_is_masked_on_the_page_and_the_api_without_the_right(
    client: Client, cast: Cast, places: Places
) -> None:
    lamp(places.sifang_grid)
    client.force_login(cast.zhao)
    page = client.get("/toyregister/lamps/").content.decode()
    assert "张*丰" in page and "张三丰" not in page
    api = APIClient()
    api.force_login(cast.zhao)
    assert api.get("/api/v1/lamp-repairs/").json()["results"][0]["reporter"] == "张*丰"
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.VIEW_PERSONAL).exists()


def test_a_holder_of_the_right_sees_the_reporter_whole_and_the_read_is_logged(
    client: Client, cast: Cast, places: Places
) -> None:
    lamp(places.sifang_grid)
    login(client, cast.admin)
    assert "张三丰" in client.get("/toyregister/lamps/").content.decode()
    api = APIClient()
    login(api, cast.admin)
    assert api.get("/api/v1/lamp-repairs/").json()["results"][0]["reporter"] == "张三丰"
    logged = AuditEvent.objects.filter(action=AuditEvent.Action.VIEW_PERSONAL, user=cast.admin)
    assert set(logged.values_list("subject", flat=True)) == {"lamprepair list page 1", "API lamp repairs list"}


def test_the_reporter_is_exported_masked_without_the_right_and_whole_with_it(cast: Cast, places: Places) -> None:
    lamp(places.sifang_grid)
    rows = LampRepair.objects.all()
    assert LampRepairResource(user=cast.zhao).export(queryset=rows).dict[0]["reporter"] == "张*丰"
    assert LampRepairResource(user=cast.admin).export(queryset=rows).dict[0]["reporter"] == "张三丰"


def test_the_admin_list_shows_the_reporter_masked(client: Client, cast: Cast, places: Places) -> None:
    lamp(places.sifang_grid)
    login(client, cast.admin)
    page = client.get("/admin/toyregister/lamprepair/").content.decode()
    assert "张*丰" in page and "张三丰" not in page


# Stages -----------------------------------------------------------------------------------------


def test_a_cadre_marks_a_lamp_repaired_and_undoes_it_through_the_api(cast: Cast, places: Places) -> None:
    row = lamp(places.sifang_grid)
    api = APIClient()
    api.force_login(cast.li)
    done = api.post(f"/api/v1/lamp-repairs/{row.pk}/advance/", {"version": 1, "on": "2026-03-05"}, format="json")
    assert done.status_code == 200, done.json()
    assert (done.json()["status"], done.json()["repaired_on"], done.json()["version"]) == ("repaired", "2026-03-05", 2)
    assert_matches_schema(done, "/api/v1/lamp-repairs/{id}/advance/", "POST")
    assert api.post(f"/api/v1/lamp-repairs/{row.pk}/advance/", {"version": 2}, format="json").status_code == 400
    undone = api.post(f"/api/v1/lamp-repairs/{row.pk}/revert/", {"version": 2}, format="json")
    assert (undone.json()["status"], undone.json()["repaired_on"], undone.json()["version"]) == ("reported", None, 3)
    row.refresh_from_db()
    assert row.history.count() == 3  # type: ignore[attr-defined]
    assert row.history.first().history_user == cast.li  # type: ignore[attr-defined]


def test_a_step_on_a_stale_version_is_a_409_with_the_current_one(cast: Cast, places: Places) -> None:
    row = lamp(places.sifang_grid)
    api = APIClient()
    api.force_login(cast.li)
    assert api.post(f"/api/v1/lamp-repairs/{row.pk}/advance/", {"version": 1}, format="json").status_code == 200
    stale = api.post(f"/api/v1/lamp-repairs/{row.pk}/revert/", {"version": 1}, format="json")
    assert stale.status_code == 409
    assert (stale.json()["version"], stale["ETag"]) == (2, '"2"')
    assert api.post(f"/api/v1/lamp-repairs/{row.pk}/advance/", {"version": 1}, format="json").status_code == 409
    assert_matches_schema(stale, "/api/v1/lamp-repairs/{id}/revert/", "POST")


def test_a_repair_cannot_be_dated_before_the_report(cast: Cast, places: Places) -> None:
    row = lamp(places.sifang_grid)
    api = APIClient()
    api.force_login(cast.li)
    early = REPORTED - timedelta(days=1)
    answer = api.post(f"/api/v1/lamp-repairs/{row.pk}/advance/", {"version": 1, "on": str(early)}, format="json")
    assert answer.status_code == 400


def test_the_one_tap_step_and_its_undo_on_the_page(client: Client, cast: Cast, places: Places) -> None:
    row = lamp(places.sifang_grid)
    client.force_login(cast.li)
    assert f'action="/toyregister/lamps/{row.pk}/next-step/"' in client.get("/toyregister/lamps/").content.decode()
    card = client.post(f"/toyregister/lamps/{row.pk}/next-step/", {"version": 1}, HTTP_HX_REQUEST="true")
    row.refresh_from_db()
    assert (row.status, row.repaired_on) == ("repaired", timezone.localdate())
    assert f'action="/toyregister/lamps/{row.pk}/undo-step/"' in card.content.decode()
    assert client.post(f"/toyregister/lamps/{row.pk}/undo-step/", {"version": 2}).status_code == 302
    row.refresh_from_db()
    assert (row.status, row.repaired_on, row.version) == ("reported", None, 3)


def test_a_cadre_of_another_village_or_an_api_client_cannot_take_the_step(
    client: Client, cast: Cast, places: Places
) -> None:
    row = lamp(places.feifeng_grid)
    client.force_login(cast.li)
    assert client.post(f"/toyregister/lamps/{row.pk}/next-step/", {"version": 1}).status_code == 404
    client.force_login(cast.api)
    assert client.post(f"/toyregister/lamps/{row.pk}/next-step/", {"version": 1}).status_code == 403


# Import and export ------------------------------------------------------------------------------

HEADERS = ["id", "area", "address", "reporter", "status", "reported_on", "repaired_on"]


def _upload(rows: list[list[Any]]) -> SimpleUploadedFile:
    data = tablib.Dataset(*rows, headers=HEADERS)
    return SimpleUploadedFile("lamps.csv", data.csv.encode(), content_type="text/csv")


def test_an_admin_import_writes_every_row_through_the_kernels_job(client: Client, cast: Cast, places: Places) -> None:
    rows = [["", "sifang-grid-1", f"四方路灯{i}号", "张三丰", "reported", "2026-03-02", ""] for i in range(5)]
    login(client, cast.admin)
    response = client.post(
        "/admin/toyregister/lamprepair/import/", {"import_file": _upload(rows), "format": "0", "resource": "0"}
    )
    assert response.status_code == 302
    assert LampRepair.objects.count() == 5
    job = ImportExportJob.objects.get()
    assert (job.kind, job.status, job.rows, job.user) == ("import", "done", 5, cast.admin)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.IMPORT, user=cast.admin).exists()


def test_one_bad_row_imports_nothing_and_is_named(client: Client, cast: Cast, places: Places) -> None:
    rows = [["", "sifang-grid-1", f"四方路灯{i}号", "张三丰", "reported", "2026-03-02", ""] for i in range(5)]
    rows[3][1] = "no-such-area"
    login(client, cast.admin)
    response = client.post(
        "/admin/toyregister/lamprepair/import/", {"import_file": _upload(rows), "format": "0", "resource": "0"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert LampRepair.objects.count() == 0
    job = ImportExportJob.objects.get()
    assert job.status == "failed"
    assert "no-such-area" in page


def test_an_import_cannot_move_an_existing_lamp_along_its_stages(cast: Cast, places: Places) -> None:
    row = lamp(places.sifang_grid)
    data = tablib.Dataset(headers=HEADERS)
    data.append([row.pk, "sifang-grid-1", row.address, row.reporter, "repaired", "2026-03-02", "2026-03-05"])
    result = LampRepairResource(user=cast.admin).import_data(data, dry_run=False)
    assert result.has_validation_errors()
    row.refresh_from_db()
    assert row.status == "reported"


def test_an_admin_export_is_audited_and_its_file_kept_for_its_owner(client: Client, cast: Cast, places: Places) -> None:
    lamp(places.sifang_grid)
    login(client, cast.admin)
    fields = {f"lamprepairresource_{f}": "on" for f in ["id", "area", "address", "reporter"]}
    response = client.post("/admin/toyregister/lamprepair/export/", {"format": "0", "resource": "0", **fields})
    assert response.status_code == 200
    assert "张三丰" in b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    assert AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT, subject__contains="lamprepair").exists()
    assert ImportExportJob.objects.get().kind == "export"


# Metrics ----------------------------------------------------------------------------------------


def test_the_step_metrics_count_the_lamps_reported_and_repaired_by_the_day(cast: Cast, places: Places) -> None:
    lamp(places.sifang_grid, status="repaired", repaired_on=date(2026, 3, 10))
    lamp(places.sifang_grid)
    lamp(places.feifeng_grid)
    h1 = Period.half_year(2026, 1)
    reported, repaired = (
        metrics.registry.get("toyregister.lamps_reported"),
        metrics.registry.get("toyregister.lamps_repaired"),
    )
    assert metrics.value_for(reported, h1, places.xicheng, date(2026, 6, 30)) == 3
    assert metrics.value_for(reported, h1, places.sifang, date(2026, 6, 30)) == 2
    assert metrics.value_for(repaired, h1, places.sifang, date(2026, 3, 9)) == 0
    assert metrics.value_for(repaired, h1, places.sifang, date(2026, 3, 10)) == 1


# History ----------------------------------------------------------------------------------------


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the triggers are PostgreSQL's")
def test_the_toys_history_is_an_append_only_audit_table() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname = 'xicheng_audit_append_only'"
        )
        guarded = {row[0] for row in cursor.fetchall()}
    assert "toyregister_historicallamprepair" in set(audit_tables(connection.introspection.table_names())) & guarded
