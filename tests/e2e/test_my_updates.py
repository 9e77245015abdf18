"""我的填报 on a 360×740 phone: a cadre saves a note, a status, a manual reading and a zero report
with an incident, each card on its own; a failed save shows its message and keeps the text."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from governance.models import ZeroReport
from tests.conftest import Cast, Places
from tests.e2e.conftest import login, screenshot
from tests.factories import IndicatorFactory, TaskFactory
from xicheng.models import ManualReading, Task

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _no_sideways_scroll(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_a_cadre_saves_a_note_a_status_a_reading_and_a_zero_report_from_my_updates(
    small_phone: Any, live_server: Any, cast: Cast, places: Places
) -> None:
    phone = small_phone
    task: Any = TaskFactory(area=places.sifang, lead_leader=cast.zhao, responsible=cast.li, title="老旧小区加装电梯")
    indicator: Any = IndicatorFactory(name="新增市场主体", unit="家", owner=cast.li)
    login(phone, live_server, "li")
    phone.goto(f"{live_server.url}/my/")
    phone.click("a[href='/my/updates/']")
    phone.wait_for_url("**/my/updates/")
    _no_sideways_scroll(phone)

    # A note and a status on the task card.
    card = phone.locator(f"#task-{task.pk}")
    card.locator("textarea[name=note]").fill("三台电梯已完成安装")
    card.locator("select[name=status]").select_option("done")
    card.locator("button[type=submit]").click()
    phone.locator(f"#task-{task.pk} .ok").wait_for()
    assert "三台电梯已完成安装" in phone.locator(f"#task-{task.pk} .last-note").inner_text()
    task.refresh_from_db()
    assert task.status == Task.Status.DONE

    # A reading of the indicator she owns.
    reading = phone.locator(f"#reading-{indicator.pk}-{places.sifang.pk}")
    reading.locator("input[name=value]").fill("7")
    reading.locator("input[name=note]").fill("新登记个体户")
    reading.locator("button[type=submit]").click()
    phone.locator(f"#reading-{indicator.pk}-{places.sifang.pk} .ok").wait_for()
    assert ManualReading.objects.get().value == Decimal(7)

    # Today's zero report, with an incident and what happened.
    report = phone.locator(f"#zero-report-{places.sifang.pk}")
    report.locator("input[name=incidents]").fill("1")
    report.locator("input[name=note]").fill("邻里噪音纠纷，已调解")
    report.locator("button[type=submit]").click()
    phone.locator(f"#zero-report-{places.sifang.pk} .ok").wait_for()
    saved = ZeroReport.objects.get()
    assert (saved.incidents, saved.note, saved.day) == (1, "邻里噪音纠纷，已调解", timezone.localdate())
    _no_sideways_scroll(phone)
    screenshot(phone, "my-updates-phone")


def test_a_failed_save_on_my_updates_shows_the_message_and_keeps_the_text(
    small_phone: Any, live_server: Any, cast: Cast, places: Places
) -> None:
    phone = small_phone
    task: Any = TaskFactory(area=places.sifang, lead_leader=cast.zhao, responsible=cast.li, title="最美巷道评选")
    indicator: Any = IndicatorFactory(name="直播电商销售额", unit="万元", owner=cast.li)
    login(phone, live_server, "li")
    phone.goto(f"{live_server.url}/my/updates/")

    # Typed in two cards; meanwhile someone else changes the task.
    reading = phone.locator(f"#reading-{indicator.pk}-{places.sifang.pk}")
    reading.locator("input[name=note]").fill("等财务核对")
    card = phone.locator(f"#task-{task.pk}")
    card.locator("textarea[name=note]").fill("评选方案已公示")
    card.locator("select[name=status]").select_option("done")
    Task.objects.filter(pk=task.pk).update(version=5)
    card.locator("button[type=submit]").click()
    phone.locator(f"#task-{task.pk} .error").wait_for()
    assert "已被他人修改" in phone.locator(f"#task-{task.pk} .error").inner_text()
    assert phone.locator(f"#task-{task.pk} textarea[name=note]").input_value() == "评选方案已公示"
    # The other card's text is untouched.
    assert reading.locator("input[name=note]").input_value() == "等财务核对"

    # The retry is taken: the answer carried the version now.
    phone.locator(f"#task-{task.pk} button[type=submit]").click()
    phone.locator(f"#task-{task.pk} .ok").wait_for()
    task.refresh_from_db()
    assert (task.status, task.version) == (Task.Status.DONE, 6)

    # A reading with no value: the message, and the note stays.
    reading.locator("button[type=submit]").click()
    phone.locator(f"#reading-{indicator.pk}-{places.sifang.pk} .error").wait_for()
    assert phone.locator(f"#reading-{indicator.pk}-{places.sifang.pk} input[name=note]").input_value() == "等财务核对"
    assert not ManualReading.objects.exists()

    # A zero report with incidents and no note: the message, and the count stays.
    report = phone.locator(f"#zero-report-{places.sifang.pk}")
    report.locator("input[name=incidents]").fill("2")
    report.locator("button[type=submit]").click()
    phone.locator(f"#zero-report-{places.sifang.pk} .error").wait_for()
    assert "备注" in phone.locator(f"#zero-report-{places.sifang.pk} .error").inner_text()
    assert phone.locator(f"#zero-report-{places.sifang.pk} input[name=incidents]").input_value() == "2"
    assert not ZeroReport.objects.exists()
    _no_sideways_scroll(phone)
    screenshot(phone, "my-updates-failed-save-phone")


def test_save_all_sends_every_card_typed_in(small_phone: Any, live_server: Any, cast: Cast, places: Places) -> None:
    phone = small_phone
    first: Any = TaskFactory(area=places.sifang, lead_leader=cast.zhao, responsible=cast.li, title="任务一")
    second: Any = TaskFactory(area=places.sifang, lead_leader=cast.zhao, responsible=cast.li, title="任务二")
    untouched: Any = TaskFactory(area=places.sifang, lead_leader=cast.zhao, responsible=cast.li, title="任务三")
    login(phone, live_server, "li")
    phone.goto(f"{live_server.url}/my/updates/")
    phone.locator(f"#task-{first.pk} textarea[name=note]").fill("一已推进")
    phone.locator(f"#task-{second.pk} textarea[name=note]").fill("二已推进")
    phone.click("[data-save-all]")
    phone.locator(f"#task-{first.pk} .ok").wait_for()
    phone.locator(f"#task-{second.pk} .ok").wait_for()
    assert first.updates.get().note == "一已推进" and second.updates.get().note == "二已推进"
    assert not untouched.updates.exists()
