"""The restore drill of docs/operations.md (issue 9, 等保三级 数据备份恢复), on PostgreSQL: seed the
demo, back it up with pg_dump, restore it into a fresh database with pg_restore, and find every
dashboard figure and every table's row count identical and the personal data still readable."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from xicheng.demo import seed

pytestmark = [pytest.mark.postgres]

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 26)

# Run in a fresh interpreter against one database; prints what must survive a restore.
SNAPSHOT = r"""
import json, django
django.setup()
from datetime import date
from django.apps import apps
from django.contrib.auth.models import User
from django.db import connection
from xicheng.overview import build_overview, overview_as_dict
from xicheng.periods import Period
from xicheng.personal import EncryptedCharField

today = date.fromisoformat("%(today)s")
leader = User.objects.get(username="zhao")
result = {"overview": {}, "rows": {}, "personal": {}}
for half in (1, 2):
    period = Period.half_year(today.year, half)
    result["overview"][f"H{half}"] = overview_as_dict(build_overview(leader, period, min(today, period.end)))
with connection.cursor() as cursor:
    for table in sorted(connection.introspection.table_names()):
        cursor.execute(f'SELECT count(*) FROM "{table}"')
        result["rows"][table] = cursor.fetchone()[0]
# Every encrypted field is read through the model, so with the key: a wrong key would raise.
for model in apps.get_models():
    for field in model._meta.concrete_fields:
        if isinstance(field, EncryptedCharField):
            values = list(model._default_manager.order_by("pk").exclude(**{field.name: ""}).values_list(field.name, flat=True)[:200])
            result["personal"][f"{model._meta.label}.{field.name}"] = values
print(json.dumps(result, default=str, sort_keys=True))
"""


def _pg(*args: str, env: dict[str, str]) -> None:
    subprocess.run(list(args), check=True, env=env, capture_output=True, text=True, timeout=600)


def _snapshot(database: str, env: dict[str, str]) -> dict[str, Any]:
    settings = connection.settings_dict
    url = f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT'] or 5432}/{database}"
    result = subprocess.run(
        [sys.executable, "-c", SNAPSHOT % {"today": TODAY.isoformat()}],
        cwd=ROOT,
        env={**env, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "xicheng.settings", "DEBUG": "false"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.django_db(transaction=True)
def test_the_restore_drill_gives_back_every_figure_every_row_and_readable_personal_data(tmp_path: Path) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the restore drill runs on PostgreSQL (pg_dump / pg_restore)")
    seed(today=TODAY, scale=1, out=StringIO())

    settings = connection.settings_dict
    source = settings["NAME"]
    restored = f"{source}_restored"
    env = {**os.environ, "PGHOST": settings["HOST"] or "127.0.0.1", "PGPORT": str(settings["PORT"] or 5432)}
    env["PGUSER"] = settings["USER"] or "postgres"
    if settings.get("PASSWORD"):
        env["PGPASSWORD"] = settings["PASSWORD"]
    dump = tmp_path / "xicheng.dump"

    # The backup and restore of docs/operations.md, command for command.
    _pg("pg_dump", "--format=custom", "--no-owner", "--file", str(dump), source, env=env)
    _pg("dropdb", "--if-exists", restored, env=env)
    _pg("createdb", restored, env=env)
    try:
        _pg("pg_restore", "--no-owner", "--exit-on-error", "--dbname", restored, str(dump), env=env)
        before, after = _snapshot(source, env), _snapshot(restored, env)
    finally:
        _pg("dropdb", "--if-exists", restored, env=env)

    assert before["rows"]["governance_migrant"] > 1000  # the demo really was seeded
    assert before["rows"] == after["rows"]
    for half in ("H1", "H2"):
        assert before["overview"][half]["targets"], half
        assert before["overview"][half] == after["overview"][half], half
    assert before["personal"]["xicheng.Cadre.phone"]  # cadres' phones are among them
    assert before["personal"] == after["personal"]
    assert all(value.isdigit() for value in before["personal"]["xicheng.Cadre.phone"])
