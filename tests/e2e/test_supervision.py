"""督办 in a real browser: on a 360 px phone a cadre sees a new case on *my work*, acknowledges it
and reports progress in two taps; a leader opens a case from a red item of the dashboard in two
clicks (the fields between are typed, not clicked)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from tests.conftest import Cast, Places
from tests.e2e.conftest import login, screenshot
from tests.factories import TaskFactory
from xicheng.supervision import services
from xicheng.supervision.models import Case, CaseStep

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _no_sideways_scroll(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_a_cadre_acknowledges_a_new_case_and_replies_from_my_work_in_two_taps(
    small_phone: Any, live_server: Any, cast: Cast, places: Places
) -> None:
    phone = small_phone
    task: Any = TaskFactory(area=places.sifang, lead_leader=cast.zhao, responsible=cast.li, title="老旧小区改造")
    case = services.case_open(
        kind="xicheng.task",
        object_id=task.pk,
        title="老旧小区改造进度滞后",
        instruction="请本周内拿出整改方案。",
        owner=cast.li,
        due_on=timezone.localdate() + timedelta(days=7),
        acting_user=cast.zhao,
    )
    login(phone, live_server, "li")  # a cadre lands on *my work*
    phone.goto(f"{live_server.url}/my/")
    assert phone.locator(".topbar .unread-count").inner_text() == "1"
    card = phone.locator(f"#case-{case.pk}")
    assert "请本周内拿出整改方案" in card.inner_text()
    _no_sideways_scroll(phone)
    screenshot(phone, "supervision-my-work-phone")

    with phone.expect_navigation():
        card.locator("button[type=submit]").click()  # tap 1: 签收
    card = phone.locator(f"#case-{case.pk}")
    card.locator("textarea[name=text]").fill("已组织施工队进场")
    with phone.expect_navigation():
        card.locator("button[type=submit]").click()  # tap 2: the progress report
    assert phone.locator(".messages").count() == 1
    _no_sideways_scroll(phone)
    case.refresh_from_db()
    assert case.status == Case.Status.ACKNOWLEDGED
    assert CaseStep.objects.filter(case=case, kind="replied", text="已组织施工队进场").exists()


def test_a_leader_opens_a_case_from_a_red_item_of_the_dashboard_in_two_clicks(
    desktop: Any, live_server: Any, cast: Cast, places: Places
) -> None:
    task: Any = TaskFactory(
        area=places.sifang,
        lead_leader=cast.zhao,
        responsible=cast.li,
        title="背街小巷整治",
        due_on=timezone.localdate() - timedelta(days=3),
    )
    login(desktop, live_server, "zhao")
    desktop.goto(f"{live_server.url}/dashboard/")
    desktop.click("#alerts [data-kind=task_overdue] a[data-supervise]")  # click 1
    desktop.wait_for_url("**/supervision/cases/new/**")
    assert desktop.locator("select[name=owner]").input_value() == str(cast.li.pk)
    desktop.fill("textarea[name=instruction]", "三天内完成整治并报送照片。")
    desktop.click("#case-open button[type=submit]")  # click 2
    desktop.wait_for_url("**/supervision/cases/*/")
    case = Case.objects.get()
    assert (case.object_id, case.owner_id, case.issuer_id) == (task.pk, cast.li.pk, cast.zhao.pk)
    assert "三天内完成整治并报送照片" in desktop.locator("main").inner_text()
    screenshot(desktop, "supervision-case-opened")


def test_the_case_page_fits_a_small_phone(small_phone: Any, live_server: Any, cast: Cast, places: Places) -> None:
    task: Any = TaskFactory(area=places.sifang, lead_leader=cast.zhao, responsible=cast.li)
    case = services.case_open(
        kind="xicheng.task",
        object_id=task.pk,
        title="一个相当长的督办事项标题用于检查在小屏幕上的换行情况",
        instruction="请限期完成。",
        owner=cast.li,
        due_on=timezone.localdate() + timedelta(days=7),
        acting_user=cast.zhao,
    )
    case = services.case_acknowledge(case=case, version=case.version, acting_user=cast.li)
    login(small_phone, live_server, "li")
    small_phone.goto(f"{live_server.url}/supervision/cases/{case.pk}/")
    assert small_phone.locator("#action-extension").count() == 1
    _no_sideways_scroll(small_phone)
    screenshot(small_phone, "supervision-case-phone")
