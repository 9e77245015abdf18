"""The first browser test: a cadre signs in, writes a progress note on *my work*, and sees it saved."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Cast, Places
from tests.e2e.conftest import login, screenshot
from tests.factories import TaskFactory
from xicheng.models import Task

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_cadre_adds_a_progress_note_on_my_work(phone: Any, live_server: Any, cast: Cast, places: Places) -> None:
    task = TaskFactory(area=places.sifang, lead_leader=cast.zhao, responsible=cast.li, title="最美巷道评选")
    login(phone, live_server, "li")
    phone.goto(f"{live_server.url}/my/")
    assert phone.locator("h1").inner_text() == "我的工作台"
    card = phone.locator(f"#task-{task.pk}")
    card.locator("textarea[name=note]").fill("已完成三条巷道的初评")
    card.locator("select[name=status]").select_option("blocked")
    card.locator("button[type=submit]").click()
    phone.locator(f"#task-{task.pk} .ok").wait_for()
    assert "进展已保存" in phone.locator(f"#task-{task.pk}").inner_text()
    screenshot(phone, "my-work-phone")
    task.refresh_from_db()
    assert task.status == Task.Status.BLOCKED
    assert task.updates.get().note == "已完成三条巷道的初评"
    # The page fits a phone: nothing wider than the screen.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390


def test_the_login_page_speaks_chinese_and_refuses_a_wrong_password(phone: Any, live_server: Any, cast: Cast) -> None:
    phone.goto(f"{live_server.url}/accounts/login/")
    assert "西城街道工作进度管理" in phone.content()
    phone.fill("input[name=username]", "li")
    phone.fill("input[name=password]", "wrong-password")
    phone.click("button[type=submit]")
    assert "/accounts/login/" in phone.url
    phone.locator(".error").wait_for()  # the refused login answers after the click returns
    assert phone.locator(".error").is_visible()
