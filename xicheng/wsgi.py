from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

from xicheng.startup import WORKER_BOOT_ERROR, refuse_to_start, settle_heap

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xicheng.settings")
try:
    application = get_wsgi_application()
    settle_heap()
except ImproperlyConfigured as error:
    # One clear line, and the exit code that makes gunicorn stop rather than respawn the worker.
    refuse_to_start(error, WORKER_BOOT_ERROR)
