"""Natural order of text with numbers in it: 10区1号, 10区2号, 10区19号 — not 10区19号 before 10区1号.

`NaturalKey("address")` sorts in the query itself, so a paged list keeps its query count: on
PostgreSQL every run of digits is padded inside the ORDER BY; on SQLite the same `natural_key` in
Python is registered as an SQL function on each connection (`register_sqlite_function`)."""

from __future__ import annotations

import re
from typing import Any

from django.db.models import CharField, Func

WIDTH = 12  # a house number never runs to twelve digits
DIGITS = re.compile(r"\d+")


def natural_key(text: str | None) -> str | None:
    """'10区1号' → '000000000010区000000000001号': plain string order is then natural order."""
    if text is None:
        return None
    return DIGITS.sub(lambda m: m.group().zfill(WIDTH), text)


class NaturalKey(Func):
    function = "natural_key"
    output_field = CharField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra_context: Any) -> tuple[str, list[Any]]:
        sql, params = compiler.compile(self.source_expressions[0])
        return (
            "(SELECT string_agg(CASE WHEN m.part[1] ~ '^[0-9]' "
            f"THEN lpad(m.part[1], {WIDTH}, '0') ELSE m.part[1] END, '' ORDER BY m.n) "
            f"FROM regexp_matches({sql}, '([0-9]+|[^0-9]+)', 'g') WITH ORDINALITY AS m(part, n))",
            list(params),
        )


def register_sqlite_function(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function("natural_key", 1, natural_key, deterministic=True)
