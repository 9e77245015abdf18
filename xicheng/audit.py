"""The audit trail of accounts: sign-ins, lock-outs, and every change to a user, a role's members or
a permission, whatever path it takes (the admin, a service, a command, the shell).

Changes to accounts arrive through Django's signals, the one place every path passes; each becomes
an `AuditEvent` naming who did it, whom it concerns, what changed (before → after), when, and from
where. Services that record a change themselves (`xicheng.accounts.user_set_roles`) silence the
signal receivers for the duration with `audit_quiet()`, so that one change is one event.

Audit records can be neither edited nor deleted: no page, admin or API offers it, and on PostgreSQL
a trigger refuses UPDATE and DELETE on every audit table unless the retention purge
(`manage.py purge_audit`) has set `xicheng.audit_purge` for its own transaction.
"""

from __future__ import annotations

import getpass
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_save, pre_save
from django.dispatch import receiver

# Fields of a user whose change is an account change; the password has its own events, and
# last_login moves with every sign-in (itself an event).
USER_FIELDS = ("username", "first_name", "last_name", "email", "is_active", "is_staff", "is_superuser")

_quiet: ContextVar[bool] = ContextVar("xicheng_audit_quiet", default=False)


@contextmanager
def audit_quiet() -> Iterator[None]:
    """Within this block the signal receivers record nothing: the caller records the change."""
    token = _quiet.set(True)
    try:
        yield
    finally:
        _quiet.reset(token)


def command_source(command: str) -> str:
    """Where an event came from when no request carries it: the command, the OS user and host."""
    try:
        os_user = getpass.getuser()
    except (KeyError, OSError):
        os_user = "?"
    return f"command {command}: {os_user}@{socket.gethostname()}"[:100]


def request_source(request: Any) -> str:
    """Where an event came from: the web pages, the admin, the API — or, without a request, the
    command, the OS user and the host it ran on."""
    if request is None:
        return command_source(" ".join([Path(sys.argv[0]).name, *sys.argv[1:2]]) if sys.argv else "python")
    path = getattr(request, "path", "") or ""
    if path.startswith("/admin/"):
        return "admin"
    if path.startswith("/api/"):
        return "api"
    return "web"


def _log(**kwargs: Any) -> None:
    from xicheng.services import audit_log

    audit_log(**kwargs)


def _acting_user() -> Any:
    from xicheng.history import current_request

    request = current_request()
    return getattr(request, "user", None) if request is not None else None


def _user_named(username: str) -> User | None:
    if not username:
        return None
    return User.objects.filter(username=username).first()


# Sign-ins ------------------------------------------------------------------------------------


@receiver(user_logged_in, dispatch_uid="xicheng.audit.login")
def _logged_in(sender: Any, request: Any, user: User, **kwargs: Any) -> None:
    from xicheng.models import AuditEvent

    _log(user=user, action=AuditEvent.Action.LOGIN, subject=user.get_username(), request=request, target_user=user)


@receiver(user_logged_out, dispatch_uid="xicheng.audit.logout")
def _logged_out(sender: Any, request: Any, user: User | None, **kwargs: Any) -> None:
    from xicheng.models import AuditEvent

    if user is not None:
        _log(user=user, action=AuditEvent.Action.LOGOUT, subject=user.get_username(), request=request, target_user=user)


@receiver(user_login_failed, dispatch_uid="xicheng.audit.login_failed")
def _login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    from xicheng.models import AuditEvent

    # Only the name typed: Django has already blanked the password in `credentials`.
    username = str(credentials.get("username") or "")
    _log(
        user=None,
        action=AuditEvent.Action.LOGIN_FAILED,
        subject=username,
        request=request,
        target_user=_user_named(username),
    )


@receiver(user_locked_out, dispatch_uid="xicheng.audit.lockout")
def _locked_out(sender: Any, request: Any, username: str | None = None, **kwargs: Any) -> None:
    from xicheng.models import AuditEvent

    _log(
        user=None,
        action=AuditEvent.Action.LOCKOUT,
        subject=username or "",
        request=request,
        target_user=_user_named(username or ""),
    )


# Changes to users -----------------------------------------------------------------------------


