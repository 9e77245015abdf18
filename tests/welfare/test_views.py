"""The cadre pages: the day sheet, *my work*, safety checks, elders, deliveries."""

from __future__ import annotations

import re
from datetime import time
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from tests.conftest import Cast, Places, add_area, assert_role_matrix, count_queries, login
from tests.welfare.conftest import assert_form_role_matrix
from tests.welfare.factories import DAY, CareCenterFactory, ElderFactory, ServedVillageFactory, World
from welfare.models import Elder, MealDelivery, MealReceipt, SafetyCheck
from welfare.services import day_sheet_save
from xicheng.models import Area, AuditEvent

pytestmark = pytest.mark.django_db

SHEET = f"/welfare/centres/{{pk}}/sheet/{DAY.isoformat()}/"


def _sheet(world: World) -> str:
    return SHEET.format(pk=world.center.pk)


def test_the_sheet_lists_every_served_village_with_each_elder_set_to_delivered(
    client: Client, world: World, cast: Cast
) -> None:
    client.force_login(cast.li)
    page = client.get(_sheet(world)).content.decode()
    assert "四方社区" in page and "飞凤社区" in page
    for elder in world.sifang_elders + world.feifeng_elders:
        assert elder.name in page  # the centre's cadres deliver: they see the names
        assert f'name="o-{elder.village_id}-{elder.pk}" value="delivered" checked' in page
    assert page.count('value="胡师傅"') == 0  # no courier yet: nothing delivered before


def test_the_today_shortcut_opens_today_s_sheet(client: Client, world: World, cast: Cast) -> None:
    client.force_login(cast.li)
    response = client.get(f"/welfare/centres/{world.center.pk}/sheet/")
    assert response.status_code == 302
    assert response["Location"].endswith(f"/sheet/{timezone.localdate().isoformat()}/")


def test_one_submit_saves_the_whole_day(client: Client, world: World, cast: Cast) -> None:
    client.force_login(cast.li)
    response = client.post(_sheet(world), world.post_data())
    assert response.status_code == 302
    assert MealDelivery.objects.filter(day=DAY).count() == 2
    assert MealReceipt.objects.filter(outcome="delivered").count() == 5
    page = client.get(_sheet(world)).content.decode()
    assert 'id="sheet-saved"' in page and 'value="胡师傅"' in page


