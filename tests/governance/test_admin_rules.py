"""The governance admin obeys the services: rectify is an action that writes history and bumps the
version; migrants are registered through migrant_register; a sent zero report keeps its day."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from governance.models import Dispute, Hazard, Migrant, ZeroReport
from tests.conftest import Cast, Places, login
from tests.governance.factories import DisputeFactory, HazardFactory, ZeroReportFactory, id_number
from xicheng import clock
from xicheng.personal import blind_index

pytestmark = pytest.mark.django_db


def test_an_admin_action_rectify_writes_history_and_bumps_the_version(
    client: Client, cast: Cast, places: Places
) -> None:
    hazard: Any = HazardFactory(area=places.sifang)
    done: Any = HazardFactory(area=places.sifang, description="已整改的", rectified_on=hazard.found_on)
    login(client, cast.admin)
    response = client.post(
        "/admin/governance/hazard/",
        {"action": "rectify_today", "_selected_action": [hazard.pk]},
        follow=True,
    )
    assert "1 处隐患已标记为整改" in response.content.decode()
    hazard.refresh_from_db()
    assert (hazard.rectified_on, hazard.version) == (clock.today(), 2)
    latest = hazard.history.latest()
    assert (latest.rectified_on, latest.history_user, latest.version) == (clock.today(), cast.admin, 2)
    assert hazard.history.count() == 2
    # The change form shows the day, and offers no way around the service.
    page = client.get(f"/admin/governance/hazard/{done.pk}/change/").content.decode()
    assert 'name="rectified_on"' not in page


def test_the_admin_dispute_form_has_no_status_to_jump(client: Client, cast: Cast, places: Places) -> None:
    dispute: Any = DisputeFactory(area=places.sifang)
    login(client, cast.admin)
    page = client.get(f"/admin/governance/dispute/{dispute.pk}/change/").content.decode()
    assert 'name="status"' not in page and 'name="resolved_on"' not in page
    assert Dispute.objects.get().status == "received"


def _migrant_form(house: Any, **changes: Any) -> dict[str, Any]:
    data = {
        "house": house.pk,
        "name": "张三",
        "id_number": id_number(7).lower(),
        "phone": "13812345678",
        "origin": "贵州凯里",
        "registered_on": "2026-03-10",
        "left_on": "",
    }
    data.update(changes)
    return data


def test_the_migrant_admin_registers_through_the_service(client: Client, cast: Cast, sifang_house: Any) -> None:
    login(client, cast.admin)
    response = client.post("/admin/governance/migrant/add/", _migrant_form(sifang_house))
    assert response.status_code == 302
    migrant = Migrant.objects.get()
    assert migrant.id_number == id_number(7).upper()
    assert migrant.id_number_index == blind_index(id_number(7))
    # The same person again at the same house is the service's duplicate, said on the form.
    again = client.post("/admin/governance/migrant/add/", _migrant_form(sifang_house))
    assert again.status_code == 200 and "已在该出租房登记" in again.content.decode()
    assert Migrant.objects.count() == 1


def test_the_migrant_admin_refuses_a_bad_phone_and_a_future_registration(
    client: Client, cast: Cast, sifang_house: Any
) -> None:
    login(client, cast.admin)
    response = client.post(
        "/admin/governance/migrant/add/", _migrant_form(sifang_house, phone="abc", registered_on="2099-01-01")
    )
    page = response.content.decode()
    assert response.status_code == 200 and "手机号" in page and "晚于今天" in page
    assert not Migrant.objects.exists()


def test_a_migrant_corrected_in_the_admin_keeps_a_true_search_index(
    client: Client, cast: Cast, sifang_house: Any
) -> None:
    login(client, cast.admin)
    client.post("/admin/governance/migrant/add/", _migrant_form(sifang_house))
    migrant = Migrant.objects.get()
    response = client.post(
        f"/admin/governance/migrant/{migrant.pk}/change/", _migrant_form(sifang_house, id_number=id_number(8))
    )
    assert response.status_code == 302
    migrant.refresh_from_db()
    assert migrant.id_number_index == blind_index(id_number(8))
    assert migrant.history.latest().history_user == cast.admin


def test_a_sent_zero_report_keeps_its_day_and_village_in_the_admin(client: Client, cast: Cast, places: Places) -> None:
    report: Any = ZeroReportFactory(village=places.sifang)
    login(client, cast.admin)
    page = client.get(f"/admin/governance/zeroreport/{report.pk}/change/").content.decode()
    assert 'name="day"' not in page and 'name="village"' not in page
    refused = client.post(
        "/admin/governance/zeroreport/add/", {"village": places.feifeng.pk, "day": "2025-01-01", "incidents": 0}
    )
    assert refused.status_code == 200 and "今天或昨天" in refused.content.decode()
    assert ZeroReport.objects.count() == 1


def test_rectifying_an_already_rectified_hazard_again_in_the_admin_is_refused_with_the_row_named(
    client: Client, cast: Cast, places: Places
) -> None:
    hazard: Any = HazardFactory(area=places.sifang, rectified_on=clock.today(), description="楼道堆物")
    login(client, cast.admin)
    response = client.post(
        "/admin/governance/hazard/", {"action": "rectify_today", "_selected_action": [hazard.pk]}, follow=True
    )
    assert "楼道堆物" in response.content.decode() and "整改" in response.content.decode()
    hazard.refresh_from_db()
    assert hazard.version == 1 and Hazard.objects.count() == 1
