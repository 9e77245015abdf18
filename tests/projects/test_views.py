"""The cadre pages: project page, household list with its one-tap next step, my work, issues."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from projects.models import Household
from tests.conftest import Cast, Places, assert_role_matrix, login
from tests.projects.conftest import Site
from tests.projects.factories import HouseholdFactory, MilestoneFactory, ProjectIssueFactory, SquadFactory
from xicheng.models import AuditEvent

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def _next_step(site: Site) -> str:
    return f"/projects/households/{site.household.pk}/next-step/"


def test_a_squad_member_moves_a_household_one_step_with_one_tap(client: Client, site: Site, cast: Cast) -> None:
    client.force_login(cast.wang)  # 王 serves 飞凤社区: he reaches the household through his squad
    response = client.post(_next_step(site), {"version": 1}, **HX)
    assert response.status_code == 200
    page = response.content.decode()
    assert f'id="household-{site.household.pk}"' in page and "已登记：已签约" in page
    assert "下一步：已腾空" in page
    site.household.refresh_from_db()
    assert (site.household.status, site.household.signed_on) == ("signed", timezone.localdate())


def test_a_stale_next_step_shows_the_message_and_changes_nothing(client: Client, site: Site, cast: Cast) -> None:
    client.force_login(cast.wang)
    client.post(_next_step(site), {"version": 1}, **HX)
    client.force_login(cast.li)
    response = client.post(_next_step(site), {"version": 1}, **HX)
    assert "该征迁户已被他人修改" in response.content.decode()
    site.household.refresh_from_db()
    assert (site.household.status, site.household.version) == ("signed", 2)


def test_a_leader_outside_the_squads_and_areas_gets_403_changing_a_household(client: Client, site: Site) -> None:
    client.force_login(site.qian)  # 钱 serves 东城街道: reads everything, changes none of this
    assert client.get(f"/projects/households/?project={site.project.pk}").status_code == 200
    assert client.post(_next_step(site), {"version": 1}, **HX).status_code == 403
    site.household.refresh_from_db()
    assert site.household.status == "evaluated"


def test_a_cadre_of_another_village_gets_404(client: Client, site: Site) -> None:
    client.force_login(site.zhou)
    assert client.post(_next_step(site), {"version": 1}, **HX).status_code == 404
    assert client.get(f"/projects/{site.project.pk}/").status_code == 404


def test_who_may_take_the_next_step(cast: Cast, site: Site) -> None:
    expected = {
        "anonymous": 302,
        "nobody": 403,
        "li": 302,  # the household is in her area
        "wang": 302,  # a member of its squad
        "zhao": 302,  # the squad's leader
        "admin": 302,
        "auditor": 403,
        "sysadmin": 403,  # reads no domain data: refused
        "api": 403,  # reads, never writes
    }
    got = {}
    for role in expected:
        with transaction.atomic():
            client = Client()
            if cast[role] is not None:
                login(client, cast[role])
            got[role] = client.post(_next_step(site), {"version": 1}).status_code
            transaction.set_rollback(True)
    assert got == expected


def test_who_may_advance_through_the_api(cast: Cast, site: Site) -> None:
    assert_role_matrix(
        cast,
        "post",
        f"/api/v1/households/{site.household.pk}/advance/",
        {
            "anonymous": 401,
            "nobody": 403,
            "li": 200,
            "wang": 200,
            "zhao": 200,
            "admin": 200,
            "auditor": 403,
            "sysadmin": 403,
            "api": 403,
        },
        data={"version": 1},
        api=True,
    )


def test_the_household_list_filters_by_squad_status_problem_and_area(
    client: Client, site: Site, places: Places, cast: Cast
) -> None:
    other: Any = SquadFactory(
        project=site.project, name="第二攻坚小组", leader=cast.zhao, head=site.head, members=[cast.li]
    )
    HouseholdFactory(project=site.project, squad=other, area=places.yuehongwan, address="问题户1号", problem_loan=True)
    HouseholdFactory(project=site.project, squad=other, area=places.sifang_grid, address="网格户2号")
    client.force_login(cast.zhao)

    def addresses(query: str) -> set[str]:
        response = client.get(f"/projects/households/?{query}")
        assert response.status_code == 200
        return {h.address for h in response.context["households"]}

    assert addresses(f"squad={site.squad.pk}") == {site.household.address}
    assert addresses("status=new") == {"问题户1号", "网格户2号"}
    assert addresses("problem=loan") == {"问题户1号"}
    assert addresses(f"area={places.sifang_grid.pk}") == {"网格户2号"}


def test_the_household_list_masks_owners_for_cadres(client: Client, site: Site, cast: Cast) -> None:
    client.force_login(cast.li)
    page = client.get("/projects/households/").content.decode()
    assert "应*华" in page and "应建华" not in page
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.VIEW_PERSONAL).exists()


def test_the_project_page_shows_stages_funnel_ranking_and_issues(
    client: Client, site: Site, places: Places, cast: Cast
) -> None:
    MilestoneFactory(
        project=site.project, order=1, name="前期摸底调查", actual_start=date(2026, 1, 1), actual_end=date(2026, 2, 1)
    )
    MilestoneFactory(project=site.project, order=2, name="评估入户", planned_end=date(2026, 3, 1))
    HouseholdFactory(project=site.project, squad=site.squad, area=places.yuehongwan)
    ProjectIssueFactory(project=site.project, owner=site.head, title="继承房屋未析产")
    client.force_login(cast.wang)
    response = client.get(f"/projects/{site.project.pk}/?as_of=2026-06-30")
    page = response.content.decode()
    assert response.status_code == 200
    assert "前期摸底调查" in page and "当前阶段" in page and "1 个阶段逾期" in page
    funnel = response.context["funnel"]
    assert (funnel.total, funnel.evaluated, funnel.signed) == (2, 1, 0)
    assert [row.squad.name for row in response.context["ranking"]] == ["第一攻坚小组"]
    assert "继承房屋未析产" in page


def test_my_work_shows_my_squads_households_with_the_next_step(client: Client, site: Site, cast: Cast) -> None:
    HouseholdFactory(
        project=site.project,
        squad=site.squad,
        area=site.project.area,
        address="已拆除户",
        status=Household.Status.DEMOLISHED,
        evaluated_on=date(2026, 4, 1),
        signed_on=date(2026, 4, 2),
        vacated_on=date(2026, 4, 3),
        demolished_on=date(2026, 4, 4),
    )
    client.force_login(cast.wang)
    page = client.get("/my/").content.decode()
    assert "我的包户" in page
    assert site.household.address in page and "下一步：已签约" in page
    assert "已拆除户" not in page
    client.force_login(cast.li)  # in no squad
    assert "我的包户" not in client.get("/my/").content.decode()


def test_the_issue_list_changes_an_issue_status(client: Client, site: Site, cast: Cast) -> None:
    issue: Any = ProjectIssueFactory(project=site.project, owner=site.head, title="抵押贷款需转贷")
    client.force_login(site.head)
    page = client.get("/projects/issues/").content.decode()
    assert "抵押贷款需转贷" in page and "问需" in page
    response = client.post(f"/projects/issues/{issue.pk}/status/", {"status": "running", "version": 1}, **HX)
    assert "状态已保存" in response.content.decode()
    issue.refresh_from_db()
    assert issue.status == "running"
    response = client.post(f"/projects/issues/{issue.pk}/status/", {"status": "resolved", "version": 2}, **HX)
    assert "请填写问题的解决情况" in response.content.decode()


def test_the_project_and_lead_lists_render(client: Client, site: Site, cast: Cast) -> None:
    client.force_login(cast.li)
    assert "周塘区块旧城区改建" in client.get("/projects/").content.decode()
    assert client.get("/projects/leads/").status_code == 200


def test_without_htmx_a_stale_next_step_comes_back_as_a_message(client: Client, site: Site, cast: Cast) -> None:
    client.force_login(cast.wang)
    client.post(_next_step(site), {"version": 1})
    response = client.post(_next_step(site), {"version": 1}, follow=True)
    assert "该征迁户已被他人修改" in response.content.decode()
    site.household.refresh_from_db()
    assert site.household.version == 2


def test_the_household_list_sorts_house_numbers_naturally(
    client: Client, site: Site, places: Places, cast: Cast
) -> None:
    for address in ("旧城10区19号", "旧城10区1号", "旧城2区5号", "旧城10区2号"):
        HouseholdFactory(project=site.project, squad=site.squad, area=places.yuehongwan, address=address)
    client.force_login(cast.zhao)
    households = client.get(f"/projects/households/?project={site.project.pk}").context["households"]
    ours = [h.address for h in households if h.address.startswith("旧城")]
    assert ours == ["旧城2区5号", "旧城10区1号", "旧城10区2号", "旧城10区19号"]
