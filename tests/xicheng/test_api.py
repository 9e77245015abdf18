from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from knox.models import AuthToken

from tests.conftest import Cast, Places
from tests.factories import IndicatorFactory, ManualReadingFactory, TargetFactory

pytestmark = pytest.mark.django_db


def test_a_target_carries_the_progress_contract(api_client: Any, cast: Cast, places: Places) -> None:
    target = TargetFactory(area=places.xicheng, value=1000)
    ManualReadingFactory(indicator=target.indicator, area=places.sifang, on=date(2026, 7, 20), value=300)
    ManualReadingFactory(indicator=target.indicator, area=places.feifeng_grid, on=date(2026, 8, 20), value=150)
    ManualReadingFactory(
        indicator=target.indicator, area=places.feifeng, on=date(2026, 10, 20), value=999
    )  # after as_of
    ManualReadingFactory(indicator=target.indicator, area=places.dongcheng, on=date(2026, 8, 1), value=500)  # elsewhere
    api_client.force_login(cast.zhao)
    body = api_client.get(f"/api/v1/targets/{target.pk}/?as_of=2026-09-30").json()
    assert {k: body[k] for k in ("actual", "target", "percent", "expected", "light")} == {
        "actual": 450,
        "target": 1000,
        "percent": 45.0,
        "expected": 500.0,
        "light": "yellow",
    }
    listed = api_client.get("/api/v1/targets/?as_of=2026-09-30").json()["results"]
    assert [(t["actual"], t["light"]) for t in listed] == [(450, "yellow")]


def test_a_bad_as_of_is_a_clear_400(api_client: Any, cast: Cast) -> None:
    api_client.force_login(cast.zhao)
    response = api_client.get("/api/v1/targets/?as_of=yesterday")
    assert response.status_code == 400
    assert "YYYY-MM-DD" in str(response.json()["as_of"])


def test_token_keys_are_stored_hashed_and_authenticate(api_client: Any, cast: Cast) -> None:
    instance, key = AuthToken.objects.create(user=cast.api)
    assert key not in instance.digest and len(instance.digest) == 128
    assert api_client.get("/api/v1/areas/").status_code == 401
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api_client.get("/api/v1/areas/").status_code == 200
    api_client.credentials(HTTP_AUTHORIZATION="Token " + "0" * len(key))
    assert api_client.get("/api/v1/areas/").status_code == 401


def test_areas_can_be_listed_by_subtree(api_client: Any, cast: Cast, places: Places) -> None:
    api_client.force_login(cast.li)
    names = [a["name"] for a in api_client.get(f"/api/v1/areas/?within={places.sifang.pk}").json()["results"]]
    assert names == ["四方社区", "四方社区第1网格", "悦虹湾小区"] or sorted(names) == sorted(
        ["四方社区", "四方社区第1网格", "悦虹湾小区"]
    )
    sifang = api_client.get(f"/api/v1/areas/{places.sifang.pk}/").json()
    assert sifang["parent"] == places.zone.pk


def test_indicators_are_filtered_by_work_line(api_client: Any, cast: Cast) -> None:
    first = IndicatorFactory(name="新增市场主体")
    api_client.force_login(cast.api)
    rows = api_client.get(f"/api/v1/indicators/?work_line={first.work_line_id}").json()["results"]
    assert [r["name"] for r in rows] == ["新增市场主体"]


def test_the_schema_is_valid_openapi_3(cast: Cast, tmp_path: Any) -> None:
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert out.read_text().startswith("openapi: 3")


def test_the_schema_needs_a_role(client: Client, cast: Cast) -> None:
    assert client.get("/api/schema/").status_code in (401, 403)
    client.force_login(cast.api)
    assert client.get("/api/schema/").status_code == 200


def test_the_api_docs_load_every_asset_from_this_server(client: Client, cast: Cast) -> None:
    client.force_login(cast.zhao)
    page = client.get("/api/docs/").content.decode()
    import re

    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert assets, page[:500]
    assert all(not a.startswith(("http://", "https://", "//")) for a in assets), assets
    for asset in assets:
        if asset.startswith("/static/"):
            assert client.get(asset).status_code == 200, asset


def test_a_broken_rule_answers_400_with_the_message(api_client: Any, cast: Cast, places: Places) -> None:
    from tests.factories import TaskFactory

    task = TaskFactory(area=places.sifang, lead_leader=cast.zhao, responsible=cast.li)
    api_client.force_login(cast.li)
    response = api_client.post(f"/api/v1/tasks/{task.pk}/updates/", {"note": "   ", "status": "done"})
    assert response.status_code == 400
