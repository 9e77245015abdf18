"""Plain rows into a table, fast: for generated data (the demo at `--scale N`), not for records
users write (those go through the services, with their history and rules).

`insert_rows(model, rows)` takes dicts of attribute names (`house_id`, not `house`) to values and
inserts them without building a model instance per row: on PostgreSQL with one `COPY` per batch,
elsewhere through `bulk_create`. What it skips, on purpose: `save()`, signals and history (a row
without history is read as it is now, see `xicheng.asof`). What it keeps: each field's default for
a missing value, `auto_now`/`auto_now_add`, and encryption of personal fields (their
`get_prep_value`). A generated row is never re-validated, so its values must already be valid.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from datetime import time as clock_time
from decimal import Decimal
from typing import Any

from django.db import connection, models
from django.utils import timezone

from xicheng.personal import EncryptedCharField, encrypt

BATCH = 50_000


def insert_rows(model: type[models.Model], rows: Iterable[Mapping[str, Any]], *, batch_size: int = BATCH) -> int:
    """Insert `rows` into `model`'s table in batches; returns how many went in. Primary keys are
    the database's (read the rows back, ordered by pk, where they are needed)."""
    fields = [f for f in model._meta.concrete_fields if not (f.primary_key and isinstance(f, models.AutoField))]
    if connection.vendor != "postgresql":
        return _bulk_create(model, rows, batch_size)
    defaults = {f.attname: _default_of(f) for f in fields}
    converters = [_converter(f) for f in fields]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    sql = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN"
    count = 0
    buffer = io.StringIO()
    in_batch = 0
    with connection.cursor() as cursor:
        for row in rows:
            values = []
            for f, convert in zip(fields, converters, strict=True):
                value = row[f.attname] if f.attname in row else defaults[f.attname]()
                values.append(convert(value))
            buffer.write("\t".join(values))
            buffer.write("\n")
            in_batch += 1
            if in_batch >= batch_size:
                count += _copy(cursor, sql, buffer)
                buffer, in_batch = io.StringIO(), 0
        if in_batch:
            count += _copy(cursor, sql, buffer)
    return count


def _bulk_create(model: type[models.Model], rows: Iterable[Mapping[str, Any]], batch_size: int) -> int:
    instances = [model(**row) for row in rows]
    model._default_manager.bulk_create(instances, batch_size=min(batch_size, 2000))
    return len(instances)


def _copy(cursor: Any, sql: str, buffer: io.StringIO) -> int:
    lines = buffer.getvalue().count("\n")
    buffer.seek(0)
    # psycopg2's cursor under Django's wrapper: the raw one has copy_expert.
    cursor.cursor.copy_expert(sql, buffer)
    return lines


def _default_of(field: models.Field[Any, Any]) -> Callable[[], Any]:
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return timezone.now if isinstance(field, models.DateTimeField) else timezone.localdate
    return field.get_default


def _converter(field: models.Field[Any, Any]) -> Callable[[Any], str]:
    """How a field's Python value is written in COPY's text format."""
    if isinstance(field, EncryptedCharField):
        # The one encryption of personal data (Fernet, xicheng.personal): no cipher of our own,
        # even for generated rows.
        return lambda value: "\\N" if value is None else ("" if value == "" else encrypt(str(value)))
    return _text


def _text(value: Any) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, datetime):
        if timezone.is_naive(value):
            raise ValueError("A naive datetime in generated rows: make it aware.")
        return value.isoformat()
    if isinstance(value, (date, clock_time)):
        return value.isoformat()
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    if isinstance(value, models.Model):
        raise TypeError("Give a foreign key by its id (`house_id=house.pk`), not as a row.")
    text = str(value)
    if any(c in text for c in "\\\t\n\r"):
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text
