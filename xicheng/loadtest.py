"""A bounded HTTP load against a running server: a fixed, mixed workload at a few levels of
concurrency, each for a fixed time, with the latency of every request kept (`manage.py benchmark
--load`).

The workload is the one the issue measured: eight requests in ten are a cadre's (the big lists,
the API's list and a real form post of an inspection), two in ten a leader's dashboard. Each client
walks the same cycle from its own offset, so a run asks for the same things in the same order
whatever the timing; only how far it gets depends on the server's speed.

Each client signs in once, before the clock starts: a session made in the database (as the test
client's `force_login` does) and a CSRF secret of its own, sent as the cookie and as the header the
way the site's own scripts send it. Standard library only (http.client), one keep-alive connection
per client.
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone


@dataclass(frozen=True)
class Step:
    """One request of the cycle: who sends it, how, where; `kind` groups the figures."""

    kind: str  # "list", "write" or "dashboard"
    who: str  # "cadre" or "leader"
    method: str
    path: str


# Ten steps: 8 a cadre's (lists and a write), 2 a leader's dashboard. `{house}` is one of the
# cadre's houses, in turn.
CYCLE: tuple[Step, ...] = (
    Step("list", "cadre", "GET", "/governance/inspections/"),
    Step("list", "cadre", "GET", "/governance/migrants/"),
    Step("dashboard", "leader", "GET", "/dashboard/"),
    Step("list", "cadre", "GET", "/governance/houses/"),
    Step("write", "cadre", "POST", "/governance/houses/{house}/inspect/"),
    Step("list", "cadre", "GET", "/governance/hazards/"),
    Step("list", "cadre", "GET", "/welfare/meals/"),
    Step("dashboard", "leader", "GET", "/api/v1/dashboard/"),
    Step("list", "cadre", "GET", "/api/v1/migrants/?page_size=100"),
    Step("list", "cadre", "GET", "/governance/inspections/?page=2"),
)

# A write answers with a redirect (the house's page); everything else with 200.
EXPECTED = {"GET": 200, "POST": 302}


@dataclass
class Sample:
    kind: str
    ms: float
    status: int


@dataclass
class Level:
    """The figures of one level of concurrency."""

    clients: int
    seconds: float
    samples: list[Sample] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        ms = [s.ms for s in self.samples]
        by_kind = {}
        for kind in sorted({s.kind for s in self.samples}):
            of_kind = [s.ms for s in self.samples if s.kind == kind]
            by_kind[kind] = {"requests": len(of_kind), **quantiles(of_kind)}
        return {
            "clients": self.clients,
            "seconds": round(self.seconds, 2),
            "requests": len(self.samples),
            "rps": round(len(self.samples) / self.seconds, 2) if self.seconds else 0.0,
            **quantiles(ms),
            "errors": len(self.errors),
            "error_examples": self.errors[:5],
            "by_kind": by_kind,
        }


def quantiles(ms: Sequence[float]) -> dict[str, float]:
    """p50, p95 and max of a list of milliseconds (p95 by the inclusive method: with fewer than
    twenty samples it lies between the two largest)."""
    if not ms:
        return {"p50": 0.0, "p95": 0.0, "max": 0.0}
    p95 = statistics.quantiles(ms, n=20, method="inclusive")[18] if len(ms) > 1 else ms[0]
    return {"p50": round(statistics.median(ms), 1), "p95": round(p95, 1), "max": round(max(ms), 1)}


@dataclass
class Identity:
    """Cookies and headers that make a request one user's."""

    cookie: str
    csrf: str


def identity_of(user: User) -> Identity:
    """A fresh session for `user` (made in the database, as a sign-in does) and a CSRF secret."""
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    # An unmasked secret is a valid token too: the cookie and the header carry the same one.
    csrf = secrets.token_hex(16)
    return Identity(cookie=f"{settings.SESSION_COOKIE_NAME}={session}; {settings.CSRF_COOKIE_NAME}={csrf}", csrf=csrf)


