"""The read replica (xicheng/routers.py): which reads go where, and a writer reads their own write.

On PostgreSQL the test settings add a stand-in replica, `replica`, a second connection to the same
test database (TEST MIRROR), so that each query's alias can be read off its connection. The router
and its middleware are installed here only, as a production settings file with
`DATABASE_REPLICA_URL` installs them. The requests run in transactional tests: the replica's
connection sees only committed rows, as a real replica does.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.db import connection, connections, router
from django.test import Client
from knox.models import AuthToken

from tests.conftest import Cast, Places, login
from tests.factories import TaskFactory
from tests.governance.factories import MigrantFactory, RentalHouseFactory, id_number
from xicheng.jobs import ImportExportJob, job_run
from xicheng.models import Area, WorkLine
from xicheng.routers import PRIMARY, REPLICA, primary_only, replica_reads, sticky_key

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the stand-in replica is set up on PostgreSQL"),
    pytest.mark.django_db(transaction=True, databases=[PRIMARY, REPLICA]),
]

TABLE = re.compile(r'(?:FROM|JOIN|INTO|UPDATE)\s+"(\w+)"')


@pytest.fixture(autouse=True)
def with_a_replica(settings: Any) -> None:
    settings.DATABASE_ROUTERS = ["xicheng.routers.ReplicaRouter"]
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "xicheng.routers.ReplicaMiddleware"]
    settings.REPLICA_STICKY_SECONDS = 10


class Queries:
    """The tables each alias read or wrote while recording."""

    def __init__(self) -> None:
        self.tables: dict[str, set[str]] = {PRIMARY: set(), REPLICA: set()}
        self.models = {model._meta.db_table: model for model in apps.get_models(include_auto_created=True)}

    def record(self, alias: str) -> Callable[..., Any]:
        def wrapper(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
            self.tables[alias].update(TABLE.findall(sql))
            return execute(sql, params, many, context)

        return wrapper

    def replicated(self, alias: str) -> set[str]:
        """Tables of the registers and the kernel's records (what the replica is for)."""
        return {t for t in self.tables[alias] if t in self.models and not primary_only(self.models[t])}

    def bookkeeping(self, alias: str) -> set[str]:
        """Sessions, users, tokens, audit events: the request's own, always on the primary."""
        return {t for t in self.tables[alias] if t in self.models and primary_only(self.models[t])}


@contextmanager
def recording() -> Iterator[Queries]:
    queries = Queries()
    with ExitStack() as stack:
        for alias in (PRIMARY, REPLICA):
            stack.enter_context(connections[alias].execute_wrapper(queries.record(alias)))
        yield queries


def assert_read_from_the_replica(queries: Queries) -> None:
    assert queries.replicated(REPLICA), queries.tables
    assert not queries.replicated(PRIMARY), queries.tables
    # A register's row may join its author (auth_user) on the replica; the session never leaves the primary.
    assert "django_session" not in queries.tables[REPLICA], queries.tables


def assert_read_from_the_primary(queries: Queries) -> None:
    assert queries.replicated(PRIMARY), queries.tables
    assert not queries.tables[REPLICA], queries.tables


def _signed_in(user: User) -> Client:
    client = Client()
    login(client, user)
    return client


def test_a_leaders_dashboard_reads_the_replica_and_who_is_signed_in_from_the_primary(cast: Cast) -> None:
    client = _signed_in(cast.zhao)
    with recording() as queries:
        assert client.get("/dashboard/").status_code == 200
    assert_read_from_the_replica(queries)
    assert {"django_session", "auth_user"} <= queries.bookkeeping(PRIMARY)
    for path in ("/dashboard/export.xlsx", "/api/v1/dashboard/"):
        with recording() as queries:
            assert client.get(path).status_code == 200, path
        assert_read_from_the_replica(queries)


def test_an_api_client_reads_the_replica_with_its_token(cast: Cast, places: Places) -> None:
    TaskFactory(area=places.sifang, lead_leader=cast.zhao, responsible=cast.li)
    _, key = AuthToken.objects.create(user=cast.api)
    with recording() as queries:
        response = Client().get("/api/v1/tasks/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200 and response.json()["count"] == 1
    assert_read_from_the_replica(queries)
    assert "knox_authtoken" in queries.bookkeeping(PRIMARY)


def test_a_cadres_pages_and_every_write_use_the_primary_only(cast: Cast, places: Places) -> None:
    task = TaskFactory(area=places.sifang, lead_leader=cast.zhao, responsible=cast.li)
    client = _signed_in(cast.li)
    with recording() as queries:
        assert client.get("/my/").status_code == 200
        assert client.get("/tasks/").status_code == 200
    assert_read_from_the_primary(queries)
    with recording() as queries:
        response = client.post(
            f"/api/v1/tasks/{task.pk}/updates/",
            {"note": "暂停待料", "status": "blocked", "version": 1},
            content_type="application/json",
        )
    assert response.status_code == 201, response.content
    assert_read_from_the_primary(queries)


def test_a_writer_reads_the_primary_within_the_window_and_the_replica_after_it(
    cast: Cast, places: Places, settings: Any
) -> None:
    settings.REPLICA_STICKY_SECONDS = 1
    task = TaskFactory(area=places.sifang, lead_leader=cast.zhao, responsible=cast.li)
    client = _signed_in(cast.li)
    response = client.post(
        f"/api/v1/tasks/{task.pk}/updates/",
        {"note": "暂停待料", "status": "blocked", "version": 1},
        content_type="application/json",
    )
    assert response.status_code == 201
    with recording() as queries:
        listed = client.get("/api/v1/tasks/").json()["results"]
    assert [row["status"] for row in listed] == ["blocked"]
    assert_read_from_the_primary(queries)
    # Only the writer is held on the primary.
    with recording() as queries:
        assert _signed_in(cast.zhao).get("/api/v1/tasks/").status_code == 200
    assert_read_from_the_replica(queries)
    time.sleep(1.2)
    with recording() as queries:
        assert client.get("/api/v1/tasks/").status_code == 200
    assert_read_from_the_replica(queries)


def test_a_write_in_the_middle_of_a_request_sends_its_later_reads_to_the_primary(cast: Cast, places: Places) -> None:
    with replica_reads(user=lambda: cast.zhao, replica=True):
        assert router.db_for_read(Area) == REPLICA
        assert router.db_for_read(User) == PRIMARY  # who is signed in: always the primary
        WorkLine.objects.create(name="强发展", order=2)
        assert router.db_for_read(Area) == PRIMARY
    assert router.db_for_read(Area) == PRIMARY  # outside a request or job: the primary
    from django.core.cache import cache

    assert cache.get(sticky_key(cast.zhao.pk))


def test_an_export_job_reads_the_replica(cast: Cast, places: Places) -> None:
    house: Any = RentalHouseFactory(area=places.sifang_grid)
    for i in range(5):
        MigrantFactory(house=house, id_number=id_number(i))
    job = ImportExportJob.objects.create(kind="export", model="governance.migrant", user=cast.admin, file_format="XLSX")
    with recording() as queries:
        job_run(job.pk)  # as the worker runs it
    job.refresh_from_db()
    assert job.status == ImportExportJob.Status.DONE and job.rows == 5
    assert "governance_migrant" in queries.replicated(REPLICA)
    assert not queries.replicated(PRIMARY), queries.tables
    assert "xicheng_importexportjob" in queries.bookkeeping(PRIMARY)
    assert "xicheng_importexportjob" not in queries.tables[REPLICA]
