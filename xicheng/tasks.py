"""The kernel's background tasks (Celery). Each is a thin call into a service, so it can be run
eagerly in a test or in `make run` exactly as the worker runs it."""

from __future__ import annotations

from datetime import date

from celery import shared_task

from xicheng import facts
from xicheng.jobs import job_run, jobs_purge_expired


@shared_task(name="xicheng.tasks.run_import_export_job")
def run_import_export_job(pk: int) -> None:
    job_run(pk)


@shared_task(name="xicheng.tasks.purge_expired_jobs")
def purge_expired_jobs() -> int:
    """Hourly (beat): job files and their refused values are not kept past the retention period."""
    return jobs_purge_expired()


@shared_task(name="xicheng.tasks.rebuild_metric_facts")
def rebuild_metric_facts(metrics: list[str] | None = None, since: str | None = None, until: str | None = None) -> int:
    """Recount the metric facts from the registers for a range of days (ISO dates; all by default)."""
    return facts.rebuild(
        metrics,
        date.fromisoformat(since) if since else None,
        date.fromisoformat(until) if until else None,
    )
