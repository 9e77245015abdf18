"""ID numbers and phones: whole only for users with the right, and every such view logged."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from rest_framework.test import APIClient

from governance.models import Migrant
from tests.conftest import Cast, Places, login
from tests.governance.factories import MigrantFactory, RentalHouseFactory, id_number
from xicheng.models import AuditEvent

pytestmark = pytest.mark.django_db

NUMBER = id_number(123)
PHONE = "13598765432"


@pytest.fixture
def migrant(places: Places) -> Migrant:
    house = RentalHouseFactory(area=places.sifang_grid, landlord_phone="13911112222")
    m: Any = MigrantFactory(house=house, id_number=NUMBER, phone=PHONE, name="张外来")
    return m


def _with_the_right(user: User) -> User:
    user.user_permissions.add(Permission.objects.get(codename="view_personal_data"))
    return User.objects.get(pk=user.pk)


def _pages(client: Client, migrant: Migrant) -> str:
    return "".join(
        client.get(url).content.decode()
        for url in (
            "/governance/migrants/",
            f"/governance/houses/{migrant.house_id}/",
            "/governance/migrants/duplicates/",
        )
    )


def test_no_page_shows_a_whole_id_number_or_phone_to_a_leader(client: Client, cast: Cast, migrant: Migrant) -> None:
    client.force_login(cast.zhao)
    pages = _pages(client, migrant)
    assert "张外来" in pages
    assert NUMBER not in pages and PHONE not in pages and "13911112222" not in pages
    assert f"{NUMBER[:6]}********{NUMBER[-4:]}" in pages and "135****5432" in pages
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.VIEW_PERSONAL).exists()


def test_a_user_with_the_right_sees_them_and_the_view_is_logged(client: Client, cast: Cast, migrant: Migrant) -> None:
    zhao = _with_the_right(cast.zhao)
    client.force_login(zhao)
    page = client.get("/governance/migrants/").content.decode()
    assert NUMBER in page and PHONE in page
    event = AuditEvent.objects.get(action=AuditEvent.Action.VIEW_PERSONAL)
    assert event.user == zhao and NUMBER not in event.subject


def test_a_landlords_whole_phone_is_a_logged_read_even_on_a_house_without_migrants(
    client: Client, cast: Cast, places: Places
) -> None:
    house = RentalHouseFactory(area=places.sifang_grid, landlord_phone="13911112222")
    client.force_login(_with_the_right(cast.zhao))
    assert "13911112222" in client.get(f"/governance/houses/{house.pk}/").content.decode()
    event = AuditEvent.objects.get(action=AuditEvent.Action.VIEW_PERSONAL)
    assert event.subject == f"rental house {house.pk} migrants"


def test_no_api_response_shows_a_whole_id_number_or_phone_without_the_right(
    api_client: APIClient, cast: Cast, migrant: Migrant
) -> None:
    for user in (cast.zhao, cast.api, cast.li):
        api_client.force_login(user)
        body = "".join(
            api_client.get(url).content.decode()
            for url in (
                "/api/v1/migrants/",
                f"/api/v1/migrants/{migrant.pk}/",
                f"/api/v1/rental-houses/{migrant.house_id}/",
            )
        )
        body += api_client.post("/api/v1/migrants/search/", {"id_number": NUMBER}, format="json").content.decode()
        assert "张外来" in body
        assert NUMBER not in body and PHONE not in body and "13911112222" not in body, user


def test_the_api_shows_them_to_a_user_with_the_right_and_logs_it(
    api_client: APIClient, cast: Cast, migrant: Migrant
) -> None:
    api_client.force_login(_with_the_right(cast.zhao))
    body = api_client.get(f"/api/v1/migrants/{migrant.pk}/").json()
    assert (body["id_number"], body["phone"]) == (NUMBER, PHONE)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.VIEW_PERSONAL).count() == 1


def test_the_migrant_list_finds_a_person_by_exact_id_number_posted(
    client: Client, cast: Cast, migrant: Migrant
) -> None:
    MigrantFactory(house=migrant.house, name="李别人")
    client.force_login(cast.li)
    page = client.post("/governance/migrants/", {"id_number": NUMBER.lower()}).content.decode()
    assert "张外来" in page and "李别人" not in page
    # The number is not echoed back, not even in the search box.
    assert NUMBER not in page and NUMBER.lower() not in page


def test_the_api_search_finds_by_exact_id_number_within_scope(
    api_client: APIClient, cast: Cast, migrant: Migrant
) -> None:
    api_client.force_login(cast.wang)  # 飞凤社区: the migrant lives in 四方社区
    assert api_client.post("/api/v1/migrants/search/", {"id_number": NUMBER}, format="json").json() == []
    api_client.force_login(cast.li)
    found = api_client.post("/api/v1/migrants/search/", {"id_number": NUMBER}, format="json").json()
    assert [m["name"] for m in found] == ["张外来"]


def test_the_id_number_never_reaches_the_logs(client: Client, cast: Cast, migrant: Migrant, caplog: Any) -> None:
    client.force_login(cast.li)
    with caplog.at_level("DEBUG"):
        client.post("/governance/migrants/", {"id_number": NUMBER})
        client.post(
            f"/governance/houses/{migrant.house_id}/inspect/",
            {
                "inspected_on": "2026-11-20",
                "forces": [],
                "hazards-TOTAL_FORMS": "0",
                "hazards-INITIAL_FORMS": "0",
                "migrants-TOTAL_FORMS": "1",
                "migrants-INITIAL_FORMS": "0",
                "migrants-0-name": "错号",
                "migrants-0-id_number": NUMBER[:-1] + ("0" if NUMBER[-1] != "0" else "1"),
            },
        )
    assert NUMBER[:17] not in caplog.text


def test_the_admin_export_masks_id_numbers_and_logs_the_export(client: Client, cast: Cast, places: Places) -> None:
    from governance.resources import MigrantResource

    house = RentalHouseFactory(area=places.sifang_grid)
    MigrantFactory(house=house, id_number=NUMBER, phone=PHONE)
    data = MigrantResource(user=cast.zhao).export(queryset=Migrant.objects.all())
    text = data.csv
    assert NUMBER not in text and PHONE not in text and f"{NUMBER[:6]}********{NUMBER[-4:]}" in text


def _body(response: Any) -> str:
    """A small export downloads at once, as a file."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode("utf-8", "ignore")


