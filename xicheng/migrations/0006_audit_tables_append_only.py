"""On PostgreSQL the audit tables refuse UPDATE and DELETE, but for the retention purge.

Tables created by later migrations (a domain app's new history table) get the same trigger after
every migrate (`xicheng.audit.install_audit_triggers_after_migrate`)."""

from __future__ import annotations

from typing import Any

from django.db import migrations


def install(apps: Any, schema_editor: Any) -> None:
    from xicheng.audit import install_audit_triggers

    install_audit_triggers(schema_editor.connection)


def remove(apps: Any, schema_editor: Any) -> None:
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("DROP FUNCTION IF EXISTS xicheng_audit_append_only() CASCADE")


class Migration(migrations.Migration):
    dependencies = [("xicheng", "0005_cadre_phone_encrypted_account_security")]

    operations = [migrations.RunPython(install, remove)]
