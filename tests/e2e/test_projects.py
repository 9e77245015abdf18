"""A squad member, on a phone, signs a household from *my work*; the project's funnel follows."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Cast, Places, make_user
from tests.e2e.conftest import login, screenshot
from tests.projects.factories import HouseholdFactory, ProjectFactory, SquadFactory
from xicheng.roles import Role

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_squad_member_signs_a_household_on_a_phone_and_the_funnel_counts_it(
    phone: Any, live_server: Any, cast: Cast, places: Places
) -> None:
    head = make_user("head", Role.CADRE, "沈海燕", [places.feifeng], position="division_head")
    project: Any = ProjectFactory(name="周塘区块旧城区改建", area=places.yuehongwan, lead_leader=cast.zhao)
    squad: Any = SquadFactory(project=project, name="第一攻坚小组", leader=cast.zhao, head=head, members=[cast.wang])
    household: Any = HouseholdFactory(
        project=project, squad=squad, area=places.yuehongwan, address="周塘村1区8号", evaluated=True
    )
    HouseholdFactory(project=project, squad=squad, area=places.yuehongwan, evaluated=True)

    login(phone, live_server, "wang")
    phone.goto(f"{live_server.url}/projects/{project.pk}/")
    signed_before = int(phone.locator("[data-count=signed]").inner_text())

    phone.goto(f"{live_server.url}/my/")
    card = phone.locator(f"#household-{household.pk}")
    assert "已评估" in card.inner_text()
    card.get_by_role("button", name="下一步：已签约").click()
    phone.locator(f"#household-{household.pk} .ok").wait_for()
    assert "已登记：已签约" in phone.locator(f"#household-{household.pk}").inner_text()
    screenshot(phone, "projects-my-households-phone")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390

    phone.goto(f"{live_server.url}/projects/{project.pk}/")
    assert int(phone.locator("[data-count=signed]").inner_text()) == signed_before + 1
    screenshot(phone, "projects-project-page-phone")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
