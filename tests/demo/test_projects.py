"""After seed_demo, the Zhoutang project page shows its eleven squads and the API's funnel."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client

from projects.demo import ZHOUTANG
from projects.models import Household, Project
from xicheng.demo import DemoContext, seed

from .conftest import TODAY

pytestmark = pytest.mark.django_db


def test_the_zhoutang_page_shows_11_squads_and_the_apis_funnel(client: Client, demo: DemoContext) -> None:
    ctx = demo
    project = Project.objects.get(name=ZHOUTANG)
    client.force_login(ctx.users["zhao"])
    response = client.get(f"/projects/{project.pk}/?as_of={TODAY.isoformat()}")
    assert response.status_code == 200
    assert len(response.context["ranking"]) == 11
    assert response.content.decode().count('class="squad-row"') == 11
    funnel: Any = response.context["funnel"]
    api = client.get(f"/api/v1/projects/{project.pk}/?as_of={TODAY.isoformat()}").json()["funnel"]
    assert {k: getattr(funnel, k) for k in ("total", "evaluated", "signed", "vacated", "demolished")} == {
        k: api[k] for k in ("total", "evaluated", "signed", "vacated", "demolished")
    }
    assert 300 <= api["total"] == api["evaluated"] and 0 < api["signed"] < api["total"]
    # Evaluation was done within the campaign's first half-month.
    days = sorted(Household.objects.filter(project=project).values_list("evaluated_on", flat=True))
    assert (days[-1] - days[0]).days < 15


def test_the_demo_is_idempotent_and_puts_li_in_a_squad(client: Client, demo: DemoContext) -> None:
    counts = (Project.objects.count(), Household.objects.count())
    ctx = seed(today=TODAY, scale=1, out=io.StringIO())
    assert (Project.objects.count(), Household.objects.count()) == counts
    client.force_login(ctx.users["li"])
    assert "我的包户" in client.get("/my/").content.decode()


def test_the_leaders_dashboard_shows_the_projects_their_stage_bars_and_the_squad_ranking(
    client: Client, demo: DemoContext
) -> None:
    ctx = demo
    client.force_login(ctx.users["zhao"])
    response = client.get(f"/dashboard/?as_of={TODAY.isoformat()}")
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="section-key_projects"' in page and 'class="stage-bar"' in page
    assert 'id="section-squad_ranking"' in page and "第一攻坚小组" in page
    assert "胜利街区块 · 规划方案设计" in page  # its plan runs past the planned end: a red light
