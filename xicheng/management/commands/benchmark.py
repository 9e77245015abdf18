from __future__ import annotations

import statistics
import time
import tracemalloc
from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

DEFAULT_URLS = [
    "/dashboard/",
    "/dashboard/?period=h1&as_of={year}-06-30",
    "/api/v1/dashboard/",
    "/dashboard/export.xlsx",
    "/targets/",
    "/tasks/",
    "/my/",
]


class Command(BaseCommand):
    help = "Time the main pages on the current data: queries, median and worst milliseconds, peak memory."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", default="zhao", help="Whose view to measure (default: the leader zhao).")
        parser.add_argument("--repeat", type=int, default=5)
        parser.add_argument("urls", nargs="*", help="URLs to measure instead of the default set.")

    def handle(self, *args: Any, user: str, repeat: int, urls: list[str], **options: Any) -> None:
        from django.utils import timezone

        client = Client()
        client.force_login(User.objects.get(username=user))
        year = timezone.localdate().year
        self.stdout.write(f"{'url':<48} {'status':>6} {'queries':>7} {'median ms':>10} {'max ms':>8} {'peak MiB':>9}")
        with override_settings(ALLOWED_HOSTS=["testserver", "*"]):
            for url in [u.format(year=year) for u in (urls or DEFAULT_URLS)]:
                timings = []
                reset_queries()
                with CaptureQueriesContext(connection) as queries:
                    response = client.get(url)
                tracemalloc.start()
                for _ in range(repeat):
                    started = time.perf_counter()
                    client.get(url)
                    reset_queries()
                    timings.append((time.perf_counter() - started) * 1000)
                _current, peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
                self.stdout.write(
                    f"{url:<48} {response.status_code:>6} {len(queries.captured_queries):>7} "
                    f"{statistics.median(timings):>10.1f} {max(timings):>8.1f} {peak / 2**20:>9.1f}"
                )
