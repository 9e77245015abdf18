"""Settings past one machine (docs/deployment.md): the read replica is optional and absent by
default, and pgbouncer's transaction pooling gets the connection settings it needs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, router
from django.test import override_settings

from tests.conftest import Cast, Places
from tests.governance.factories import MigrantFactory, RentalHouseFactory, id_number
from xicheng.jobs import ImportExportJob, job_run

ROOT = Path(__file__).resolve().parents[2]
BASE = {
    "PATH": "/usr/bin:/bin",
    "DEBUG": "false",
    "SECRET_KEY": "test-only-secret-key",
    "PERSONAL_DATA_KEY": "test-only-personal-data-key",
    "DATABASE_URL": "postgres://xicheng:pw@db.internal:5432/xicheng",
}
PRINT = """
import json
from django.conf import settings
print(json.dumps({
    "databases": settings.DATABASES,
    "routers": settings.DATABASE_ROUTERS,
    "middleware": settings.MIDDLEWARE,
    "sticky": settings.REPLICA_STICKY_SECONDS,
}, default=str))
"""


def _settings(**env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", PRINT],
        cwd=ROOT,
        env={**BASE, "DJANGO_SETTINGS_MODULE": "xicheng.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def _read(**env: str) -> dict[str, Any]:
    result = _settings(**env)
    assert result.returncode == 0, result.stderr
    values: dict[str, Any] = json.loads(result.stdout)
    return values


def test_without_a_replica_there_is_one_database_and_no_router() -> None:
    values = _read()
    assert list(values["databases"]) == ["default"]
    assert values["routers"] == []
    assert "xicheng.routers.ReplicaMiddleware" not in values["middleware"]


def test_a_replica_url_is_read_like_the_database_url_and_installs_the_router() -> None:
    values = _read(
        DATABASE_REPLICA_URL="postgres://xicheng_ro:pw@replica.internal:5433/xicheng", REPLICA_STICKY_SECONDS="30"
    )
    replica = values["databases"]["replica"]
    assert (replica["HOST"], replica["PORT"], replica["NAME"], replica["USER"]) == (
        "replica.internal",
        5433,
        "xicheng",
        "xicheng_ro",
    )
    assert replica["ENGINE"] == values["databases"]["default"]["ENGINE"]
    assert replica["CONN_MAX_AGE"] == values["databases"]["default"]["CONN_MAX_AGE"]
    assert replica["TEST"] == {"MIRROR": "default"}
    assert values["routers"] == ["xicheng.routers.ReplicaRouter"]
    assert values["middleware"][-1] == "xicheng.routers.ReplicaMiddleware"
    assert values["sticky"] == 30


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"DATABASE_REPLICA_URL": "mysql://db/xicheng"},
            "DATABASE_REPLICA_URL must be a URL starting with postgres://",
        ),
        ({"REPLICA_STICKY_SECONDS": "-1"}, "REPLICA_STICKY_SECONDS must be 0 or more"),
        ({"DATABASE_POOLER": "pgpool"}, "DATABASE_POOLER must be none or pgbouncer"),
        ({"DATABASE_RANDOM_PAGE_COST": "ssd"}, "DATABASE_RANDOM_PAGE_COST must be a number above 0"),
        ({"DATABASE_RANDOM_PAGE_COST": "0"}, "DATABASE_RANDOM_PAGE_COST must be a number above 0"),
    ],
)
def test_a_bad_value_stops_the_start_with_its_name(env: dict[str, str], message: str) -> None:
    result = _settings(**env)
    assert result.returncode != 0
    assert message in result.stderr


def test_pgbouncer_turns_server_side_cursors_off_and_checks_kept_connections_on_every_database() -> None:
    values = _read(
        DATABASE_POOLER="pgbouncer", DATABASE_REPLICA_URL="postgres://xicheng_ro:pw@replica.internal:6432/xicheng"
    )
    for alias in ("default", "replica"):
        database = values["databases"][alias]
        assert database["DISABLE_SERVER_SIDE_CURSORS"] is True, alias
        assert database["CONN_HEALTH_CHECKS"] is True, alias
        assert database["CONN_MAX_AGE"] == 300, alias
    assert _read()["databases"]["default"].get("DISABLE_SERVER_SIDE_CURSORS", False) is False


def test_every_postgresql_connection_plans_for_an_ssd_unless_told_otherwise() -> None:
    for values in (_read(), _read(DATABASE_REPLICA_URL="postgres://xicheng_ro:pw@replica.internal:5433/xicheng")):
        for database in values["databases"].values():
            assert database["OPTIONS"]["options"] == "-c random_page_cost=1.1"
    assert _read(DATABASE_RANDOM_PAGE_COST="2")["databases"]["default"]["OPTIONS"]["options"] == "-c random_page_cost=2"
    assert "options" not in _read(DATABASE_RANDOM_PAGE_COST="server")["databases"]["default"].get("OPTIONS", {})
    # pgbouncer passes no startup options: there it is the database's own setting.
    assert "options" not in _read(DATABASE_POOLER="pgbouncer")["databases"]["default"].get("OPTIONS", {})
    assert "options" not in _read(DATABASE_URL="sqlite:///x.sqlite3")["databases"]["default"].get("OPTIONS", {})


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL planner setting")
def test_the_test_database_runs_with_that_setting(db: None) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SHOW random_page_cost")
        assert cursor.fetchone() == ("1.1",)


@override_settings(DATABASE_ROUTERS=["xicheng.routers.ReplicaRouter"])
def test_migrations_run_on_the_primary_only() -> None:
    assert router.allow_migrate("default", "governance") is True
    assert router.allow_migrate("replica", "governance") is False


def _open_cursors() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_cursors")
        count: int = cursor.fetchone()[0]
    return count


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="server-side cursors are PostgreSQL's")
def test_under_pgbouncers_settings_an_export_reads_every_row_without_a_cursor_left_on_the_server(
    cast: Cast, places: Places, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from governance.models import Migrant

    house: Any = RentalHouseFactory(area=places.sifang_grid)
    for i in range(5):
        MigrantFactory(house=house, id_number=id_number(i))
    # Without the setting a chunked read keeps a cursor open on the server between its fetches:
    # under transaction pooling the next fetch may reach another server connection.
    rows = Migrant.objects.iterator(chunk_size=2)
    next(rows)
    assert _open_cursors() == 1
    rows.close()
    monkeypatch.setitem(connection.settings_dict, "DISABLE_SERVER_SIDE_CURSORS", True)  # what DATABASE_POOLER sets
    rows = Migrant.objects.iterator(chunk_size=2)
    next(rows)
    assert _open_cursors() == 0
    rows.close()
    # The export jobs read in chunks (django-import-export's iterator): every row still comes out.
    settings.IMPORT_EXPORT_CHUNK_SIZE = 2
    job = ImportExportJob.objects.create(kind="export", model="governance.migrant", user=cast.admin, file_format="XLSX")
    job_run(job.pk)
    job.refresh_from_db()
    assert job.status == ImportExportJob.Status.DONE and job.rows == 5
