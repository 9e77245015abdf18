"""gunicorn for Xicheng Progress: `gunicorn -c gunicorn.conf.py xicheng.wsgi`.

Sized for the subdistrict's server: 2 cores, behind nginx (or the intranet's load balancer) that
terminates HTTPS. Every number can be changed from the environment without editing this file."""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from xicheng.startup import require_settings

# A missing or bad setting stops gunicorn here, in the master, with one line, before any worker
# is forked (a worker failing to boot would otherwise be restarted over and over).
require_settings()


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, "") or default)


CORES = os.cpu_count() or 2

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# gthread, not sync: a page mostly waits on PostgreSQL, and while one thread waits another serves.
# Processes give the real parallelism (the GIL), threads cover the waiting: on 2 cores, 3 workers
# of 4 threads serve 12 requests at once in about 3 × 150 MB. The Celery worker runs beside them
# on the same cores, which is why this is cores + 1, not the sync rule of 2 × cores + 1.
worker_class = "gthread"
workers = _int("GUNICORN_WORKERS", CORES + 1)
threads = _int("GUNICORN_THREADS", 4)

# Long work (imports, exports of thousands of rows) now runs on the Celery worker, so no request
# should come near this. With gthread the timeout watches the worker process, not one request: a
# worker silent this long is hung and is replaced. 30 s was the limit that killed the 55,000-row
# export; it stays tight on purpose, so a slow page is noticed and fixed, not hidden.
timeout = _int("GUNICORN_TIMEOUT", 30)
# On a restart (a release), requests in flight get this long to finish before a worker is stopped.
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Keep-alive a little longer than nothing: nginx reuses its connections to us.
keepalive = 5

# Restart each worker after about a thousand requests, so that slow memory growth (caches,
# fragmentation) never builds up; the jitter keeps the workers from restarting all at once.
max_requests = _int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 100)

# Each worker loads the application itself: no database connection is ever shared across fork,
# and a release reloads cleanly.
preload_app = False

# The heartbeat file lives in memory, so a slow disk cannot make gunicorn think a worker hung.
if Path("/dev/shm").is_dir():
    worker_tmp_dir = "/dev/shm"

# Only the proxy on this host may say which scheme and client a request came with.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")

# Access log: the path without its query string (a search by name or ID number would otherwise
# put personal data in the log), the status, the size and the time taken in milliseconds; the
# peer and the client's address as the proxy forwarded it, for the security log. No user agent, no referrer
# (which carries another page's query string).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
access_log_format = '%(h)s %({x-forwarded-for}i)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
proc_name = "xicheng-progress"
