"""Configuration traps: every setting that names a service works when set, and a missing or bad
setting stops every way in (manage.py, the WSGI server, gunicorn, the Celery worker) with one line."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import caches
from django.test.utils import override_settings
from rest_framework.test import APIClient

from tests.conftest import Cast

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
KEYS = {"SECRET_KEY": "k" * 50, "PERSONAL_DATA_KEY": "p" * 40}


def _run(command: list[str], env: dict[str, str], timeout: int = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=ROOT, env={"PATH": "/usr/bin:/bin", **env}, capture_output=True, text=True, timeout=timeout
    )


def _settings_in_a_fresh_process(env: dict[str, str], code: str) -> Any:
    script = f"import django, json; django.setup(); from django.conf import settings; print(json.dumps({code}))"
    result = _run([sys.executable, "-c", script], {"DJANGO_SETTINGS_MODULE": "xicheng.settings", **env})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


# Redis: cache, throttling and broker ------------------------------------------------------------


@pytest.mark.redis
def test_with_redis_url_set_the_cache_stores_and_reads_through_redis(redis_url: str) -> None:
    import redis

    key = f"xicheng-config-test-{uuid.uuid4().hex}"
    script = (
        "import django; django.setup(); from django.core.cache import caches; "
        f"caches['default'].set('{key}', '西城', 30); print(caches['default'].get('{key}')); "
        "print(type(caches['default']).__name__)"
    )
    result = _run(
        [sys.executable, "-c", script],
        {"DJANGO_SETTINGS_MODULE": "xicheng.settings", "DEBUG": "false", "REDIS_URL": redis_url, **KEYS},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["西城", "RedisCache"]
    server = redis.Redis.from_url(redis_url)
    stored = server.keys(f"*{key}")
    assert len(stored) == 1
    server.delete(*stored)


@pytest.mark.redis
@pytest.mark.django_db
def test_with_redis_as_the_cache_an_api_request_answers_and_is_throttled_there(
    redis_url: str, cast: Cast, settings: Any
) -> None:
    redis_cache = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": "xicheng-config-test",
        }
    }
    client = APIClient()
    client.force_authenticate(cast.api)
    with override_settings(CACHES=redis_cache):
        caches["default"].clear()
        response = client.get("/api/v1/tasks/")
        throttle_keys = caches["default"]._cache.get_client().keys("xicheng-config-test:*throttle_user*")  # type: ignore[attr-defined]
        caches["default"].clear()
    assert response.status_code == 200
    assert throttle_keys, "the API's throttling counts live in Redis"


def test_the_broker_defaults_to_redis_url_and_jobs_go_to_the_worker() -> None:
    found = _settings_in_a_fresh_process(
        {"DEBUG": "false", "REDIS_URL": "redis://127.0.0.1:6379/3", **KEYS},
        "[settings.CELERY_BROKER_URL, settings.CELERY_TASK_ALWAYS_EAGER]",
    )
    assert found == ["redis://127.0.0.1:6379/3", False]


def test_a_broker_of_its_own_may_be_named() -> None:
    found = _settings_in_a_fresh_process(
        {"DEBUG": "false", "REDIS_URL": "redis://cache:6379/0", "CELERY_BROKER_URL": "redis://broker:6379/1", **KEYS},
        "[settings.CELERY_BROKER_URL, settings.CACHES['default']['LOCATION']]",
    )
    assert found == ["redis://broker:6379/1", "redis://cache:6379/0"]


def test_without_a_broker_jobs_run_in_the_process_so_make_run_needs_only_python() -> None:
    found = _settings_in_a_fresh_process(
        {"DEBUG": "true"}, "[settings.CELERY_TASK_ALWAYS_EAGER, settings.CACHES['default']['BACKEND']]"
    )
    assert found == [True, "django.core.cache.backends.locmem.LocMemCache"]


def test_the_safety_checks_run_five_minutes_after_the_meal_cut_off() -> None:
    # What beat reads: the kernel's schedule and the domains' (WelfareConfig.schedule), once the
    # Celery app is finalized.
    script = (
        "import django, json; django.setup(); from xicheng.celery import app; app.finalize(); "
        "beat = app.conf.beat_schedule; entry = beat['raise-safety-checks']; "
        "print(json.dumps([str(entry['schedule']), entry['task'], sorted(beat)]))"
    )
    result = _run(
        [sys.executable, "-c", script],
        {"DJANGO_SETTINGS_MODULE": "xicheng.settings", "DEBUG": "true", "MEAL_CUTOFF": "11:58"},
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [
        "<crontab: 3 12 * * * (m/h/dM/MY/d)>",
        "welfare.tasks.raise_safety_checks",
        [
            "purge-expired-job-files",
            "raise-safety-checks",
            "supervision-digest",
            "supervision-escalate-due",
            "supervision-reminders",
            "supervision-requeue-lost",
            "webhooks-requeue-lost",
            "webhooks-target-lights",
        ],
    ]


# One clear line --------------------------------------------------------------------------------


def test_one_page_size_serves_the_pages_and_the_api() -> None:
    sizes = _settings_in_a_fresh_process(
        {"DEBUG": "false", **KEYS, "PAGE_SIZE": "20"}, '[settings.PAGE_SIZE, settings.REST_FRAMEWORK["PAGE_SIZE"]]'
    )
    assert sizes == [20, 20]


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode != 0
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def test_manage_py_without_a_secret_key_says_so_in_one_line() -> None:
    line = _one_line(_run([sys.executable, "manage.py", "check"], {"DEBUG": "false"}))
    assert line == "xicheng: configuration error: Set the environment variable SECRET_KEY."


def test_the_wsgi_application_without_a_secret_key_says_so_in_one_line() -> None:
    result = _run([sys.executable, "-c", "import xicheng.wsgi"], {"DEBUG": "false"})
    assert "Set the environment variable SECRET_KEY." in _one_line(result)
    assert result.returncode == 3  # gunicorn stops instead of starting the worker again and again


def test_a_wsgi_worker_starts_with_its_url_patterns_loaded_and_its_startup_heap_frozen() -> None:
    """A full garbage collection in a request walks only what requests made, not the application
    itself (xicheng.startup.settle_heap): the pause fell on one dashboard in twenty, ~55 ms."""
    script = (
        "import gc, sys; import xicheng.wsgi; "
        "print(gc.get_freeze_count(), 'xicheng.urls' in sys.modules, 'governance.views' in sys.modules)"
    )
    result = _run([sys.executable, "-c", script], {"DEBUG": "false", **KEYS})
    assert result.returncode == 0, result.stderr
    frozen, urls, views = result.stdout.split()
    assert int(frozen) > 50_000 and urls == views == "True"


def test_gunicorn_without_a_secret_key_stops_with_one_line() -> None:
    result = _run([str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "xicheng.wsgi"], {"DEBUG": "false"})
    assert "Set the environment variable SECRET_KEY." in _one_line(result)


def test_the_celery_worker_without_a_secret_key_stops_with_one_line() -> None:
    result = _run([str(BIN / "celery"), "-A", "xicheng", "worker"], {"DEBUG": "false"})
    assert "Set the environment variable SECRET_KEY." in _one_line(result)


def test_celery_beat_with_a_bad_setting_stops_with_one_line() -> None:
    result = _run([str(BIN / "celery"), "-A", "xicheng", "beat"], {"DEBUG": "maybe"})
    assert "DEBUG must be true or false" in _one_line(result)


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("REDIS_URL", "127.0.0.1:6379", "REDIS_URL must be a URL starting with redis://"),
        ("CELERY_BROKER_URL", "http://broker", "CELERY_BROKER_URL must be a URL starting with redis://"),
        ("JOBS_INLINE_ROWS", "many", "JOBS_INLINE_ROWS must be a whole number"),
        ("MEAL_CUTOFF", "noon", "MEAL_CUTOFF must be a time like 11:30"),
        ("PAGE_SIZE", "0", "PAGE_SIZE must be from 1 to 500"),
    ],
)
def test_a_bad_service_setting_stops_the_start_with_one_line_naming_it(name: str, value: str, says: str) -> None:
    line = _one_line(_run([sys.executable, "manage.py", "check"], {"DEBUG": "false", **KEYS, name: value}))
    assert says in line


def test_the_error_line_never_repeats_a_service_address_that_may_hold_a_password() -> None:
    line = _one_line(
        _run([sys.executable, "manage.py", "check"], {"DEBUG": "false", **KEYS, "REDIS_URL": "http://:s3cret@host"})
    )
    assert "s3cret" not in line


def test_gunicorn_conf_is_valid_and_chooses_threads_and_timeouts() -> None:
    script = (
        "import json, runpy; c = runpy.run_path('gunicorn.conf.py'); "
        "print(json.dumps({k: c[k] for k in ['worker_class', 'workers', 'threads', 'timeout', 'graceful_timeout',"
        " 'max_requests', 'max_requests_jitter', 'access_log_format']}))"
    )
    result = _run([sys.executable, "-c", script], {"DEBUG": "false", **KEYS})
    assert result.returncode == 0, result.stderr
    conf = json.loads(result.stdout)
    assert conf["worker_class"] == "gthread" and conf["workers"] >= 2 and conf["threads"] >= 2
    assert conf["timeout"] == 30 and conf["graceful_timeout"] == 30
    assert conf["max_requests"] > 0 and 0 < conf["max_requests_jitter"] < conf["max_requests"]
    # The path without its query string: a search by name or ID number stays out of the log.
    assert "%(U)s" in conf["access_log_format"] and "%(r)s" not in conf["access_log_format"]
    assert "%(q)s" not in conf["access_log_format"] and "%(f)s" not in conf["access_log_format"]
