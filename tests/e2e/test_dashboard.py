"""The leaders' dashboard in a real browser: lights, drawn charts, a drill-down, the workbook."""

from __future__ import annotations

from datetime import date
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.conftest import Cast, Places
from tests.e2e.conftest import login, screenshot
from tests.factories import IndicatorFactory, ManualReadingFactory, TargetFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

QUERY = "start=2026-07-01&end=2026-12-31&as_of=2026-09-30"


@pytest.fixture
def targets(places: Places) -> None:
    for name, done in [("出租房清查", 1000), ("新增市场主体", 600), ("直播电商销售额", 450), ("消防隐患整改", 300)]:
        indicator = IndicatorFactory(name=name, headline=True)
        TargetFactory(indicator=indicator, area=places.xicheng, value=1000)
        for day, share in ((6, 0.5), (20, 0.3), (27, 0.2)):
            ManualReadingFactory(indicator=indicator, area=places.sifang, on=date(2026, 7, day), value=done * share)


def _charts_drawn(page: Any) -> int:
    return page.evaluate(
        """() => [...document.querySelectorAll('.chart')].filter(el => {
            const canvas = el.querySelector('canvas');
            if (!canvas || canvas.width === 0 || canvas.height === 0) return false;
            const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
            for (let i = 3; i < data.length; i += 4) { if (data[i] !== 0) return true; }
            return false;
        }).length"""
    )


def test_the_dashboard_on_a_desktop_shows_lights_charts_and_exports(
    desktop: Any, live_server: Any, cast: Cast, targets: None
) -> None:
    login(desktop, live_server, "zhao")
    desktop.goto(f"{live_server.url}/dashboard/?{QUERY}")
    lights = desktop.locator("#targets [data-light]").evaluate_all("els => els.map(e => e.dataset.light)")
    assert sorted(lights) == ["done", "green", "red", "yellow"]
    desktop.wait_for_function("document.querySelectorAll('.chart[data-drawn=true]').length === 4")
    assert _charts_drawn(desktop) == 4
    screenshot(desktop, "dashboard-desktop")

    with desktop.expect_download() as download:
        desktop.click("text=导出 Excel")
    sheet = load_workbook(BytesIO(Path(download.value.path()).read_bytes()))["目标任务"]
    assert sheet["B2"].value == "出租房清查" and sheet["F2"].value == 1000

    desktop.click("#targets a:has-text('消防隐患整改')")
    desktop.wait_for_url("**/dashboard/targets/**")
    assert desktop.locator("tr[data-area=sifang] [data-field=actual]").inner_text() == "300 家"


def test_the_dashboard_fits_a_phone(phone: Any, live_server: Any, cast: Cast, targets: None) -> None:
    login(phone, live_server, "zhao")
    phone.goto(f"{live_server.url}/dashboard/?{QUERY}")
    assert phone.locator("#targets [data-light=red]").count() == 1
    phone.wait_for_function("document.querySelectorAll('.chart[data-drawn=true]').length === 4")
    assert _charts_drawn(phone) == 4
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "dashboard-phone")
