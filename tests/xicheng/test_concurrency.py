"""Lost updates, tried for real: many PATCHes carrying the same version, at once, over HTTP against a
live server on PostgreSQL (each request its own thread and database connection). Exactly one is
saved; every other one is a 409 that names the current version; nothing else is written."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connection
from knox.models import AuthToken

from tests.conftest import Cast, Places
from tests.factories import TaskFactory
from tests.governance.factories import RentalHouseFactory
from xicheng.models import Task

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks and real concurrency need PostgreSQL"),
]

# Enough threads to keep many requests in flight, few enough for PostgreSQL's connection limit.
WORKERS = 16


def _patch(url: str, key: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="PATCH",
        headers={"Authorization": f"Token {key}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def _storm(url: str, key: str, bodies: list[dict[str, Any]]) -> list[tuple[int, dict[str, Any]]]:
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return list(pool.map(lambda body: _patch(url, key, body), bodies))


def test_200_concurrent_patches_of_a_task_with_the_same_version_save_exactly_one(
    live_server: Any, cast: Cast, places: Places
) -> None:
    task: Any = TaskFactory(area=places.sifang, lead_leader=cast.zhao, responsible=cast.li)
    _token, key = AuthToken.objects.create(user=cast.li)
    bodies = [{"description": f"第{n}稿", "version": 1} for n in range(200)]

    answers = _storm(f"{live_server.url}/api/v1/tasks/{task.pk}/", key, bodies)

    codes = Counter(code for code, _body in answers)
    assert codes == {200: 1, 409: 199}, codes
    winner = next(body for code, body in answers if code == 200)
    assert all(body["version"] == 2 for code, body in answers if code == 409)
    task = Task.objects.get(pk=task.pk)
    # Nothing lost: the one change answered 200 is the one stored, recorded once in the history.
    assert (task.description, task.version) == (winner["description"], 2)
    assert task.history.count() == 2


def test_concurrent_patches_of_a_rental_house_with_the_same_version_save_exactly_one(
    live_server: Any, cast: Cast, places: Places
) -> None:
    house: Any = RentalHouseFactory(area=places.sifang_grid, rooms=4)
    _token, key = AuthToken.objects.create(user=cast.li)
    bodies = [{"rooms": 5 + n, "version": 1} for n in range(50)]

    answers = _storm(f"{live_server.url}/api/v1/rental-houses/{house.pk}/", key, bodies)

    assert Counter(code for code, _body in answers) == {200: 1, 409: 49}
    winner = next(body for code, body in answers if code == 200)
    house.refresh_from_db()
    assert (house.rooms, house.version) == (winner["rooms"], 2)
