"""In a real browser under the Content Security Policy (issue 9): the main pages, the admin and the
API docs work with no CSP violation; an administrator signs in with a TOTP code; a cadre sets up a
second factor by reading the key off the page."""

from __future__ import annotations

import time
from base64 import b32decode
from datetime import date
from typing import Any

import pytest
from django_otp.oath import TOTP

from governance.models import RentalHouse
from tests.conftest import Cast, Places
from tests.e2e.conftest import login, screenshot, totp_code
from tests.factories import IndicatorFactory, ManualReadingFactory, TargetFactory, TaskFactory
from xicheng.models import Cadre

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


class Violations:
    """Console messages and page errors that a CSP refusal produces."""

    def __init__(self, page: Any) -> None:
        self.messages: list[str] = []
        self.page = page
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.messages.append(f"{page.url} pageerror: {error}"))
        page.on("response", self._response)

    def _console(self, message: Any) -> None:
        text = message.text
        if "Content Security Policy" in text or "Refused to" in text:
            self.messages.append(f"{self.page.url} {message.type}: {text[:160]}")

    def _response(self, response: Any) -> None:
        if response.status >= 400 and not response.url.endswith("/favicon.ico"):
            self.messages.append(f"{self.page.url} {response.status}: {response.url}")

    def visit(self, page: Any, url: str) -> None:
        response = page.goto(url)
        page.wait_for_load_state("networkidle")
        assert response is not None and response.status == 200, (url, response and response.status)
        assert "no-store" in response.headers["cache-control"], url
        assert "unsafe-inline" not in response.headers["content-security-policy"], url


@pytest.fixture
def data(places: Places, cast: Cast) -> dict[str, Any]:
    indicator = IndicatorFactory(name="出租房清查", headline=True)
    target = TargetFactory(indicator=indicator, area=places.xicheng, value=1000)
    ManualReadingFactory(indicator=indicator, area=places.sifang, on=date(2026, 7, 6), value=400)
    task = TaskFactory(area=places.sifang, lead_leader=cast.zhao, responsible=cast.li)
    house = RentalHouse.objects.create(area=places.sifang_grid, address="四方路18号", landlord="张建华", rooms=6)
    return {"target": target, "task": task, "house": house}


def test_the_main_pages_raise_no_csp_violation(
    desktop: Any, live_server: Any, cast: Cast, data: dict[str, Any]
) -> None:
    seen = Violations(desktop)
    login(desktop, live_server, "zhao")
    query = "start=2026-07-01&end=2026-12-31&as_of=2026-09-30"
    for url in [
        "/my/",
        "/tasks/",
        f"/tasks/{data['task'].pk}/",
        "/targets/",
        f"/dashboard/?{query}",
        f"/dashboard/targets/{data['target'].pk}/areas/?as_of=2026-09-30",
        "/projects/",
        "/governance/houses/",
        "/welfare/elders/",
        "/governance/",
        "/governance/migrants/",
        "/accounts/",
        "/accounts/otp/",
        "/api/docs/",
    ]:
        seen.visit(desktop, f"{live_server.url}{url}")
        if url.startswith("/dashboard/?"):
            desktop.wait_for_function("document.querySelectorAll('.chart[data-drawn=true]').length === 1")
            desktop.locator(".chart").first.hover()  # a tooltip is drawn on hover
        if url == "/api/docs/":
            desktop.locator(".swagger-ui .opblock").first.wait_for()  # the docs really rendered
    # The handlers moved out of the templates still work: the period picker navigates.
    desktop.goto(f"{live_server.url}/dashboard/?{query}")
    with desktop.expect_navigation():
        desktop.select_option("select[name=period_choice]", index=1)
    assert "as_of=2026-09-30" in desktop.url
    assert not seen.messages, "\n".join(seen.messages)


def test_the_inspection_form_adds_rows_under_the_csp(phone: Any, live_server: Any, cast: Cast, data: Any) -> None:
    seen = Violations(phone)
    login(phone, live_server, "li")
    seen.visit(phone, f"{live_server.url}/governance/houses/{data['house'].pk}/")
    phone.click("#log-inspection")
    phone.wait_for_load_state("networkidle")
    before = phone.locator("[data-row=hazard]").count()
    phone.click("button[data-add=hazard]")
    assert phone.locator("[data-row=hazard]").count() == before + 1
    # The language switch submits itself (its handler lives in static/js/app.js).
    with phone.expect_navigation():
        phone.select_option("select[name=language]", "en")
    assert "Log out" in phone.content()
    assert not seen.messages, "\n".join(seen.messages)


def test_an_administrator_signs_in_with_a_totp_code_and_the_admin_works_under_the_csp(
    desktop: Any, live_server: Any, cast: Cast, data: Any
) -> None:
    seen = Violations(desktop)
    login(desktop, live_server, "admin")  # password, then the TOTP code from the device's key
    cadre = Cadre.objects.get(user=cast.li)
    for url in [
        "/admin/",
        "/admin/xicheng/task/",
        f"/admin/xicheng/task/{data['task'].pk}/change/",
        "/admin/xicheng/target/import/",
        f"/admin/xicheng/cadre/{cadre.pk}/change/",
        "/admin/governance/rentalhouse/add/",
    ]:
        seen.visit(desktop, f"{live_server.url}{url}")
    screenshot(desktop, "admin-under-csp")
    assert not seen.messages, "\n".join(seen.messages)


def test_the_system_admin_sees_the_token_admin_and_locked_accounts(desktop: Any, live_server: Any, cast: Cast) -> None:
    seen = Violations(desktop)
    login(desktop, live_server, "sysadmin")
    seen.visit(desktop, f"{live_server.url}/admin/knox/authtoken/")
    seen.visit(desktop, f"{live_server.url}/accounts/lockouts/")
    assert not seen.messages, "\n".join(seen.messages)


def test_a_cadre_sets_up_a_second_factor_from_the_key_on_the_page(phone: Any, live_server: Any, cast: Cast) -> None:
    seen = Violations(phone)
    login(phone, live_server, "li")
    seen.visit(phone, f"{live_server.url}/accounts/otp/")
    assert phone.locator(".qr svg").count() == 1
    key = phone.locator("[data-key]").inner_text().replace(" ", "")
    totp = TOTP(b32decode(key + "=" * (-len(key) % 8)))
    totp.time = time.time()
    phone.fill("input[name=code]", f"{totp.token():06d}")
    phone.click("main button[type=submit]")
    phone.locator("[data-recovery-codes]").wait_for()
    assert phone.locator("[data-recovery-codes] li").count() == 10
    screenshot(phone, "recovery-codes-phone")
    # The next sign-in asks for a code.
    phone.context.clear_cookies()
    login(phone, live_server, "li")
    assert totp_code("li")  # the device the page set up is the one the login helper used
    assert not seen.messages, "\n".join(seen.messages)
