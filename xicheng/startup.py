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


def settle_heap() -> None:
    """Once the application is loaded: load the URLconf too, which the first request would, then
    take every object made so far out of the garbage collector's reach (`gc.freeze`). Django, the
    apps and their modules are some 135,000 objects that live as long as the process;
    a full collection walked them all, in the middle of whichever request it fell on: about 55 ms
    added to one leader's dashboard in twenty. Frozen, a full collection walks what requests made:
    about 9 ms."""
    import gc

    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018  (reading them imports every view)
    gc.collect()  # what loading left for the bin goes now, not into the frozen heap
    gc.freeze()
