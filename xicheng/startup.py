"""A missing or bad setting stops every way in (manage.py, the WSGI server, the Celery worker and
beat) with one line that says what to fix, instead of a long traceback that buries it."""

from __future__ import annotations

import os
import sys
from typing import NoReturn

from django.core.exceptions import ImproperlyConfigured

# gunicorn stops (instead of starting the worker again and again) when a worker exits with this.
WORKER_BOOT_ERROR = 3


def refuse_to_start(error: ImproperlyConfigured, code: int = 2) -> NoReturn:
    sys.stderr.write(f"xicheng: configuration error: {error}\n")
    sys.stderr.flush()
    raise SystemExit(code)


def require_settings(code: int = 2) -> None:
    """Read the settings now, so that a bad one is reported before anything else starts."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xicheng.settings")
    from django.conf import settings

    try:
        settings.INSTALLED_APPS  # noqa: B018  (reading one setting loads them all)
    except ImproperlyConfigured as error:
        refuse_to_start(error, code)
