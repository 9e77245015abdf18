"""The livelihood API: scope, masking, the one-delivery rule, following up a safety check."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User

from tests.conftest import Cast, assert_role_matrix, count_queries, login
from tests.welfare.factories import DAY, ElderFactory, World
from welfare.models import MealDelivery, SafetyCheck
from welfare.services import day_sheet_save
from xicheng.models import AuditEvent

pytestmark = pytest.mark.django_db


def _delivery(world: World, village: Any = None) -> dict[str, Any]:
    village = village or world.sifang
    elders = world.sifang_elders if village == world.sifang else world.feifeng_elders
    return {
        "center": world.center.pk,
        "village": village.pk,
        "day": DAY.isoformat(),
        "delivered_at": "10:35",
        "courier": "胡师傅",
        "receipts": [{"elder": e.pk, "outcome": "delivered"} for e in elders],
    }


def test_who_may_record_a_delivery(world: World, cast: Cast) -> None:
    assert_role_matrix(
        cast,
        "POST",
        "/api/v1/meal-deliveries/",
        {
            "anonymous": 401,
            "nobody": 403,
            "li": 201,
            "wang": 403,
            "zhao": 201,
            "admin": 201,
            "auditor": 403,
            "sysadmin": 403,
            "api": 403,
        },
        data=_delivery(world),
        api=True,
    )


def test_a_second_delivery_for_the_same_centre_village_and_day_is_a_400(
    api_client: Any, world: World, cast: Cast
) -> None:
    api_client.force_login(cast.li)
    assert api_client.post("/api/v1/meal-deliveries/", _delivery(world), format="json").status_code == 201
    response = api_client.post("/api/v1/meal-deliveries/", _delivery(world), format="json")
    assert response.status_code == 400
    assert "不能重复登记" in str(response.json())
    assert MealDelivery.objects.count() == 1


def test_a_delivery_answers_with_its_meals(api_client: Any, world: World, cast: Cast) -> None:
    api_client.force_login(cast.li)
    body = api_client.post("/api/v1/meal-deliveries/", _delivery(world), format="json").json()
    assert body["meals_delivered"] == 3 and body["village_name"] == "四方社区"


def test_a_village_cadre_reads_his_village_s_deliveries_only(
    api_client: Any, world: World, cast: Cast, dong: User
) -> None:
    day_sheet_save(center=world.center, day=DAY, villages=world.sheet(), acting_user=cast.li)
    api_client.force_login(cast.wang)
    rows = api_client.get("/api/v1/meal-deliveries/").json()["results"]
    assert [r["village_name"] for r in rows] == ["飞凤社区"]
    api_client.force_login(dong)
    assert api_client.get("/api/v1/meal-deliveries/").json()["results"] == []


def test_elders_are_masked_in_the_api_without_the_right(api_client: Any, world: World, cast: Cast) -> None:
    api_client.force_login(cast.li)
    body = api_client.get(f"/api/v1/elders/{world.alone.pk}/").json()
    assert body["name"] == "李*英" and body["phone"] == "138****5678"
    assert "13987654321" not in body["emergency_contact"]
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.VIEW_PERSONAL).exists()


def test_an_unmasked_api_read_is_logged(api_client: Any, world: World, cast: Cast) -> None:
    login(api_client, cast.admin)
    body = api_client.get(f"/api/v1/elders/{world.alone.pk}/").json()
    assert body["phone"] == "13812345678"
    assert AuditEvent.objects.filter(action=AuditEvent.Action.VIEW_PERSONAL, user=cast.admin).exists()


def test_who_may_enrol_an_elder(world: World, cast: Cast) -> None:
    data = {"name": "朱美菊", "village": world.sifang.pk, "birth_year": 1941, "enrolled_on": "2026-02-01"}
    assert_role_matrix(
        cast,
        "POST",
        "/api/v1/elders/",
        {
            "anonymous": 401,
            "nobody": 403,
            "li": 201,
            "wang": 400,
            "zhao": 201,
            "admin": 201,
            "auditor": 403,
            "sysadmin": 403,
            "api": 403,
        },
        data=data,
        api=True,
    )


def test_who_may_follow_up_a_safety_check(world: World, cast: Cast) -> None:
    day_sheet_save(
        center=world.center, day=DAY, villages=world.sheet(**{f"e{world.alone.pk}": "not_home"}), acting_user=cast.li
    )
    check = SafetyCheck.objects.get()
    assert_role_matrix(
        cast,
        "POST",
        f"/api/v1/safety-checks/{check.pk}/resolve/",
        {
            "anonymous": 401,
            "nobody": 403,
            "li": 200,
            "wang": 404,
            "zhao": 200,
            "admin": 200,
            "auditor": 403,
            "sysadmin": 403,
            "api": 403,
        },
        data={"finding": "电话联系上，平安。", "version": check.version},
        api=True,
    )


def test_following_up_through_the_api_closes_the_check(api_client: Any, world: World, cast: Cast) -> None:
    day_sheet_save(
        center=world.center, day=DAY, villages=world.sheet(**{f"e{world.alone.pk}": "not_home"}), acting_user=cast.li
    )
    check = SafetyCheck.objects.get()
    api_client.force_login(cast.li)
    body = api_client.post(
        f"/api/v1/safety-checks/{check.pk}/resolve/", {"finding": "平安", "version": check.version}, format="json"
    ).json()
    assert body["open"] is False
    assert api_client.get("/api/v1/safety-checks/?open=true").json()["results"] == []


# Pinned (as Zulip does): equal at two sizes proves a page flat; the number also catches one query more.
API_QUERIES = {
    "/api/v1/elders/": 9,
    "/api/v1/meal-deliveries/": 8,
    "/api/v1/meal-receipts/": 8,
    "/api/v1/safety-checks/": 8,
    "/api/v1/care-centres/": 8,
    "/api/v1/served-villages/": 8,
}


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/elders/",
        "/api/v1/meal-deliveries/",
        "/api/v1/meal-receipts/",
        "/api/v1/safety-checks/",
        "/api/v1/care-centres/",
        "/api/v1/served-villages/",
    ],
)
def test_api_lists_cost_the_same_for_few_and_many_rows(api_client: Any, world: World, cast: Cast, url: str) -> None:
    api_client.force_login(cast.zhao)
    day_sheet_save(
        center=world.center, day=DAY, villages=world.sheet(**{f"e{world.alone.pk}": "not_home"}), acting_user=cast.li
    )
    small = count_queries(lambda: api_client.get(url))
    for _ in range(20):
        ElderFactory(village=world.sifang, lives_alone=True)
    day = DAY.replace(day=3)
    rows = world.sheet()
    rows[0].outcomes.update({e.pk: "not_home" for e in world.sifang.elders.filter(name__startswith="王秀")})
    day_sheet_save(center=world.center, day=day, villages=rows, acting_user=cast.li)
    large = count_queries(lambda: api_client.get(url))
    assert small == large == API_QUERIES[url], (small, large)
