"""An export job end to end on a real Celery worker: its own process, started as production
starts it (`celery -A xicheng worker`), with the machine's Redis as broker and cache and the test's
PostgreSQL database. The admin queues the job; the worker exports the rows while the job page
shows the progress rising; the owner downloads the file."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import override_settings

from governance.models import Migrant, RentalHouse
from tests.conftest import Cast, Places, login
from tests.governance.factories import id_number
from xicheng.celery import app
from xicheng.jobs import ImportExportJob
from xicheng.models import AuditEvent
from xicheng.personal import blind_index

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the worker is another process: it needs PostgreSQL to see the data"
    ),
]

ROOT = Path(__file__).resolve().parents[2]
ROWS = 3000


def _database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def worker(redis_url: str) -> Iterator[str]:
    """A worker process on a queue of this test alone (other runs may share the Redis)."""
    queue = f"xicheng-test-{uuid.uuid4().hex[:8]}"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DEBUG": "false",
        "SECRET_KEY": settings.SECRET_KEY,
        "PERSONAL_DATA_KEY": settings.PERSONAL_DATA_KEY,
        "DATABASE_URL": _database_url(),
        "REDIS_URL": redis_url,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    command = [str(Path(sys.executable).parent / "celery"), "-A", "xicheng", "worker", "--pool=solo", "-Q", queue]
    process = subprocess.Popen(
        [*command, "--without-mingle", "--without-gossip", "--without-heartbeat", "--loglevel=INFO"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield queue
    finally:
        process.terminate()
        try:
            output, _ = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
        if os.environ.get("SHOW_WORKER_LOG"):
            print(output)


@pytest.fixture
def sent_to(worker: str, redis_url: str) -> Iterator[str]:
    """This process sends its jobs to the worker's queue through Redis, as a web server does."""
    saved = {key: app.conf[key] for key in ("task_always_eager", "broker_url", "task_default_queue")}
    app.conf.update(task_always_eager=False, broker_url=redis_url, task_default_queue=worker)
    _fresh_connections()
    redis_cache = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url}}
    try:
        with override_settings(CACHES=redis_cache, CELERY_TASK_ALWAYS_EAGER=False):
            yield worker
    finally:
        app.conf.update(saved)
        _fresh_connections()


def _fresh_connections() -> None:
    # Eager runs open a producer pool too (on the in-memory broker of the tests): drop it, so that
    # the next message goes to the broker configured now.
    if app._pool is not None:
        app._pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None


def _migrants(places: Places, n: int) -> RentalHouse:
    house = RentalHouse.objects.create(area=places.sifang_grid, address="四方路8号", landlord="张建华", rooms=40)
    Migrant.objects.bulk_create(
        Migrant(
            house=house,
            name=f"外来{i}",
            id_number=id_number(i),
            id_number_index=blind_index(id_number(i)),
            phone="13598765432",
            registered_on=date(2026, 3, 1),
        )
        for i in range(n)
    )
    return house


def test_a_real_worker_exports_3000_migrants_while_the_page_shows_the_progress(
    client: Client, cast: Cast, places: Places, sent_to: str
) -> None:
    _migrants(places, ROWS)
    login(client, cast.admin)
    fields = {f"migrantresource_{f}": "on" for f in ["id", "house", "name", "id_number", "phone"]}
    response = client.post("/admin/governance/migrant/export/", {"format": "1", "resource": "0", **fields})
    job = ImportExportJob.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{job.pk}/change/")

    seen: list[int] = []
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        # The page first, then the job: a job still running now was running when the page was
        # drawn, so that page must keep polling (the other order races a worker that finishes between).
        page = client.get(f"/admin/xicheng/importexportjob/{job.pk}/change/", headers={"HX-Request": "true"})
        job.refresh_from_db()
        seen.append(job.current_progress())
        if job.finished:
            break
        assert 'hx-trigger="every 1s"' in page.content.decode()
        time.sleep(0.02)
    assert job.status == ImportExportJob.Status.DONE, (job.status, job.message)
    assert seen == sorted(seen), f"progress only rises: {seen}"
    assert any(0 < n < ROWS for n in seen), f"no progress seen between 0 and {ROWS}: {sorted(set(seen))[:10]}"
    assert seen[-1] == ROWS

    download = client.get(f"/admin/xicheng/importexportjob/{job.pk}/download/")
    content = b"".join(download.streaming_content)  # type: ignore[attr-defined]
    rows = list(openpyxl.load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    assert len(rows) == 1 + ROWS and rows[0] == ("记录编号", "出租房", "姓名", "身份证号", "电话")
    assert AuditEvent.objects.get(action=AuditEvent.Action.EXPORT).changes["rows"] == [None, ROWS]
