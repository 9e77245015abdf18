"""Time the main pages on the current data, and beside each its SQL floor.

For every page: the queries it runs (counted and kept, with their parameters), p50 and p95 of
`--repeat` requests through the test client with nothing else measuring, the SQL floor (the same
statements re-executed alone through the database cursor, rows fetched, p50 of as many rounds) and
the ratio page / floor, which says how much of a page's time is Python rather than the database.
Memory is a separate pass (tracemalloc slows what it watches 2–4×, so it never runs while timing).
With `--cache both` each page is timed with every cache cleared before each request (cold) and
then as it comes (warm).

`--load` then runs the mixed HTTP workload of `xicheng.loadtest` against gunicorn, started here
with the project's gunicorn.conf.py on a free loopback port (or against `--url`), at 1, 4 and 16
clients for `--seconds` each. `--json PATH` writes every figure.
"""

from __future__ import annotations

import json
import os
import platform
import re
import statistics
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import caches
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.test import Client
from django.test.utils import override_settings
from django.utils import timezone

from xicheng import loadtest
from xicheng.startup import settle_heap

# (who, url): "leader", "cadre" and "city" are the --leader, --cadre and --city users. The big
# registers' lists are a cadre's (page 1, and page 200 where the list has one); the API's lists
# beside them. The city leader's pages are timed where that user exists (`seed_demo --scale N`).
DEFAULT_PAGES: list[tuple[str, str]] = [
    ("leader", "/dashboard/"),
    ("leader", "/dashboard/?period=h1&as_of={year}-06-30"),
    ("leader", "/api/v1/dashboard/"),
    ("leader", "/dashboard/export.xlsx"),
    ("leader", "/targets/"),
    ("leader", "/tasks/"),
    ("cadre", "/my/"),
    ("cadre", "/governance/inspections/"),
    ("cadre", "/governance/inspections/?page=200"),
    ("cadre", "/governance/migrants/"),
    ("cadre", "/governance/migrants/?page=200"),
    ("cadre", "/governance/houses/"),
    ("cadre", "/governance/houses/?page=200"),
    ("cadre", "/governance/hazards/"),
    ("cadre", "/welfare/meals/"),
    ("cadre", "/welfare/meals/?page=200"),
    ("cadre", "/api/v1/inspections/"),
    ("cadre", "/api/v1/migrants/?page_size=100"),
    ("leader", "/api/v1/migrants/?page_size=100"),
    ("leader", "/api/v1/meal-receipts/?page_size=100"),
    ("leader", "/governance/inspections/?page=200"),
    ("leader", "/welfare/meals/?page=200"),
    ("city", "/dashboard/"),
    ("city", "/api/v1/dashboard/"),
]

# Statements the floor re-runs: reads only (a page's own writes, sessions and audit events, are
# not re-done; savepoints come with them).
READS = ("SELECT", "WITH")
# What differs between two responses of the same page: tokens (CSRF, nonces) and the page asked
# for, echoed in links (the language switch's `next`).
TOKENS = re.compile(rb"[A-Za-z0-9+/=_-]{32,}|page(=|%3D|%253D)\d+")


@dataclass
class Captured:
    sql: str
    params: Any
    ms: float


class Recorder:
    """Keeps every statement a request runs, with its parameters and time."""

    def __init__(self) -> None:
        self.statements: list[Captured] = []

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            if not many:
                self.statements.append(Captured(sql, params, (time.perf_counter() - started) * 1000))


def clear_caches() -> None:
    for alias in settings.CACHES:
        caches[alias].clear()


