"""Reads that may go to the read replica, and the rule that keeps a writer's reads on the primary.

Installed only when `DATABASE_REPLICA_URL` is set (xicheng/settings.py); without a replica there is
no router and every query goes to the one database. With one:

- **What reads the replica**: safe requests (GET, HEAD) under `REPLICA_READ_PATHS` — the dashboard
  with its screen, workbook and drill-downs, and the API's reads — and the export jobs
  (`replica_reads(user=…, replica=True)` in xicheng/jobs.py). Nothing else: the forms, *my work*,
  the lists, the admin, sign-in, the worker's imports and periodic tasks all use the primary.
- **What never reads the replica**, even there: the bookkeeping of the request itself — sessions,
  users and groups, tokens, second factors, lock-outs, content types, the audit trail and the
  import/export jobs (`PRIMARY_ONLY`). A user who has just signed in is found on the primary.
- **Read your writes.** A request or a job that writes a replicated model reads the primary for
  the rest of its work, and its user reads the primary for `REPLICA_STICKY_SECONDS` afterwards
  (a mark in the cache, which every app server shares through Redis): a leader who records a
  reading and opens the dashboard sees it, however far the replica lags behind within that window.
- **Writes and migrations** go to the primary only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, models
from django.http import HttpRequest, HttpResponse

PRIMARY = DEFAULT_DB_ALIAS
REPLICA = "replica"

# Apps and models a request needs fresh, whatever it reads otherwise: who is signed in and with
# what rights, and the records of the request's own bookkeeping. A writer of these is not held
# on the primary (a sign-in, an audited export are not writes a user reads back on a dashboard).
PRIMARY_ONLY = frozenset(
    {
        "sessions",
        "auth",
        "contenttypes",
        "admin",
        "knox",
        "otp_totp",
        "otp_static",
        "axes",
        "xicheng.accountsecurity",
        "xicheng.auditevent",
        "xicheng.importexportjob",
    }
)


def primary_only(model: type[models.Model]) -> bool:
    meta = model._meta
    return meta.app_label in PRIMARY_ONLY or meta.label_lower in PRIMARY_ONLY


def sticky_key(user_id: Any) -> str:
    return f"xicheng:replica:wrote:{user_id}"


@dataclass
class _Reads:
    """What the current request or job may read, and what it has written."""

    replica: bool
    user: Callable[[], Any]
    wrote: bool = False
    _user_wrote_lately: bool | None = field(default=None, repr=False)

    def user_id(self) -> Any:
        user = self.user()
        return user.pk if user is not None and getattr(user, "is_authenticated", False) else None

    def user_wrote_lately(self) -> bool:
        """Asked once per request, on its first read that could go to the replica."""
        if self._user_wrote_lately is None:
            user_id = self.user_id()
            try:
                self._user_wrote_lately = user_id is not None and bool(cache.get(sticky_key(user_id)))
            except Exception:
                # A cache that does not answer cannot say the user has not written: read the primary.
                self._user_wrote_lately = True
        return self._user_wrote_lately

    def use_replica(self) -> bool:
        return self.replica and not self.wrote and not self.user_wrote_lately()


_reads: ContextVar[_Reads | None] = ContextVar("xicheng_replica_reads", default=None)


def _no_user() -> None:
    return None


@contextmanager
def replica_reads(*, user: Callable[[], Any] = _no_user, replica: bool) -> Iterator[_Reads]:
    """Run a request or a job: its reads may use the replica when `replica` is true; if it writes,
    its user reads the primary for the next `REPLICA_STICKY_SECONDS`. `user` is called, lazily,
    for the user (a request's is known only once authenticated, the API's inside the view)."""
    outer = _reads.get()
    # A job run inside a request that has written reads what that request wrote.
    state = _Reads(replica=replica and not (outer is not None and outer.wrote), user=user)
    token = _reads.set(state)
    try:
        yield state
    finally:
        _reads.reset(token)
        if outer is not None:
            outer.wrote = outer.wrote or state.wrote
        if state.wrote and settings.REPLICA_STICKY_SECONDS > 0:
            user_id = state.user_id()
            if user_id is not None:
                try:
                    cache.set(sticky_key(user_id), 1, timeout=settings.REPLICA_STICKY_SECONDS)
                except Exception:
                    pass  # the write is done; without the mark the next read may lag, never fail


def reads_replica_now(model: type[models.Model]) -> bool:
    state = _reads.get()
    return state is not None and not primary_only(model) and state.use_replica()


class ReplicaRouter:
    """Django's database router for one primary (`default`) and one streaming replica."""

    def db_for_read(self, model: type[models.Model], **hints: Any) -> str:
        return REPLICA if reads_replica_now(model) else PRIMARY

    def db_for_write(self, model: type[models.Model], **hints: Any) -> str:
        state = _reads.get()
        if state is not None and not primary_only(model):
            state.wrote = True
        return PRIMARY

    def allow_relation(self, obj1: models.Model, obj2: models.Model, **hints: Any) -> bool | None:
        # The replica holds the primary's rows: a row read from either may point at the other's.
        if {obj1._state.db, obj2._state.db} <= {PRIMARY, REPLICA}:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        return db == PRIMARY


def replica_request(request: HttpRequest) -> bool:
    """A request whose reads may come from the replica (see the module's docstring)."""
    return request.method in ("GET", "HEAD") and request.path_info.startswith(tuple(settings.REPLICA_READ_PATHS))


class ReplicaMiddleware:
    """Decides, per request, whether its reads may use the replica, and marks its user as having
    written when it wrote."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The API authenticates inside the view and sets request.user there: read it lazily.
        with replica_reads(user=lambda: getattr(request, "user", None), replica=replica_request(request)):
            return self.get_response(request)