class Runner:
    """Drives the workload against `base_url` as `cadre` and `leader`."""

    def __init__(self, base_url: str, *, cadre: User, leader: User) -> None:
        parts = urlsplit(base_url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"The load runs over plain HTTP on a near host (got {base_url}).")
        self.host, self.port = parts.hostname, parts.port or 80
        self.cadre, self.leader = cadre, leader
        self.houses: list[int] = []

    def prepare(self) -> None:
        """The cadre's first houses, the targets of the writes (read through the API, in order)."""
        connection = self._connect()
        status, body = self._send(connection, identity_of(self.cadre), "GET", "/api/v1/rental-houses/?page_size=20")
        connection.close()
        if status != 200:
            raise RuntimeError(f"Could not list the cadre's houses (HTTP {status}).")
        self.houses = [row["id"] for row in json.loads(body)["results"]]
        if not self.houses:
            raise RuntimeError(f"{self.cadre.username} sees no rental house to inspect.")

    def run(self, clients: int, seconds: float) -> Level:
        level = Level(clients=clients, seconds=seconds)
        identities = [(identity_of(self.cadre), identity_of(self.leader)) for _ in range(clients)]
        lock = threading.Lock()
        start = threading.Barrier(clients + 1)
        stop_at = [0.0]

        def work(n: int) -> None:
            cadre, leader = identities[n]
            connection = self._connect()
            # Each client starts at its own place in the cycle, the same place every run.
            i = (n * 3) % len(CYCLE)
            writes = n
            start.wait()
            while time.perf_counter() < stop_at[0]:
                step = CYCLE[i % len(CYCLE)]
                i += 1
                path, body = step.path, None
                if step.method == "POST":
                    path = path.format(house=self.houses[writes % len(self.houses)])
                    writes += 1
                    body = inspection_form(timezone.localdate())
                began = time.perf_counter()
                try:
                    status, _ = self._send(
                        connection, cadre if step.who == "cadre" else leader, step.method, path, body
                    )
                except (OSError, http.client.HTTPException) as e:
                    connection.close()
                    connection = self._connect()
                    status, error = 0, f"{step.method} {path}: {e.__class__.__name__} {e}"
                else:
                    error = "" if status == EXPECTED[step.method] else f"{step.method} {path}: HTTP {status}"
                took = (time.perf_counter() - began) * 1000
                with lock:
                    level.samples.append(Sample(step.kind, took, status))
                    if error:
                        level.errors.append(error)
            connection.close()

        threads = [threading.Thread(target=work, args=(n,), daemon=True) for n in range(clients)]
        for thread in threads:
            thread.start()
        began = time.perf_counter()
        stop_at[0] = began + seconds
        start.wait()
        for thread in threads:
            thread.join(seconds + 60)
        level.seconds = time.perf_counter() - began
        return level

    def _connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=60)

    def _send(
        self,
        connection: http.client.HTTPConnection,
        identity: Identity,
        method: str,
        path: str,
        body: str | None = None,
    ) -> tuple[int, bytes]:
        headers = {"Cookie": identity.cookie, "Host": f"{self.host}:{self.port}"}
        if method == "POST":
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["X-CSRFToken"] = identity.csrf
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()


def inspection_form(day: date) -> str:
    """A valid inspection of a house today by the grid workers and the village, nothing found."""
    fields = [("inspected_on", day.isoformat()), ("forces", "grid"), ("forces", "village"), ("note", "")]
    for prefix in ("hazards", "migrants"):
        fields += [(f"{prefix}-TOTAL_FORMS", "0"), (f"{prefix}-INITIAL_FORMS", "0")]
    return urlencode(fields)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def gunicorn(project_dir: Path, *, env: dict[str, str] | None = None, wait: float = 60.0) -> Iterator[str]:
    """gunicorn with the project's gunicorn.conf.py on a free loopback port, for the length of the
    block; yields its base URL. The access log is dropped (it would time the terminal)."""
    port = free_port()
    environ = {
        **os.environ,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_ACCESS_LOG": "/dev/null",
        "GUNICORN_LOG_LEVEL": "warning",
        # The load comes from one address and a few users: the API's per-user rate limit is for
        # clients in the wild, not for this.
        "API_THROTTLE_USER": "1000000/minute",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        **(env or {}),
    }
    command = [sys.executable, "-m", "gunicorn", "-c", str(project_dir / "gunicorn.conf.py"), "xicheng.wsgi"]
    process = subprocess.Popen(command, cwd=project_dir, env=environ, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + wait
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn stopped at start (exit {process.returncode}).")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", "/healthz")
                connection.getresponse().read()
                connection.close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not answer in time.") from None
                time.sleep(0.3)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(40)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
