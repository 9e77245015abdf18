"""Issue 12: an inspection with a hazard is saved in at most 6 taps from *my work*, on a 360×740
phone — every tap on the way counted (focusing the search box too); typing is not a tap."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from governance.models import Hazard, Inspection, RentalHouse
from tests.conftest import Cast, Places
from tests.e2e.conftest import login, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDTH, HEIGHT = 360, 740
MOST_TAPS = 6


@pytest.fixture
def small_phone(browser: Any) -> Iterator[Any]:
    """A 360×740 touch screen: the cadre's phone."""
    context = browser.new_context(
        viewport={"width": WIDTH, "height": HEIGHT},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
    )
    page = context.new_page()
    yield page
    context.close()


class Taps:
    """Every tap goes through here, so none goes uncounted."""

    def __init__(self, page: Any) -> None:
        self.page, self.count = page, 0

    def __call__(self, selector: str) -> None:
        target = self.page.locator(selector)
        target.scroll_into_view_if_needed()  # scrolling is a swipe, not a tap
        target.tap()
        self.count += 1


def test_an_inspection_with_a_hazard_is_saved_in_six_taps_from_my_work(
    small_phone: Any, live_server: Any, cast: Cast, places: Places
) -> None:
    house = RentalHouse.objects.create(area=places.sifang_grid, address="童宅路12号", landlord="张建华", rooms=4)
    RentalHouse.objects.create(area=places.sifang_grid, address="四方路3号", landlord="陈", rooms=2)
    RentalHouse.objects.create(area=places.feifeng_grid, address="童宅路14号", landlord="王", rooms=2)  # not li's
    login(small_phone, live_server, "li")
    small_phone.goto(f"{live_server.url}/my/")
    tap = Taps(small_phone)

    tap("#my-inspection a")  # 1: 登记清查 on my work
    small_phone.wait_for_url("**/governance/inspect/")
    tap("#house-q")  # 2: the address box
    small_phone.keyboard.type("童宅路")
    pick = small_phone.locator("#house-results a.pick")
    pick.first.wait_for()
    assert pick.count() == 1  # only the houses li may inspect
    tap("#house-results a.pick")  # 3: the house
    small_phone.wait_for_url(f"**/governance/houses/{house.pk}/inspect/")
    assert small_phone.evaluate("document.documentElement.scrollWidth") <= WIDTH
    tap("input[name=forces][value=grid]")  # 4: a force present
    tap("input[name=hazards-0-category][value=fire]")  # 5: a hazard, by its category
    screenshot(small_phone, "governance-inspection-360")
    tap("#inspection-form button[type=submit].primary")  # 6: save
    small_phone.wait_for_url(f"**/governance/houses/{house.pk}/")

    assert tap.count <= MOST_TAPS
    inspection = Inspection.objects.get()
    hazard = Hazard.objects.get()
    assert (inspection.house, inspection.inspector, inspection.forces) == (house, cast.li, ["grid"])
    assert (hazard.house, hazard.inspection, hazard.category) == (house, inspection, "fire")
    assert "清查已保存" in small_phone.content()


def test_adding_a_hazard_row_shows_it_where_the_thumb_is(
    small_phone: Any, live_server: Any, cast: Cast, places: Places
) -> None:
    house = RentalHouse.objects.create(area=places.sifang_grid, address="童宅路12号", landlord="张建华", rooms=4)
    login(small_phone, live_server, "li")
    small_phone.goto(f"{live_server.url}/governance/houses/{house.pk}/inspect/")
    add = small_phone.locator("button[data-add=hazard]")
    add.scroll_into_view_if_needed()
    add.tap()
    row = small_phone.locator("[data-row=hazard]").nth(1)
    box = row.bounding_box()
    assert box is not None and 0 <= box["y"] < HEIGHT, box  # in view, not 400 px above
    assert small_phone.locator("input[name=hazards-1-category]").count() == len(Hazard.Category.choices)
    # An error names the row and the field it is about.
    small_phone.fill("input[name=hazards-1-description]", "楼道堆物")
    small_phone.fill("input[name=hazards-1-deadline]", "")
    small_phone.check("input[name=forces][value=grid]")
    small_phone.locator("#inspection-form button[type=submit].primary").tap()
    small_phone.wait_for_load_state("networkidle")
    error = small_phone.locator("[data-row=hazard] .error").first.inner_text()
    assert "第2条隐患" in error and "类别" in error and "整改期限" in error, error
