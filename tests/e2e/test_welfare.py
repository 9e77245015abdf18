"""A centre cadre records today's meals on a phone; a lone elder who did not answer the door
drops out of the meals delivered and appears on the village cadre's *my work*."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from tests.conftest import Cast, Places, make_user
from tests.e2e.conftest import login, screenshot
from tests.welfare.factories import World
from welfare.models import SafetyCheck
from welfare.services import day_sheet_save
from xicheng import metrics
from xicheng.periods import Period
from xicheng.roles import Role

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _meals_today(places: Places) -> float:
    today = timezone.localdate()
    metric = metrics.registry.get("welfare.meals_delivered")
    return metrics.value_for(metric, Period(today, today), places.xicheng, today)


def test_a_cadre_marks_an_elder_not_at_home_on_today_s_sheet(
    phone: Any, live_server: Any, cast: Cast, places: Places
) -> None:
    world = World(places)
    yang = make_user("yang", Role.CADRE, "杨慧敏", [places.yuehongwan], position="staff")  # runs the centre
    today = timezone.localdate()
    # The morning round was saved with every meal delivered; the courier then reports a closed door.
    rows = world.sheet()
    day_sheet_save(center=world.center, day=today, villages=rows, acting_user=yang)
    assert _meals_today(places) == 5

    login(phone, live_server, "yang")
    phone.goto(f"{live_server.url}/welfare/centres/{world.center.pk}/sheet/")
    assert today.isoformat() in phone.url
    row = phone.locator(f"#elder-{world.alone.pk}")
    assert "李秀英" in row.inner_text()
    row.locator(".tap-not_home").click()
    assert row.locator("input[value=not_home]").is_checked()
    phone.locator("#save-sheet").click()
    phone.locator("#sheet-saved").wait_for()
    screenshot(phone, "welfare-sheet-phone")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390

    assert _meals_today(places) == 4
    assert SafetyCheck.objects.open().get().elder_id == world.alone.pk

    # 李, the cadre of 四方社区, finds the elder on *my work*.
    phone.context.clear_cookies()
    login(phone, live_server, "li")
    phone.goto(f"{live_server.url}/my/")
    panel = phone.locator("#welfare-safety-checks")
    assert "李秀英" in panel.inner_text()
    screenshot(phone, "welfare-my-work-phone")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