@receiver(pre_save, sender=User, dispatch_uid="xicheng.audit.user_before")
def _user_before(sender: Any, instance: User, update_fields: Any = None, **kwargs: Any) -> None:
    if _quiet.get() or instance.pk is None:
        return
    if update_fields is not None and not set(update_fields) & set(USER_FIELDS):
        return  # e.g. last_login on every sign-in
    before = User.objects.filter(pk=instance.pk).values(*USER_FIELDS).first()
    instance.__dict__["_xicheng_audit_before"] = before


@receiver(post_save, sender=User, dispatch_uid="xicheng.audit.user_after")
def _user_after(sender: Any, instance: User, created: bool, **kwargs: Any) -> None:
    from xicheng.models import AuditEvent

    if _quiet.get():
        return
    before = instance.__dict__.pop("_xicheng_audit_before", None)
    if created:
        changes = {f: [None, getattr(instance, f)] for f in USER_FIELDS if getattr(instance, f)}
        subject = f"account {instance.get_username()} created"
    elif before is not None:
        changes = {f: [before[f], getattr(instance, f)] for f in USER_FIELDS if before[f] != getattr(instance, f)}
        subject = f"account {instance.get_username()}"
    else:
        return
    if changes:
        _log(
            user=_acting_user(),
            action=AuditEvent.Action.USER_CHANGE,
            subject=subject,
            target_user=instance,
            changes=changes,
        )


# Roles (group membership) and permissions -----------------------------------------------------


class _Relation:
    """One many-to-many relation worth auditing: its owner (a user, or a role's group), the items
    it holds, how an item is named in the trail, and which event a change is."""

    def __init__(self, through: Any, owner: str, item_label: tuple[str, ...], key: str, action: str) -> None:
        self.through, self.owner, self.item_label, self.key, self.action = through, owner, item_label, key, action

    def snapshot(self, owner_ids: list[int]) -> dict[int, list[str]]:
        """Each owner's items, named, in one query."""
        result: dict[int, list[str]] = {pk: [] for pk in owner_ids}
        rows = self.through.objects.filter(**{f"{self.owner}_id__in": owner_ids}).values_list(
            f"{self.owner}_id", *self.item_label
        )
        for owner_id, *parts in rows:
            result.setdefault(owner_id, []).append(".".join(parts))
        return {pk: sorted(items) for pk, items in result.items()}

    def owners(self, instance: Any, reverse: bool, pk_set: set[int] | None) -> list[int]:
        if not reverse:
            return [instance.pk]
        if pk_set is not None:
            return sorted(pk_set)
        item_field = next(f.name for f in self.through._meta.concrete_fields if f.is_relation and f.name != self.owner)
        return list(self.through.objects.filter(**{item_field: instance}).values_list(f"{self.owner}_id", flat=True))


def _relations() -> dict[Any, _Relation]:
    from xicheng.models import AuditEvent

    return {
        User.groups.through: _Relation(
            User.groups.through, "user", ("group__name",), "roles", AuditEvent.Action.ROLE_CHANGE
        ),
        User.user_permissions.through: _Relation(
            User.user_permissions.through,
            "user",
            ("permission__content_type__app_label", "permission__codename"),
            "permissions",
            AuditEvent.Action.PERMISSION_CHANGE,
        ),
        Group.permissions.through: _Relation(
            Group.permissions.through,
            "group",
            ("permission__content_type__app_label", "permission__codename"),
            "permissions",
            AuditEvent.Action.PERMISSION_CHANGE,
        ),
    }


@receiver(m2m_changed, dispatch_uid="xicheng.audit.m2m")
def _m2m_changed(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: set[int] | None, **kwargs: Any
) -> None:
    if _quiet.get():
        return
    relation = _relations().get(sender)
    if relation is None:
        return
    if action in ("pre_add", "pre_remove") and not pk_set:
        return
    state: dict[Any, Any] = instance.__dict__.setdefault("_xicheng_audit_m2m", {})
    phase, _sep, kind = action.partition("_")
    if phase == "pre":
        owners = relation.owners(instance, reverse, pk_set)
        state[(sender, kind)] = relation.snapshot(owners)
        return
    before = state.pop((sender, kind), None)
    if before is None:
        return
    after = relation.snapshot(list(before))
    owner_model: Any = User if relation.owner == "user" else Group
    changed = [pk for pk in before if before[pk] != after[pk]]
    for owner in owner_model.objects.filter(pk__in=changed):
        pk = owner.pk
        is_user = isinstance(owner, User)
        _log(
            user=_acting_user(),
            action=relation.action,
            subject=f"account {owner.get_username()}" if is_user else f"role {owner.name}",
            target_user=owner if is_user else None,
            changes={relation.key: [before[pk], after[pk]]},
        )


