"""The Celery application: `celery -A xicheng worker` runs background jobs, `celery -A xicheng beat`
starts the periodic ones (settings.CELERY_BEAT_SCHEDULE). Without a broker configured the same
tasks run eagerly in the process that starts them (settings.CELERY_TASK_ALWAYS_EAGER)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xicheng.settings")


def _started_by_celery() -> bool:
    program = Path(sys.argv[0]) if sys.argv and sys.argv[0] else Path()
    return program.name == "celery" or program.parent.name == "celery"


if _started_by_celery():
    # The worker and beat read the settings lazily, deep inside Celery; read them first, so a
    # missing SECRET_KEY is one line, not a traceback.
    from xicheng.startup import require_settings

    require_settings()

app = Celery("xicheng")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Each app's tasks.py (xicheng's own and the domain apps').
app.autodiscover_tasks()


@app.on_after_finalize.connect
def add_domain_schedules(sender: Celery, **kwargs: Any) -> None:
    """The domains' periodic tasks join the kernel's: beat finalizes the app once Django is set
    up, and reads the schedule after that."""
    from django.apps import apps

    if not apps.ready:
        import django

        django.setup()
    from xicheng import plugins

    sender.conf.beat_schedule = {**sender.conf.beat_schedule, **plugins.beat_schedule()}
