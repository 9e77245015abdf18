"""Real-browser tests: Playwright driving the system Chromium (never a downloaded browser).

They are skipped when /usr/bin/chromium is missing, unless REQUIRE_BROWSER=1 (as .ci/run sets),
in which case a missing browser fails the run."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "secret-pass-123"  # the cast's password (tests/conftest.py)
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("REQUIRE_BROWSER") == "1":
        raise pytest.UsageError(f"REQUIRE_BROWSER=1 but {CHROMIUM} is missing: install Debian's chromium.")
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is not installed")
    for item in items:
        if "e2e" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_instance: Any) -> Iterator[Any]:
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
    yield browser
    browser.close()


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    """A page on a 390 px wide phone screen."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def small_phone(browser: Any) -> Iterator[Any]:
    """A 360×740 phone, the smallest the cadres carry."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def desktop(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    yield page
    context.close()


def totp_code(username: str) -> str:
    """The code the user's authenticator app would show now: computed from the device's key, one
    step past the last code it accepted (a TOTP code is good once)."""
    import time

    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user__username=username, confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    if totp.t() <= device.last_t:
        totp.time += (device.last_t + 1 - totp.t()) * device.step  # within the device's tolerance
    return f"{totp.token():06d}"


def give_second_factor(username: str) -> None:
    """A confirmed TOTP device, as an administrator must have before any page."""
    from django.contrib.auth.models import User
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = User.objects.get(username=username)
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        TOTPDevice.objects.create(user=user, name="TOTP", confirmed=True)


def login(page: Any, live_server: Any, username: str, password: str = PASSWORD) -> None:
    """Sign in through the real login form, and the second factor's form when the account has one
    (an administrator always does: this gives them one if needed)."""
    from django.contrib.auth.models import User

    from xicheng.roles import ADMINISTRATORS, roles_of

    if roles_of(User.objects.get(username=username)) & ADMINISTRATORS:
        give_second_factor(username)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "/accounts/login/" not in page.url, f"login as {username} failed"
    if "/accounts/otp/verify/" in page.url:
        page.fill("input[name=code]", totp_code(username))
        page.click("main button[type=submit]")
        page.wait_for_load_state("networkidle")
    assert "/accounts/otp/" not in page.url and "/accounts/login/" not in page.url, f"login as {username} failed"


def screenshot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