# The database refuses to change audit records (PostgreSQL) --------------------------------------

TRIGGER_FUNCTION = """
CREATE OR REPLACE FUNCTION xicheng_audit_append_only() RETURNS trigger AS $$
BEGIN
    -- Only the retention purge deletes, and only inside the transaction that asked for it.
    IF TG_OP = 'DELETE' AND current_setting('xicheng.audit_purge', true) = 'on' THEN
        RETURN OLD;
    END IF;
    -- Rotating PERSONAL_DATA_KEY re-encrypts the personal data kept in history rows; nothing else
    -- of theirs changes (manage.py rotate_personal_data_key, inside its own transaction).
    IF TG_OP = 'UPDATE' AND current_setting('xicheng.key_rotation', true) = 'on' THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit records cannot be changed or deleted (% on %)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql
"""


def audit_tables(table_names: list[str]) -> list[str]:
    """The tables of the audit trail: AuditEvent and every history table of the kernel and the
    domain apps (their many-to-many history too). Axes' login logs are bookkeeping that axes itself
    updates (the time of sign-out); the trail of sign-ins is AuditEvent."""
    from xicheng import plugins

    prefixes = tuple(f"{label}_historical" for label in plugins.app_labels())
    return sorted(name for name in table_names if name.startswith(prefixes) or name == "xicheng_auditevent")


def install_audit_triggers(connection: Any) -> list[str]:
    """Create (or replace) the append-only trigger on every audit table; idempotent. PostgreSQL
    only: SQLite, for development and tests, has no such triggers."""
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        tables = audit_tables(connection.introspection.table_names(cursor))
        cursor.execute(TRIGGER_FUNCTION)
        for table in tables:
            name = connection.ops.quote_name(table)
            cursor.execute(
                f"CREATE OR REPLACE TRIGGER xicheng_audit_append_only BEFORE UPDATE OR DELETE ON {name} "
                "FOR EACH ROW EXECUTE FUNCTION xicheng_audit_append_only()"
            )
    return tables


def install_audit_triggers_after_migrate(using: str = "default", **kwargs: Any) -> None:
    """post_migrate: history tables added by later migrations get the trigger too."""
    from django.db import connections

    install_audit_triggers(connections[using])


# Retention ---------------------------------------------------------------------------------------


def audit_purge(*, days: int, acting_user: User | None = None) -> dict[str, int]:
    """Remove audit records older than `days` (never fewer than AUDIT_RETENTION_DAYS), in one
    transaction that alone may delete them, and record that it did. Returns the count per table."""
    from datetime import timedelta

    from axes.models import AccessFailureLog, AccessLog
    from django.db import connection, transaction
    from django.utils import timezone

    from xicheng.audit_trail import history_models
    from xicheng.models import AuditEvent
    from xicheng.overview_cache import forget_all
    from xicheng.services import audit_log

    if days < settings.AUDIT_RETENTION_DAYS:
        raise ValueError(f"Audit records are kept at least {settings.AUDIT_RETENTION_DAYS} days, not {days}.")
    cutoff = timezone.now() - timedelta(days=days)
    removed: dict[str, int] = {}
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # Only this transaction: the trigger lets a DELETE through while this is on.
                cursor.execute("SET LOCAL xicheng.audit_purge = 'on'")
        removed[AuditEvent._meta.db_table] = AuditEvent.objects.filter(at__lt=cutoff).delete()[0]
        for model in history_models().values():
            history: Any = model.history  # type: ignore[attr-defined]  # added by django-simple-history
            removed[history.model._meta.db_table] = history.filter(history_date__lt=cutoff).delete()[0]
        for log in (AccessLog, AccessFailureLog):
            removed[log._meta.db_table] = log.objects.filter(attempt_time__lt=cutoff).delete()[0]
        # A past day read from the history purged now reads differently (xicheng.asof).
        forget_all()
        total = sum(removed.values())
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # Inside a caller's transaction SET LOCAL would outlive this block: end it here.
                cursor.execute("SET LOCAL xicheng.audit_purge = 'off'")
        audit_log(
            user=acting_user,
            action=AuditEvent.Action.AUDIT_PURGE,
            subject=f"purged {total} audit records older than {cutoff:%Y-%m-%d} ({days} days kept)",
            changes={"records": [total, 0]},
        )
    return removed
