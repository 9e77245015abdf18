"""The demo, seeded once for every test in this package.

Seeding the demo takes a while, so it happens once, inside a transaction that is rolled back when
the package's last test has run; each test runs in a savepoint inside it (pytest-django's `db`), so
what one test writes is gone before the next. Tests outside this package never see the demo."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.test import Client

from xicheng.demo import DemoContext, seed

TODAY = date(2026, 11, 26)


@contextmanager
def seeded_demo(django_db_blocker: Any) -> Iterator[DemoContext]:
    """The demo, seeded inside a transaction rolled back on leaving (for a package or a module
    fixture; tests/xicheng/test_readme.py uses it too)."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            ctx = seed(today=TODAY, scale=1, out=io.StringIO())
            settle_constraints()
            yield ctx
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def settle_constraints() -> None:
    """Check the seed's deferred foreign keys now, once. Left pending, they were checked again at
    the end of every test (Django checks them before rolling a test back, and a savepoint rolled
    back puts them back in the queue): 1.5 to 2 seconds a test on PostgreSQL."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


@pytest.fixture(scope="package")
def demo(django_db_setup: Any, django_db_blocker: Any) -> Iterator[DemoContext]:
    with seeded_demo(django_db_blocker) as ctx:
        yield ctx


@pytest.fixture
def as_user(demo: DemoContext, db: Any) -> Any:
    """A client signed in as one of the demo people: `as_user("zhao")`."""

    def sign_in(username: str) -> Client:
        client = Client()
        client.force_login(User.objects.get(username=username))
        return client

    return sign_in