def test_a_sheet_with_one_bad_row_saves_nothing_and_says_which_row(client: Client, world: World, cast: Cast) -> None:
    client.force_login(cast.li)
    data = world.post_data(**{f"e{world.feifeng_elders[1].pk}": "gone"})
    response = client.post(_sheet(world), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "没有保存任何内容" in page
    assert "飞凤社区" in page and "徐土福" in page
    assert not MealDelivery.objects.exists() and not MealReceipt.objects.exists()


def test_a_saved_sheet_s_history_records_where_it_came_from(client: Client, world: World, cast: Cast) -> None:
    # The sheet is written in bulk, which sends no per-row signal: the address must still be kept.
    client.force_login(cast.li)
    response = client.post(_sheet(world), world.post_data(), REMOTE_ADDR="10.8.1.23")
    assert response.status_code in (200, 302)
    assert MealDelivery.history.exists() and MealReceipt.history.exists()
    assert set(MealDelivery.history.values_list("history_ip_address", flat=True)) == {"10.8.1.23"}
    assert set(MealReceipt.history.values_list("history_ip_address", flat=True)) == {"10.8.1.23"}


def test_a_sheet_without_a_time_says_which_village(client: Client, world: World, cast: Cast) -> None:
    client.force_login(cast.li)
    data = world.post_data()
    data[f"t-{world.feifeng.pk}"] = "ten-ish"
    response = client.post(_sheet(world), data)
    assert response.status_code == 400
    assert "飞凤社区" in response.content.decode()
    assert not MealDelivery.objects.exists()


def test_who_may_save_a_centre_s_sheet(client: Client, world: World, cast: Cast) -> None:
    # 王 sees the sheet (his village is served) but does not run the centre: 403. The auditor
    # and the system admin read no domain data: 403. The API client reads but never writes: 403.
    assert_form_role_matrix(
        cast,
        _sheet(world),
        {
            "anonymous": 302,
            "nobody": 403,
            "li": 302,
            "wang": 403,
            "zhao": 302,
            "admin": 302,
            "auditor": 403,
            "sysadmin": 403,
            "api": 403,
        },
        data=world.post_data(),
    )


def test_who_may_read_a_centre_s_sheet(world: World, cast: Cast) -> None:
    assert_role_matrix(
        cast,
        "GET",
        _sheet(world),
        {
            "anonymous": 302,
            "nobody": 403,
            "li": 200,
            "wang": 200,
            "zhao": 200,
            "admin": 200,
            "auditor": 403,
            "sysadmin": 403,
            "api": 200,
        },
    )


def test_a_cadre_of_another_centre_s_area_cannot_change_its_sheet(
    client: Client, world: World, cast: Cast, places: Places
) -> None:
    estate = add_area("feifeng-estate", "飞凤小区", Area.Level.HAMLET, places.feifeng)
    own = CareCenterFactory(name="飞凤小区照料中心", area=estate)
    ServedVillageFactory(center=own, village=places.feifeng)
    client.force_login(cast.wang)  # 王 runs 飞凤小区's centre, not 悦虹湾's
    assert client.post(SHEET.format(pk=own.pk), {"v": []}).status_code == 400  # his own: judged, not refused
    assert client.post(_sheet(world), world.post_data()).status_code == 403
    assert not MealDelivery.objects.filter(center=world.center).exists()


def test_a_cadre_who_cannot_see_the_centre_gets_404(client: Client, world: World, dong: User) -> None:
    client.force_login(dong)
    assert client.get(_sheet(world)).status_code == 404
    assert client.post(_sheet(world), world.post_data()).status_code == 404
    assert not MealDelivery.objects.exists()


def test_a_village_cadre_reading_the_sheet_sees_other_villages_names_masked(
    client: Client, world: World, cast: Cast
) -> None:
    client.force_login(cast.wang)
    page = client.get(_sheet(world)).content.decode()
    assert "胡凤珍" in page  # his own village
    assert "李秀英" not in page and "李*英" in page
    assert 'id="save-sheet"' not in page


def _villages(n: int, world: World, places: Places) -> None:
    for i in range(n):
        village = add_area(f"v{n}-{i}", f"测试村{n}-{i}", Area.Level.VILLAGE, places.zone)
        ServedVillageFactory(center=world.center, village=village)
        ElderFactory(village=village)
        ElderFactory(village=village, lives_alone=True)


def test_the_sheet_costs_the_same_for_3_villages_as_for_30(
    client: Client, world: World, cast: Cast, places: Places
) -> None:
    client.force_login(cast.li)
    _villages(1, world, places)  # 3 villages
    small = count_queries(lambda: client.get(_sheet(world)))
    _villages(27, world, places)  # 30 villages
    response = client.get(_sheet(world))
    assert response.content.decode().count('class="card sheet-village"') == 30
    large = count_queries(lambda: client.get(_sheet(world)))
    assert small == large == 14, (small, large)  # pinned (+1: the header's unread-notification count)


def test_saving_the_sheet_costs_the_same_for_3_villages_as_for_30(
    client: Client, world: World, cast: Cast, places: Places
) -> None:
    from welfare.selectors import day_sheet

    def post_all() -> dict[str, Any]:
        data: dict[str, Any] = {"v": []}
        for block in day_sheet(world.center, DAY, cast.li, True):
            vid = block.village.pk
            data["v"].append(str(vid))
            data.update({f"t-{vid}": "10:40", f"c-{vid}": "胡师傅"})
            data.update({f"o-{vid}-{row.elder.pk}": "not_home" for row in block.rows})
        return data

    client.force_login(cast.li)
    _villages(1, world, places)
    data = post_all()
    small = count_queries(lambda: client.post(_sheet(world), data))
    MealReceipt.objects.all().delete()
    MealDelivery.objects.all().delete()
    SafetyCheck.objects.all().delete()
    _villages(27, world, places)
    data = post_all()
    large = count_queries(lambda: client.post(_sheet(world), data))
    assert MealDelivery.objects.count() == 30
    # Pinned: 25 for the sheet, and 20 to keep the metric facts of the day's deliveries, receipts
    # and safety checks and their months in the same transaction (xicheng.facts), whatever the
    # number of villages: the two distinct metrics (villages served, days with a delivery)
    # recount their half-year.
    assert small == large == 45, (small, large)


def test_an_elder_living_alone_not_at_home_appears_on_the_village_cadre_s_my_work(
    client: Client, world: World, cast: Cast
) -> None:
    client.force_login(cast.li)
    client.post(_sheet(world), world.post_data(**{f"e{world.alone.pk}": "not_home"}))
    page = client.get("/my/").content.decode()
    assert 'id="welfare-safety-checks"' in page and "李秀英" in page
    client.force_login(cast.wang)
    assert "李秀英" not in client.get("/my/").content.decode()


def test_recording_the_follow_up_on_my_work_clears_the_check(client: Client, world: World, cast: Cast) -> None:
    day_sheet_save(
        center=world.center, day=DAY, villages=world.sheet(**{f"e{world.alone.pk}": "not_home"}), acting_user=cast.li
    )
    check = SafetyCheck.objects.get()
    client.force_login(cast.li)
    response = client.post(
        f"/welfare/safety-checks/{check.pk}/resolve/",
        {"finding": "上门见到老人，在菜地干活，平安。", "version": check.version},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "上门见到老人" in response.content.decode()
    check.refresh_from_db()
    assert not check.is_open
    assert 'id="welfare-safety-checks"' not in client.get("/my/").content.decode()


def test_who_may_record_a_follow_up(world: World, cast: Cast) -> None:
    day_sheet_save(
        center=world.center, day=DAY, villages=world.sheet(**{f"e{world.alone.pk}": "not_home"}), acting_user=cast.li
    )
    check = SafetyCheck.objects.get()
    assert_form_role_matrix(
        cast,
        f"/welfare/safety-checks/{check.pk}/resolve/",
        {
            "anonymous": 302,
            "nobody": 403,
            "li": 302,
            "wang": 404,
            "zhao": 302,
            "admin": 302,
            "auditor": 403,
            "sysadmin": 403,
            "api": 403,
        },
        data={"finding": "平安", "version": check.version},
    )


def test_the_leaders_list_shows_open_checks(client: Client, world: World, cast: Cast) -> None:
    day_sheet_save(
        center=world.center, day=DAY, villages=world.sheet(**{f"e{world.alone.pk}": "not_home"}), acting_user=cast.li
    )
    client.force_login(cast.zhao)
    page = client.get("/welfare/safety-checks/").content.decode()
    assert "李秀英" in page and "四方社区" in page


def test_an_elder_s_phone_is_masked_without_the_right(client: Client, world: World, cast: Cast) -> None:
    client.force_login(cast.li)
    page = client.get(f"/welfare/elders/{world.alone.pk}/").content.decode()
    assert "138****5678" in page and "13812345678" not in page
    assert "13987654321" not in page
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.VIEW_PERSONAL).exists()


def test_an_unmasked_view_is_logged(client: Client, world: World, cast: Cast) -> None:
    login(client, cast.admin)
    page = client.get(f"/welfare/elders/{world.alone.pk}/").content.decode()
    assert "13812345678" in page
    event = AuditEvent.objects.get(action=AuditEvent.Action.VIEW_PERSONAL)
    assert event.user == cast.admin and event.subject == f"welfare.elder:{world.alone.pk}"


def test_a_cadre_enrols_and_un_enrols_an_elder(client: Client, cast: Cast, places: Places) -> None:
    client.force_login(cast.li)
    response = client.post(
        "/welfare/elders/new/",
        {"name": "朱美菊", "village": places.sifang.pk, "birth_year": 1941, "enrolled_on": "2026-02-01"},
    )
    assert response.status_code == 302
    elder = Elder.objects.get(name="朱美菊")
    response = client.post(f"/welfare/elders/{elder.pk}/leave/", {"left_on": "2026-03-01", "version": elder.version})
    assert response.status_code == 302
    elder.refresh_from_db()
    assert str(elder.left_on) == "2026-03-01"


def test_a_cadre_cannot_enrol_in_another_village(client: Client, cast: Cast, places: Places) -> None:
    client.force_login(cast.li)
    response = client.post(
        "/welfare/elders/new/",
        {"name": "朱美菊", "village": places.feifeng.pk, "birth_year": 1941, "enrolled_on": "2026-02-01"},
    )
    assert response.status_code == 400


def test_who_may_un_enrol_an_elder(world: World, cast: Cast) -> None:
    assert_form_role_matrix(
        cast,
        f"/welfare/elders/{world.alone.pk}/leave/",
        {
            "anonymous": 302,
            "nobody": 403,
            "li": 302,
            "wang": 404,
            "zhao": 302,
            "admin": 302,
            "auditor": 403,
            "sysadmin": 403,
            "api": 403,
        },
        data={"left_on": "2026-03-01", "version": 1},
    )


# Pinned (as Zulip does): equal at two sizes proves a page flat; the number also catches one query more.
# The area filter is a search box (#13): no query for every area.
# Each page's header counts the unread notifications (督办): one query.
LIST_QUERIES = {
    "/welfare/elders/": 11,
    "/welfare/deliveries/": 11,
    "/welfare/safety-checks/?open=": 12,
    "/welfare/centres/": 10,
}


@pytest.mark.parametrize(
    "url", ["/welfare/elders/", "/welfare/deliveries/", "/welfare/safety-checks/?open=", "/welfare/centres/"]
)
def test_lists_cost_the_same_for_few_and_many_rows(
    client: Client, world: World, cast: Cast, places: Places, url: str
) -> None:
    client.force_login(cast.zhao)

    made: list[int] = []

    def grow(n: int) -> None:
        for _ in range(n):
            i = len(made)
            made.append(i)
            elder = ElderFactory(village=places.sifang, lives_alone=True)
            day = DAY.replace(day=1 + (i % 28), month=1 + i // 28)
            MealDelivery.objects.create(
                center=world.center, village=places.sifang, day=day, delivered_at=time(10), courier="胡"
            )
            SafetyCheck.objects.create(elder=elder, day=day, reason="not_home", raised_at=timezone.now())

    grow(3)
    small = count_queries(lambda: client.get(url))
    grow(40)
    large = count_queries(lambda: client.get(url))
    assert small == large == LIST_QUERIES[url], (small, large)


def test_the_data_admin_reads_and_exports_elders_in_the_admin(client: Client, world: World, cast: Cast) -> None:
    login(client, cast.admin)
    assert client.get("/admin/welfare/elder/").status_code == 200
    assert client.get(f"/admin/welfare/elder/{world.alone.pk}/change/").status_code == 200
    assert client.get("/admin/welfare/elder/import/").status_code == 200
    fields = ["id", "name", "village", "village_name", "phone", "dietary_needs"]
    response = client.post(
        "/admin/welfare/elder/export/",
        {"format": "0", "resource": "0", **{f"elderresource_{f}": "on" for f in fields}},
    )
    assert response.status_code == 200
    assert "attachment" in response.get("Content-Disposition", "")
    assert AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT, user=cast.admin).exists()
    for url in ("/admin/welfare/carecenter/", "/admin/welfare/mealdelivery/", "/admin/welfare/safetycheck/"):
        assert client.get(url).status_code == 200


def test_an_admin_import_with_a_bad_row_names_it_and_imports_nothing(client: Client, cast: Cast) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    csv = (
        "id,name,village,birth_year,lives_alone,phone,emergency_contact,dietary_needs,enrolled_on,left_on\n"
        ",吴月仙,sifang,1940,1,13800000001,,,2026-01-01,\n"
        ",楼法明,nowhere,1942,0,,,,2026-01-01,\n"
    ).encode()
    login(client, cast.admin)
    response = client.post(
        "/admin/welfare/elder/import/",
        {"resource": "0", "format": "0", "import_file": SimpleUploadedFile("elders.csv", csv, "text/csv")},
    )
    page = response.content.decode()
    assert response.status_code == 200
    text = " ".join(re.sub(r"<[^>]+>", " ", page).split())
    # The bad row, named by its number, its column (as the sheet heads it), its value and the reason.
    assert "2 村社 nowhere 区域“nowhere”不存在" in text
    assert 'name="confirm"' not in page and "process_import" not in page  # nothing to confirm
    assert not Elder.objects.exists()


def test_a_refused_sheet_keeps_what_the_courier_entered(client: Client, world: World, cast: Cast) -> None:
    client.force_login(cast.li)
    data = world.post_data(**{f"e{world.alone.pk}": "declined", f"e{world.feifeng_elders[1].pk}": "gone"})
    data[f"c-{world.sifang.pk}"] = "应师傅"
    page = client.post(_sheet(world), data).content.decode()
    assert 'value="应师傅"' in page
    assert f'name="o-{world.sifang.pk}-{world.alone.pk}" value="declined" checked' in page


def test_the_meals_list_costs_the_same_whatever_the_deliveries_and_lists_no_elder_to_pick(
    client: Client, world: World, cast: Cast
) -> None:
    from datetime import timedelta

    from tests.welfare.factories import MealDeliveryFactory

    def deliver(days: range) -> None:
        for n in days:
            delivery = MealDeliveryFactory(center=world.center, village=world.sifang, day=DAY - timedelta(days=n))
            for elder in world.sifang_elders:
                MealReceipt.objects.create(delivery=delivery, elder=elder, outcome=MealReceipt.Outcome.DELIVERED)

    client.force_login(cast.li)
    deliver(range(1, 3))
    small = count_queries(lambda: client.get("/welfare/meals/"))
    deliver(range(3, 40))
    page = client.get("/welfare/meals/")
    # pinned: a <select> of every delivery cost one query per delivery (3,642 at the demo's size)
    assert count_queries(lambda: client.get("/welfare/meals/")) == small
    content = page.content.decode()
    assert 'name="delivery"' in content and '<select name="delivery"' not in content
    assert "张桂兰" not in content  # no list of every elder's name to filter by
    # A link to one delivery's meals still works.
    one = MealReceipt.objects.filter(delivery__day=DAY - timedelta(days=5)).first()
    assert one is not None
    assert len(client.get(f"/welfare/meals/?delivery={one.delivery_id}").context["page"].object_list) == 3