class Command(BaseCommand):
    help = (
        "Time the main pages on the current data: p50/p95 beside the SQL floor, queries, memory; "
        "with --load, a mixed HTTP load against gunicorn."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("urls", nargs="*", help="URLs to measure instead of the default set (as --user).")
        parser.add_argument(
            "--user",
            action="append",
            default=[],
            help="Measure the given URLs (or the default set) as this user; repeat for several.",
        )
        parser.add_argument("--leader", default="zhao", help="The leader of the default set (default zhao).")
        parser.add_argument("--cadre", default="li", help="The cadre of the default set and the load (default li).")
        parser.add_argument(
            "--city", default="city", help="The city leader of the default set, timed where it exists (default city)."
        )
        parser.add_argument("--repeat", type=int, default=10, help="Timed requests per page (default 10).")
        parser.add_argument(
            "--cache",
            choices=["warm", "cold", "both"],
            default="both",
            help="Time with caches as they come (warm), cleared before every request (cold), or both.",
        )
        parser.add_argument(
            "--patience",
            type=float,
            default=10.0,
            help="A page slower than this many seconds is timed once, not --repeat times (default 10).",
        )
        parser.add_argument("--no-memory", action="store_true", help="Skip the memory pass.")
        parser.add_argument("--slowest", type=int, default=0, help="Also print this many slowest queries per page.")
        parser.add_argument("--json", dest="json_path", default="", help="Write every figure to this file.")
        parser.add_argument("--skip-pages", action="store_true", help="Only the load (with --load).")
        parser.add_argument("--load", action="store_true", help="Run the mixed HTTP load after the pages.")
        parser.add_argument(
            "--url", default="", help="The load's server (http://host:port); default: gunicorn started here."
        )
        parser.add_argument("--clients", default="1,4,16", help="Levels of concurrency of the load (default 1,4,16).")
        parser.add_argument("--seconds", type=float, default=20.0, help="How long each level runs (default 20).")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["repeat"] < 1:
            raise CommandError("--repeat must be at least 1.")
        # The pages are timed in this process, set up as the WSGI server sets up its workers.
        settle_heap()
        calibration = _calibration_seconds()
        # Machines differ: the same code measured 2.4 times slower on one than on another. This
        # figure, printed with every run, says which kind of machine the milliseconds below are.
        self.stdout.write(f"This machine: {_cpus()} CPUs; a 10-million-step Python loop takes {calibration:.2f} s.")
        results: dict[str, Any] = {
            "database": connection.vendor,
            "machine": {"cpus": _cpus(), "python": platform.python_version(), "loop_seconds": round(calibration, 3)},
            "started": timezone.now().isoformat(timespec="seconds"),
            "repeat": options["repeat"],
            "pages": [],
        }
        if not options["skip_pages"]:
            results["pages"] = self.measure_pages(options)
        if options["load"]:
            results["load"] = self.run_load(options)
        if options["json_path"]:
            Path(options["json_path"]).write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
            self.stdout.write(f"Written to {options['json_path']}.")

    # Pages ----------------------------------------------------------------------------------------

    def measure_pages(self, options: dict[str, Any]) -> list[dict[str, Any]]:
        year = timezone.localdate().year
        if options["urls"] or options["user"]:
            users = options["user"] or [options["leader"]]
            urls = options["urls"] or [url for _who, url in DEFAULT_PAGES]
            pages = [(username, url) for username in users for url in urls]
        else:
            roles = {"leader": options["leader"], "cadre": options["cadre"], "city": options["city"]}
            if not User.objects.filter(username=roles["city"]).exists():
                roles.pop("city")  # a demo of one subdistrict has no city leader
            pages = [(roles[who], url) for who, url in DEFAULT_PAGES if who in roles]
        modes = ["cold", "warm"] if options["cache"] == "both" else [options["cache"]]
        clients: dict[str, Client] = {}
        rows = []
        header = (
            f"{'user':<8} {'url':<46} {'cache':<5} {'status':>6} {'queries':>7} "
            f"{'p50 ms':>8} {'p95 ms':>8} {'sql ms':>8} {'ratio':>6} {'peak MiB':>9}"
        )
        self.stdout.write(header)
        with override_settings(ALLOWED_HOSTS=["testserver", "*"]):
            for username, raw_url in pages:
                url = raw_url.format(year=year)
                if username not in clients:
                    client = Client()
                    try:
                        client.force_login(User.objects.get(username=username))
                    except User.DoesNotExist:
                        raise CommandError(f"No user {username}: seed the demo first (manage.py seed_demo).") from None
                    clients[username] = client
                client = clients[username]
                if "page=" in url and not _page_exists(client, url):
                    self.stdout.write(f"{username:<8} {url:<46} (no such page here: skipped)")
                    rows.append({"user": username, "url": url, "skipped": "no such page"})
                    continue
                for mode in modes:
                    row = self.measure(client, username, url, mode, options)
                    rows.append(row)
                    self.stdout.write(
                        f"{username:<8} {url:<46} {mode:<5} {row['status']:>6} {row['queries']:>7} "
                        f"{row['p50']:>8.1f} {row['p95']:>8.1f} {row['sql_floor']:>8.1f} {row['ratio']:>6.1f} "
                        + (f"{row['peak_mib']:>9.1f}" if row["peak_mib"] is not None else f"{'':>9}")
                    )
                    for captured in sorted(row.pop("_statements"), key=lambda c: -c.ms)[: options["slowest"]]:
                        self.stdout.write(f"    {captured.ms:8.1f} ms  {captured.sql[:160]}")
        return rows

    def measure(self, client: Client, username: str, url: str, mode: str, options: dict[str, Any]) -> dict[str, Any]:
        repeat = options["repeat"]
        cold = mode == "cold"
        # One request to record the statements (and to warm what warms, when warm).
        if cold:
            clear_caches()
        recorder = Recorder()
        started = time.perf_counter()
        with connection.execute_wrapper(recorder):
            response = client.get(url)
        first = (time.perf_counter() - started) * 1000
        timings = []
        if first > options["patience"] * 1000:
            # Too slow to repeat: the one request stands for all (the row says so).
            repeat, timings = 0, [first]
        for _ in range(repeat):
            if cold:
                clear_caches()
            started = time.perf_counter()
            client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
        floor = sql_floor(recorder.statements, max(repeat, 1))
        peak = None
        if not options["no_memory"] and repeat:
            if cold:
                clear_caches()
            tracemalloc.start()
            client.get(url)
            _current, peak_bytes = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            peak = round(peak_bytes / 2**20, 1)
        figures = loadtest.quantiles(timings)
        return {
            "user": username,
            "url": url,
            "cache": mode,
            "status": response.status_code,
            "bytes": len(response.content) if not response.streaming else None,
            "queries": len(recorder.statements),
            "p50": figures["p50"],
            "p95": figures["p95"],
            "max": figures["max"],
            "timed": len(timings),
            "sql_floor": round(floor, 1),
            "ratio": round(figures["p50"] / floor, 2) if floor > 0 else None,
            "peak_mib": peak,
            "_statements": recorder.statements,
        }

    # Load -----------------------------------------------------------------------------------------

    def run_load(self, options: dict[str, Any]) -> dict[str, Any]:
        try:
            levels = [int(n) for n in options["clients"].split(",") if n.strip()]
        except ValueError:
            raise CommandError("--clients is a list of whole numbers: 1,4,16.") from None
        try:
            cadre = User.objects.get(username=options["cadre"])
            leader = User.objects.get(username=options["leader"])
        except User.DoesNotExist:
            raise CommandError("The load needs the demo's cadre and leader: seed the demo first.") from None
        self.stdout.write(
            f"\nMixed load: 80 % {cadre.username}'s lists and writes, 20 % {leader.username}'s dashboards, "
            f"{options['seconds']:.0f} s per level"
        )
        self.stdout.write(
            f"{'clients':>7} {'requests':>8} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'errors':>6}"
        )
        if options["url"]:
            return {"server": options["url"], "levels": self._levels(options["url"], levels, cadre, leader, options)}
        with loadtest.gunicorn(Path(settings.BASE_DIR)) as url:
            return {
                "server": "gunicorn (gunicorn.conf.py) on loopback",
                "levels": self._levels(url, levels, cadre, leader, options),
            }

    def _levels(
        self, url: str, levels: list[int], cadre: User, leader: User, options: dict[str, Any]
    ) -> list[dict[str, Any]]:
        runner = loadtest.Runner(url, cadre=cadre, leader=leader)
        runner.prepare()
        # Untimed: every worker loads the application and opens its connection on its first requests.
        runner.run(3, min(5.0, options["seconds"]))
        summaries = []
        for clients in levels:
            summary = runner.run(clients, options["seconds"]).summary()
            summaries.append(summary)
            self.stdout.write(
                f"{clients:>7} {summary['requests']:>8} {summary['rps']:>7.1f} {summary['p50']:>8.1f} "
                f"{summary['p95']:>8.1f} {summary['max']:>8.1f} {summary['errors']:>6}"
            )
            for error in summary["error_examples"]:
                self.stdout.write(f"    {error}")
        return summaries


def sql_floor(statements: list[Captured], rounds: int) -> float:
    """p50 over `rounds` of the time the page's reads take alone through the cursor, rows fetched."""
    reads = [s for s in statements if s.sql.lstrip().upper().startswith(READS)]
    if not reads:
        return 0.0
    totals = []
    with connection.cursor() as cursor:
        for _ in range(rounds):
            started = time.perf_counter()
            for statement in reads:
                cursor.execute(statement.sql, statement.params)
                cursor.fetchall()
            totals.append((time.perf_counter() - started) * 1000)
    return statistics.median(totals)


def _calibration_seconds() -> float:
    """How long a fixed pure-Python loop takes: how fast this machine runs Python."""
    start = time.perf_counter()
    total = 0
    for i in range(10_000_000):
        total += i
    return time.perf_counter() - start


def _page_exists(client: Client, url: str) -> bool:
    """Whether `?page=N` is a page of its own: a list clamps a page past its end to its last one,
    so the page is the last one when a far page reads the same."""
    far = url.split("page=")[0] + "page=999999999"
    here, there = client.get(url), client.get(far)
    if here.status_code != 200:
        return False
    return bool(TOKENS.sub(b"", here.content) != TOKENS.sub(b"", there.content))


def _cpus() -> int:
    return os.cpu_count() or 0
