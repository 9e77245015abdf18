"""On PostgreSQL the audit tables refuse UPDATE and DELETE even from the application's own SQL;
only the retention purge deletes, inside its own transaction."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from tests.conftest import Cast, Places
from tests.factories import TaskFactory
from xicheng.audit import audit_purge, audit_tables
from xicheng.models import AuditEvent

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the triggers are PostgreSQL's"),
]


def _refused(sql: str, params: list[Any] | None = None) -> bool:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params or [])
    except DatabaseError as e:
        assert "audit records cannot be changed or deleted" in str(e)
        return True
    return False


def test_the_database_refuses_to_update_or_delete_audit_records(cast: Cast, places: Places) -> None:
    event = AuditEvent.objects.create(action=AuditEvent.Action.EXPORT, subject="dashboard")
    task = TaskFactory(area=places.sifang, lead_leader=cast.zhao, responsible=cast.li)
    cast.li.cadre.areas.add(places.feifeng)  # a many-to-many history row too
    for table, key, value in (
        ("xicheng_auditevent", "id", event.pk),
        ("xicheng_historicaltask", "id", task.pk),
        ("xicheng_historicalcadre_areas", "cadre_id", cast.li.cadre.pk),
    ):
        assert _refused(f"UPDATE {table} SET {key} = {key} WHERE {key} = %s", [value]), table
        assert _refused(f"DELETE FROM {table} WHERE {key} = %s", [value]), table
    assert AuditEvent.objects.filter(pk=event.pk, subject="dashboard").exists()
    assert task.history.count() == 1


def test_every_audit_table_carries_the_trigger() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname = 'xicheng_audit_append_only'"
        )
        guarded = {row[0] for row in cursor.fetchall()}
    tables = audit_tables(connection.introspection.table_names())
    assert {"xicheng_auditevent", "governance_historicalmigrant", "projects_historicalsquad_members"} <= set(tables)
    assert set(tables) <= guarded


def test_only_the_purge_deletes_and_only_in_its_own_transaction(cast: Cast) -> None:
    old = AuditEvent.objects.create(
        at=timezone.now() - timedelta(days=400), action=AuditEvent.Action.EXPORT, subject="o"
    )
    audit_purge(days=180)
    assert not AuditEvent.objects.filter(pk=old.pk).exists()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.AUDIT_PURGE).exists()
    # The permission ended with the purge's transaction.
    assert _refused("DELETE FROM xicheng_auditevent")
    # And asking for it without being the purge gives no right to change a record.
    assert _refused("SET LOCAL xicheng.audit_purge = 'on'; UPDATE xicheng_auditevent SET subject = 'x'")


def test_role_permissions_can_still_be_set_on_migrate(cast: Cast) -> None:
    # sync_roles runs after every migrate; it writes groups, never the trail's rows.
    from xicheng.roles import sync_roles

    Group.objects.get(name="leader").permissions.clear()
    sync_roles()
    assert Group.objects.get(name="leader").permissions.exists()


@pytest.mark.django_db(transaction=True)
def test_a_flush_still_empties_the_audit_tables() -> None:
    # Django's test teardown and `manage.py flush` TRUNCATE, which row triggers do not see.
    AuditEvent.objects.create(action=AuditEvent.Action.EXPORT, subject="x")
    call_command("flush", interactive=False, verbosity=0)
    assert not AuditEvent.objects.exists()
