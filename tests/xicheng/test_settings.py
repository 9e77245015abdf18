from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from xicheng.settings import env_bool, env_int, env_list

ROOT = Path(__file__).resolve().parents[2]


def test_env_bool_refuses_a_value_that_is_not_a_yes_or_no(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOME_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="SOME_FLAG must be true or false"):
        env_bool("SOME_FLAG", False)


def test_env_int_refuses_a_word(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOME_NUMBER", "ten")
    with pytest.raises(ImproperlyConfigured, match="SOME_NUMBER must be a whole number"):
        env_int("SOME_NUMBER", 1)


def test_env_list_splits_on_commas(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOSTS", "a.example, b.example,")
    assert env_list("HOSTS", []) == ["a.example", "b.example"]


def _check(env: dict[str, str], *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "check", *flags],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_a_secret_key() -> None:
    result = _check({"DEBUG": "false"})
    assert result.returncode != 0
    assert "Set the environment variable SECRET_KEY" in result.stderr


PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "q8Zp-Lw3v!Xr7-Tn2b@Yk9-Hs4m#Ce6-Ju1d&Fa5-Gi0o*Rw8-Vx3z",
    "PERSONAL_DATA_KEY": "p3rsonal-" * 5,
    "ALLOWED_HOSTS": "progress.example",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_HSTS_SECONDS": "31536000",
}


def test_production_settings_pass_the_deploy_check() -> None:
    result = _check(PRODUCTION, "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr


def test_the_ui_speaks_chinese_by_default_in_shanghai_time(settings) -> None:  # type: ignore[no-untyped-def]
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert "en" in dict(settings.LANGUAGES)
