"""A grid worker on a phone logs an inspection with a hazard and two migrants, then rectifies it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from governance.models import Hazard, Inspection, Migrant, RentalHouse
from tests.conftest import Cast, Places
from tests.e2e.conftest import login, screenshot
from tests.governance.factories import id_number
from xicheng import metrics
from xicheng.periods import Period

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _hazard_counts(places: Places) -> tuple[float, float]:
    today = timezone.localdate()
    period = Period.half_year_of(today)
    found = metrics.value_for(metrics.registry.get("governance.hazards_found"), period, places.sifang, today)
    fixed = metrics.value_for(metrics.registry.get("governance.fire_hazards_rectified"), period, places.sifang, today)
    return found, fixed


def test_a_grid_worker_logs_an_inspection_and_rectifies_its_hazard_on_a_phone(
    phone: Any, live_server: Any, cast: Cast, places: Places
) -> None:
    house = RentalHouse.objects.create(area=places.sifang_grid, address="四方路18号", landlord="张建华", rooms=6)
    assert _hazard_counts(places) == (0, 0)
    login(phone, live_server, "li")

    phone.goto(f"{live_server.url}/governance/houses/{house.pk}/")
    phone.click("#log-inspection")
    phone.check("input[name=forces][value=grid]")
    phone.check("input[name=forces][value=police]")
    phone.check("input[name=hazards-0-category][value=fire]")
    phone.fill("input[name=hazards-0-description]", "电动车楼道充电")
    phone.fill("input[name=hazards-0-deadline]", f"{timezone.localdate() + timedelta(days=7):%Y-%m-%d}")
    for n, name in enumerate(["张三", "李四"]):
        phone.fill(f"input[name=migrants-{n}-name]", name)
        phone.fill(f"input[name=migrants-{n}-id_number]", id_number(n))
        phone.fill(f"input[name=migrants-{n}-origin]", "贵州凯里")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "governance-inspection-phone")
    phone.click("button[type=submit].primary")
    phone.wait_for_url(f"**/governance/houses/{house.pk}/")
    assert "清查已保存" in phone.content()
    assert Inspection.objects.count() == 1 and Migrant.objects.count() == 2
    hazard = Hazard.objects.get()
    assert _hazard_counts(places) == (1, 0)

    phone.goto(f"{live_server.url}/governance/hazards/")
    row = phone.locator(f"#hazard-{hazard.pk}")
    row.locator("button[type=submit]").click()
    phone.locator(f"#hazard-{hazard.pk} .ok").wait_for()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "governance-hazard-rectified-phone")
    hazard.refresh_from_db()
    assert hazard.rectified_on == timezone.localdate()
    assert _hazard_counts(places) == (1, 1)
