"""What /healthz checks: each service a request or a job needs. The answer names the parts and
says ok or error, never an address, a password or an exception's text."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import connection

logger = logging.getLogger(__name__)


def database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def cache_round_trip() -> str:
    key, value = f"xicheng:healthz:{uuid.uuid4().hex}", uuid.uuid4().hex
    cache.set(key, value, timeout=10)
    found = cache.get(key)
    cache.delete(key)
    if found != value:
        raise RuntimeError("the cache did not return what was stored")
    return "ok"


def broker() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "eager"  # jobs run in the web process: there is no broker to reach
    from kombu import Connection

    with Connection(settings.CELERY_BROKER_URL, connect_timeout=2) as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
    return "ok"


CHECKS: dict[str, Callable[[], str]] = {"database": database, "cache": cache_round_trip, "broker": broker}


def report() -> tuple[bool, dict[str, str]]:
    results: dict[str, str] = {}
    for name, check in CHECKS.items():
        try:
            results[name] = check()
        except Exception as error:
            # The log keeps the cause for the administrators; the answer only names the part.
            logger.warning("health check: %s failed: %s", name, type(error).__name__)
            results[name] = "error"
    return all(state != "error" for state in results.values()), results