def test_the_admin_export_is_masked_for_a_data_admin_without_the_right(
    client: Client, cast: Cast, places: Places
) -> None:
    house = RentalHouseFactory(area=places.sifang_grid)
    MigrantFactory(house=house, id_number=NUMBER, phone=PHONE)
    admin = cast.admin
    admin.user_permissions.clear()
    group = admin.groups.get()
    group.permissions.remove(Permission.objects.get(codename="view_personal_data"))
    login(client, User.objects.get(pk=admin.pk))
    response = client.post("/admin/governance/migrant/export/", {"format": "0", "resource": "0", **_all_fields()})
    body = _body(response)
    assert response.status_code == 200, body[:500]
    assert NUMBER not in body and PHONE not in body
    assert AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.VIEW_PERSONAL).exists()


def test_the_admin_export_shows_whole_numbers_to_a_data_admin_with_the_right_and_logs_it(
    client: Client, cast: Cast, places: Places
) -> None:
    house = RentalHouseFactory(area=places.sifang_grid)
    MigrantFactory(house=house, id_number=NUMBER, phone=PHONE)
    login(client, cast.admin)
    body = _body(client.post("/admin/governance/migrant/export/", {"format": "0", "resource": "0", **_all_fields()}))
    assert NUMBER in body
    assert AuditEvent.objects.filter(action=AuditEvent.Action.VIEW_PERSONAL, user=cast.admin).exists()


def _all_fields() -> dict[str, str]:
    fields = ["id", "house", "name", "id_number", "phone", "origin", "registered_on", "left_on"]
    return {f"migrantresource_{name}": "on" for name in fields}
