"""Personal data and response headers (issue 9): cadres' phones encrypted, no-store, the CSP and
the Permissions-Policy, key rotation, the deploy check, and the demo refusing a real install."""

from __future__ import annotations

import importlib
import os
import re
import secrets
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client, override_settings

from governance.models import Migrant
from tests.conftest import Cast, Places, login
from tests.governance.factories import MigrantFactory, RentalHouseFactory, id_number
from xicheng.models import Cadre
from xicheng.personal import blind_index, decrypt

ROOT = Path(__file__).resolve().parents[2]
PHONE = "13812345678"  # the cast's phone (tests/conftest.py)


def raw(sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


# --- cadres' phones ------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_cadres_phone_is_encrypted_in_its_table_and_in_its_history(cast: Cast) -> None:
    cadre = Cadre.objects.get(user=cast.li)
    cadre.phone = "13900001111"
    cadre.save(update_fields=["phone"])
    stored = [phone for (phone,) in raw("SELECT phone FROM xicheng_cadre")]
    history = [phone for (phone,) in raw("SELECT phone FROM xicheng_historicalcadre")]
    assert stored and history
    for value in stored + history:
        assert PHONE not in value and "13900001111" not in value
        assert decrypt(value) in (PHONE, "13900001111")
    assert Cadre.objects.get(pk=cadre.pk).phone == "13900001111"


@pytest.mark.django_db
def test_the_migration_encrypts_phones_kept_in_clear_text(cast: Cast) -> None:
    cadre = Cadre.objects.get(user=cast.wang)
    if connection.vendor == "postgresql":
        # The migration ran before the audit tables' trigger existed; let this test's transaction
        # put a clear-text phone back into a history row, as the rows were then.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL xicheng.key_rotation = 'on'")
    raw("UPDATE xicheng_cadre SET phone = %s WHERE id = %s RETURNING id", "13711112222", cadre.pk)
    raw("UPDATE xicheng_historicalcadre SET phone = %s WHERE id = %s RETURNING id", "13711112222", cadre.pk)
    # Found by name, whatever number the migration ends up with.
    (path,) = (ROOT / "xicheng/migrations").glob("*_cadre_phone_encrypted_account_security.py")
    migration = importlib.import_module(f"xicheng.migrations.{path.stem}")
    migration.encrypt_cadre_phones(None, type("Editor", (), {"connection": connection})())
    assert Cadre.objects.get(pk=cadre.pk).phone == "13711112222"
    assert all("1371111" not in v for (v,) in raw("SELECT phone FROM xicheng_historicalcadre WHERE id = %s", cadre.pk))
    migration.encrypt_cadre_phones(None, type("Editor", (), {"connection": connection})())  # twice: no harm
    assert Cadre.objects.get(pk=cadre.pk).phone == "13711112222"


@pytest.mark.django_db
def test_the_admin_lists_cadres_phones_masked(client: Client, cast: Cast) -> None:
    login(client, cast.admin)
    page = client.get("/admin/xicheng/cadre/").content.decode()
    assert "138****5678" in page and PHONE not in page


# --- response headers ----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_page_with_personal_data_is_not_stored_and_has_a_csp_without_unsafe_inline(
    client: Client, cast: Cast
) -> None:
    login(client, cast.admin)  # the data admin sees phones unmasked
    cadre = Cadre.objects.get(user=cast.li)
    response = client.get(f"/admin/xicheng/cadre/{cadre.pk}/change/")
    assert response.status_code == 200
    assert PHONE in response.content.decode()
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    csp = response["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "camera=()" in response["Permissions-Policy"]


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/my/", "/api/v1/tasks/", "/accounts/", "/governance/migrants/"])
def test_every_signed_in_answer_is_no_store(client: Client, cast: Cast, url: str) -> None:
    login(client, cast.li)
    response = client.get(url)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "unsafe-inline" not in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_the_login_page_is_no_store_and_has_the_policies(client: Client) -> None:
    response = client.get("/accounts/login/")
    assert "no-store" in response["Cache-Control"]
    assert "Permissions-Policy" in response and "Content-Security-Policy" in response


@pytest.mark.django_db
def test_the_api_docs_load_their_start_up_script_from_a_url(client: Client, cast: Cast) -> None:
    login(client, cast.zhao)
    page = client.get("/api/docs/").content.decode()
    assert re.search(r'<script src="[^"]*\?[^"]*script=', page)
    assert "<script>" not in page and "<style>" not in page
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()


# Inline code the CSP refuses: handler attributes, <script> without src, style attributes.
INLINE = re.compile(r"""\son[a-z]+\s*=|<script(?![^>]*\bsrc=)(?![^>]*type="application/json")[^>]*>|\sstyle\s*=""")


def test_no_template_has_inline_script_handlers_or_style_attributes() -> None:
    offenders = []
    for folder in ["templates", "xicheng", "projects", "governance", "welfare"]:
        for path in (ROOT / folder).rglob("*.html"):
            relative = str(path.relative_to(ROOT))
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if INLINE.search(line):
                    offenders.append(f"{relative}:{number}: {line.strip()[:100]}")
    assert not offenders, "\n".join(offenders)


# --- key rotation --------------------------------------------------------------------------


@pytest.mark.django_db
def test_rotating_the_personal_data_key_re_encrypts_everything_and_the_search_still_finds(
    places: Places, cast: Cast, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    house = RentalHouseFactory(area=places.sifang_grid, landlord_phone="13500001111")
    number = id_number(7)
    migrant = MigrantFactory(house=house, id_number=number, phone="13600002222")
    old, new = settings.PERSONAL_DATA_KEY, "a-brand-new-personal-data-key-" + secrets.token_hex(8)
    monkeypatch.setenv("OLD_PERSONAL_DATA_KEY", old)
    monkeypatch.setenv("NEW_PERSONAL_DATA_KEY", new)
    call_command("rotate_personal_data_key", stdout=StringIO())

    with override_settings(PERSONAL_DATA_KEY=new):
        found = Migrant.objects.get(id_number_index=blind_index(number))
        assert found.pk == migrant.pk and found.id_number == number and found.phone == "13600002222"
        assert Cadre.objects.get(user=cast.li).phone == PHONE
        assert found.history.first().phone == "13600002222"  # history tables too
    (token,) = raw("SELECT phone FROM xicheng_cadre WHERE user_id = %s", cast.li.pk)[0]
    with pytest.raises(ValueError):
        decrypt(token)  # the old key reads nothing any more


@pytest.mark.django_db
def test_rotation_with_a_wrong_old_key_changes_nothing(cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    before = raw("SELECT id, phone FROM xicheng_cadre ORDER BY id")
    monkeypatch.setenv("OLD_PERSONAL_DATA_KEY", "not-the-key")
    monkeypatch.setenv("NEW_PERSONAL_DATA_KEY", "another-key")
    with pytest.raises(CommandError, match="does not decrypt"):
        call_command("rotate_personal_data_key", stdout=StringIO())
    assert raw("SELECT id, phone FROM xicheng_cadre ORDER BY id") == before


# --- the demo and the deploy check ---------------------------------------------------------


@pytest.mark.django_db
def test_seed_demo_refuses_to_run_with_debug_off() -> None:
    with pytest.raises(CommandError, match="--allow-demo-accounts"):
        call_command("seed_demo", stdout=StringIO())
    from django.contrib.auth.models import User

    assert not User.objects.exists()


def documented_production_environment() -> dict[str, str]:
    """The `# production environment` block of docs/deployment.md, placeholders filled in."""
    text = (ROOT / "docs/deployment.md").read_text(encoding="utf-8")
    block = text.split("# production environment\n", 1)[1].split("```", 1)[0]
    env = {}
    for line in block.strip().splitlines():
        name, value = line.split("=", 1)
        env[name] = re.sub(r"<[^>]*>", lambda m: secrets.token_urlsafe(48), value)
    return env


def test_check_deploy_with_the_documented_production_settings_prints_no_issues() -> None:
    env = documented_production_environment()
    assert env["DEBUG"] == "false" and env["SECURE_SSL_REDIRECT"] == "true"
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "DEBUG"],
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr
