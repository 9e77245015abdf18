"""The cadre's pages, through the client: scope, one-tap steps, the inspection form."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from governance.models import Dispute, Hazard, Inspection, Migrant, ZeroReport
from tests.conftest import Cast, Places, assert_role_matrix
from tests.governance.factories import (
    DisputeFactory,
    HazardFactory,
    InspectionFactory,
    MigrantFactory,
    RentalHouseFactory,
    ZeroReportFactory,
    id_number,
    wrong_check_digit,
)

pytestmark = pytest.mark.django_db


def _inspection_post(**extra: Any) -> dict[str, Any]:
    data = {
        "inspected_on": "2026-11-20",
        "forces": ["grid", "police"],
        "note": "",
        "hazards-TOTAL_FORMS": "1",
        "hazards-INITIAL_FORMS": "0",
        "hazards-0-category": "fire",
        "hazards-0-description": "灭火器过期",
        "hazards-0-deadline": "2026-11-30",
        "migrants-TOTAL_FORMS": "3",
        "migrants-INITIAL_FORMS": "0",
        "migrants-0-name": "张三",
        "migrants-0-id_number": id_number(1),
        "migrants-1-name": "李四",
        "migrants-1-id_number": id_number(2),
        "migrants-2-name": "",
        "migrants-2-id_number": "",
    }
    data.update(extra)
    return data


def test_a_cadre_logs_an_inspection_with_hazards_and_migrants(client: Client, cast: Cast, sifang_house: Any) -> None:
    client.force_login(cast.li)
    response = client.post(f"/governance/houses/{sifang_house.pk}/inspect/", _inspection_post())
    assert response.status_code == 302
    inspection = Inspection.objects.get()
    assert (inspection.inspector, sorted(inspection.forces)) == (cast.li, ["grid", "police"])
    assert Hazard.objects.get().inspection == inspection
    assert Migrant.objects.count() == 2


def test_the_inspection_form_refuses_no_force_and_saves_nothing(client: Client, cast: Cast, sifang_house: Any) -> None:
    client.force_login(cast.li)
    response = client.post(f"/governance/houses/{sifang_house.pk}/inspect/", _inspection_post(forces=[]))
    assert response.status_code == 400
    assert "请至少勾选一支参与清查的力量" in response.content.decode()
    assert not Inspection.objects.exists() and not Migrant.objects.exists()


def test_the_inspection_form_refuses_a_wrong_id_check_digit(client: Client, cast: Cast, sifang_house: Any) -> None:
    client.force_login(cast.li)
    bad = wrong_check_digit(id_number(2))
    response = client.post(
        f"/governance/houses/{sifang_house.pk}/inspect/", _inspection_post(**{"migrants-1-id_number": bad})
    )
    page = response.content.decode()
    assert response.status_code == 400 and "校验位错误" in page
    assert not Inspection.objects.exists()


def test_the_inspection_form_refuses_a_deadline_before_the_found_date(
    client: Client, cast: Cast, sifang_house: Any
) -> None:
    client.force_login(cast.li)
    response = client.post(
        f"/governance/houses/{sifang_house.pk}/inspect/", _inspection_post(**{"hazards-0-deadline": "2026-11-01"})
    )
    assert response.status_code == 400 and "整改期限必须晚于" in response.content.decode()
    assert not Hazard.objects.exists()


def test_a_cadre_cannot_inspect_another_villages_house(client: Client, cast: Cast, feifeng_house: Any) -> None:
    client.force_login(cast.li)
    assert client.get(f"/governance/houses/{feifeng_house.pk}/inspect/").status_code == 404
    assert client.post(f"/governance/houses/{feifeng_house.pk}/inspect/", _inspection_post()).status_code == 404


def test_the_house_page_answers_each_role(cast: Cast, sifang_house: Any) -> None:
    url = f"/governance/houses/{sifang_house.pk}/"
    expected = {
        "anonymous": 302,
        "nobody": 403,
        "li": 200,
        "wang": 404,
        "zhao": 200,
        "admin": 200,
        "auditor": 403,
        "sysadmin": 403,
    }
    assert_role_matrix(cast, "get", url, {**expected, "api": 200})


def test_the_inspection_form_answers_each_role(cast: Cast, sifang_house: Any) -> None:
    url = f"/governance/houses/{sifang_house.pk}/inspect/"
    expected = {
        "anonymous": 302,
        "nobody": 403,
        "li": 200,
        "wang": 404,
        "zhao": 200,
        "admin": 200,
        "auditor": 403,
        "sysadmin": 403,
    }
    # The API client reads every house but writes nothing.
    assert_role_matrix(cast, "get", url, {**expected, "api": 403})


def test_the_rectify_step_answers_each_role(cast: Cast, places: Places) -> None:
    hazard = HazardFactory(area=places.sifang_grid)
    url = f"/governance/hazards/{hazard.pk}/rectify/"
    expected = {
        "anonymous": 302,
        "nobody": 403,
        "li": 302,
        "wang": 404,
        "zhao": 302,
        "admin": 302,
        "auditor": 403,
        "sysadmin": 403,
    }
    assert_role_matrix(cast, "post", url, {**expected, "api": 403}, data={"rectified_on": "2026-03-20"})


def test_a_cadre_sees_only_their_villages_records_in_lists(client: Client, cast: Cast, places: Places) -> None:
    sifang = RentalHouseFactory(area=places.sifang_grid, address="四方路8号")
    feifeng = RentalHouseFactory(area=places.feifeng_grid, address="飞凤路8号")
    HazardFactory(area=places.sifang_grid, house=sifang, description="四方的隐患")
    HazardFactory(area=places.feifeng_grid, house=feifeng, description="飞凤的隐患")
    DisputeFactory(area=places.sifang_grid, summary="四方的纠纷")
    DisputeFactory(area=places.feifeng_grid, summary="飞凤的纠纷")
    MigrantFactory(house=sifang, name="四方租客")
    MigrantFactory(house=feifeng, name="飞凤租客")
    client.force_login(cast.li)
    pages = "".join(
        client.get(f"/governance/{p}/").content.decode() for p in ("houses", "hazards", "disputes", "migrants")
    )
    assert all(s in pages for s in ("四方路8号", "四方的隐患", "四方的纠纷", "四方租客"))
    assert not any(s in pages for s in ("飞凤路8号", "飞凤的隐患", "飞凤的纠纷", "飞凤租客"))


def test_a_cadre_cannot_rectify_another_villages_hazard(client: Client, cast: Cast, places: Places) -> None:
    hazard = HazardFactory(area=places.feifeng_grid)
    client.force_login(cast.li)
    response = client.post(f"/governance/hazards/{hazard.pk}/rectify/", {"rectified_on": "2026-03-20"})
    assert response.status_code == 404
    hazard.refresh_from_db()
    assert hazard.rectified_on is None


def test_a_cadre_marks_a_hazard_rectified_in_one_tap(client: Client, cast: Cast, places: Places) -> None:
    hazard = HazardFactory(area=places.sifang_grid)
    client.force_login(cast.li)
    response = client.post(
        f"/governance/hazards/{hazard.pk}/rectify/",
        {"rectified_on": "2026-03-20", "version": hazard.version},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and "已整改" in response.content.decode()
    hazard.refresh_from_db()
    assert hazard.rectified_on == date(2026, 3, 20)


def test_a_cadre_moves_a_dispute(client: Client, cast: Cast, places: Places) -> None:
    dispute = DisputeFactory(area=places.sifang_grid)
    client.force_login(cast.li)
    client.post(
        f"/governance/disputes/{dispute.pk}/move/", {"to_status": "mediating", "on": "2026-03-11", "version": 1}
    )
    dispute.refresh_from_db()
    assert (dispute.status, dispute.mediating_on) == (Dispute.Status.MEDIATING, date(2026, 3, 11))


def test_a_cadre_cannot_move_another_villages_dispute(client: Client, cast: Cast, places: Places) -> None:
    dispute = DisputeFactory(area=places.feifeng_grid)
    client.force_login(cast.li)
    response = client.post(f"/governance/disputes/{dispute.pk}/move/", {"to_status": "mediating", "on": "2026-03-11"})
    assert response.status_code == 404


def test_the_lists_filter_by_category_status_and_overdue(client: Client, cast: Cast, places: Places) -> None:
    today = timezone.localdate()
    HazardFactory(
        area=places.sifang_grid,
        category="gas",
        description="燃气软管老化",
        found_on=today - timedelta(days=20),
        deadline=today - timedelta(days=5),
    )
    HazardFactory(
        area=places.sifang_grid,
        category="fire",
        description="灭火器过期",
        found_on=today - timedelta(days=2),
        deadline=today + timedelta(days=5),
    )
    DisputeFactory(area=places.sifang_grid, summary="已化解的纠纷", status="resolved", resolved_on=date(2026, 3, 12))
    DisputeFactory(area=places.sifang_grid, summary="刚受理的纠纷")
    DisputeFactory(
        area=places.sifang_grid,
        summary="年初的纠纷",
        status="resolved",
        received_on=date(2026, 1, 5),
        resolved_on=date(2026, 1, 9),
    )
    client.force_login(cast.zhao)
    overdue = client.get("/governance/hazards/?overdue=true").content.decode()
    assert "燃气软管老化" in overdue and "灭火器过期" not in overdue
    fire = client.get("/governance/hazards/?category=fire").content.decode()
    assert "灭火器过期" in fire and "燃气软管老化" not in fire
    resolved = client.get("/governance/disputes/?status=resolved&received_after=2026-03-01").content.decode()
    assert "已化解的纠纷" in resolved and "刚受理的纠纷" not in resolved and "年初的纠纷" not in resolved
    elsewhere = client.get(f"/governance/hazards/?area={places.feifeng.pk}").content.decode()
    assert "燃气软管老化" not in elsewhere


def test_my_work_offers_todays_zero_report_in_one_tap(client: Client, cast: Cast, places: Places) -> None:
    client.force_login(cast.li)
    page = client.get("/my/").content.decode()
    assert "报送今日零报告" in page and "四方社区" in page
    response = client.post("/governance/zero-reports/submit/", {"village": places.sifang.pk, "incidents": 0})
    assert response.status_code == 302
    report = ZeroReport.objects.get()
    assert (report.village, report.day, report.reported_by) == (places.sifang, timezone.localdate(), cast.li)
    assert "已报送" in client.get("/my/").content.decode()


def test_a_second_zero_report_from_my_work_is_refused_with_a_clear_message(
    client: Client, cast: Cast, places: Places
) -> None:
    ZeroReportFactory(village=places.sifang, day=timezone.localdate())
    client.force_login(cast.li)
    response = client.post(
        "/governance/zero-reports/submit/", {"village": places.sifang.pk, "incidents": 0}, follow=True
    )
    assert "的零报告已报送，不能重复报送" in response.content.decode()
    assert ZeroReport.objects.count() == 1


def test_a_cadre_cannot_send_another_villages_zero_report(client: Client, cast: Cast, places: Places) -> None:
    client.force_login(cast.li)
    response = client.post("/governance/zero-reports/submit/", {"village": places.feifeng.pk, "incidents": 0})
    assert response.status_code == 403 and not ZeroReport.objects.exists()


def test_leaders_see_todays_missing_zero_reports_by_village(client: Client, cast: Cast, places: Places) -> None:
    ZeroReportFactory(village=places.sifang, day=timezone.localdate())
    client.force_login(cast.zhao)
    page = client.get("/governance/zero-reports/missing/").content.decode()
    missing = page.split('id="missing-villages"')[1]
    assert "飞凤社区" in missing and "四方社区" not in missing


def test_my_work_lists_my_overdue_hazards(client: Client, cast: Cast, places: Places) -> None:
    today = timezone.localdate()
    HazardFactory(
        area=places.sifang_grid,
        description="楼道堆放杂物",
        found_on=today - timedelta(days=30),
        deadline=today - timedelta(days=3),
    )
    HazardFactory(
        area=places.feifeng_grid,
        description="飞凤的逾期隐患",
        found_on=today - timedelta(days=30),
        deadline=today - timedelta(days=3),
    )
    client.force_login(cast.li)
    page = client.get("/my/").content.decode()
    assert "楼道堆放杂物" in page and "飞凤的逾期隐患" not in page


def test_the_data_quality_page_lists_a_person_at_two_houses(client: Client, cast: Cast, places: Places) -> None:
    a, b = RentalHouseFactory(area=places.sifang_grid), RentalHouseFactory(area=places.sifang_grid)
    MigrantFactory(house=a, id_number=id_number(9), name="王重复")
    MigrantFactory(house=b, id_number=id_number(9), name="王重复")
    MigrantFactory(house=b, id_number=id_number(10), name="赵单一")
    client.force_login(cast.li)
    page = client.get("/governance/migrants/duplicates/").content.decode()
    assert page.count("王重复") == 2 and "赵单一" not in page


def test_the_governance_link_is_in_the_top_bar(client: Client, cast: Cast) -> None:
    client.force_login(cast.li)
    assert 'href="/governance/"' in client.get("/governance/").content.decode()


def test_the_rectify_step_never_redirects_off_site(client: Client, cast: Cast, places: Places) -> None:
    hazard = HazardFactory(area=places.sifang_grid)
    client.force_login(cast.li)
    response = client.post(
        f"/governance/hazards/{hazard.pk}/rectify/", {"rectified_on": "2026-03-20", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/governance/hazards/"


@pytest.mark.parametrize("url", ["/governance/inspections/", "/governance/hazards/"])
def test_a_list_decrypts_no_phone_it_does_not_show(
    client: Client, cast: Cast, places: Places, sifang_house: Any, url: str, decrypted: list[str]
) -> None:
    for _ in range(3):
        InspectionFactory(house=sifang_house, inspector=cast.wang)
        HazardFactory(house=sifang_house, area=places.sifang_grid)
    client.force_login(cast.li)
    page = client.get(url).content.decode()
    assert sifang_house.address in page
    # Only the signed-in cadre's own row (her name is in the top bar), whatever the rows listed.
    assert len(decrypted) == 1 and sifang_house.landlord_phone not in decrypted, decrypted
