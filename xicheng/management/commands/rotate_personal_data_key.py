from __future__ import annotations

import os
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from xicheng.personal import EncryptedCharField, blind_index, decrypt, encrypt

BATCH = 2000


def encrypted_columns() -> list[tuple[Any, str, str | None]]:
    """(model, column, blind-index column or None) for every encrypted field of every app,
    history tables included. A field's blind index is the field of the same model named
    `<field>_index` (e.g. Migrant.id_number_index)."""
    found = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        names = {f.name: f for f in model._meta.concrete_fields}
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedCharField):
                index = names.get(f"{field.name}_index")
                found.append((model, field.column, index.column if index is not None else None))
    return found


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted field (and re-compute every blind index) from the old "
        "PERSONAL_DATA_KEY to a new one, in one transaction. The keys are read from the environment "
        "(never from the command line, which other users of the machine can see)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--old-key-env", default="OLD_PERSONAL_DATA_KEY")
        parser.add_argument("--new-key-env", default="NEW_PERSONAL_DATA_KEY")

    def handle(self, *args: Any, old_key_env: str, new_key_env: str, **options: Any) -> None:
        old, new = os.environ.get(old_key_env, ""), os.environ.get(new_key_env, "")
        if not old or not new:
            raise CommandError(f"Set {old_key_env} and {new_key_env} in the environment.")
        if old == new:
            raise CommandError("The new key is the old key.")
        with transaction.atomic():
            if connection.vendor == "postgresql":
                # The audit tables' trigger lets this transaction, and only it, re-encrypt history rows.
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL xicheng.key_rotation = 'on'")
            total = 0
            for model, column, index_column in encrypted_columns():
                total += self._rotate(model, column, index_column, old, new)
        self.stdout.write(
            self.style.SUCCESS(f"Re-encrypted {total} values. Now set PERSONAL_DATA_KEY to the new key and restart.")
        )

    def _rotate(self, model: Any, column: str, index_column: str | None, old: str, new: str) -> int:
        # Raw SQL on purpose: the model would decrypt with the configured key, and a save would
        # write a history row for what is not a change of the record.
        table = connection.ops.quote_name(model._meta.db_table)
        pk = connection.ops.quote_name(model._meta.pk.column)
        col = connection.ops.quote_name(column)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {pk}, {col} FROM {table} WHERE {col} IS NOT NULL AND {col} <> ''")
            rows = cursor.fetchall()
        updates = []
        for row_pk, token in rows:
            try:
                plain = decrypt(token, key=old)
            except ValueError:
                raise CommandError(
                    f"{model._meta.db_table}.{column} row {row_pk} does not decrypt with the old key; nothing was changed."
                ) from None
            values = [encrypt(plain, key=new)]
            if index_column is not None:
                values.append(blind_index(plain, key=new))
            updates.append((*values, row_pk))
        if index_column is not None:
            sql = f"UPDATE {table} SET {col} = %s, {connection.ops.quote_name(index_column)} = %s WHERE {pk} = %s"
        else:
            sql = f"UPDATE {table} SET {col} = %s WHERE {pk} = %s"
        with connection.cursor() as cursor:
            for start in range(0, len(updates), BATCH):
                cursor.executemany(sql, updates[start : start + BATCH])
        if updates:
            self.stdout.write(f"  {model._meta.db_table}.{column}: {len(updates)}")
        return len(updates)
