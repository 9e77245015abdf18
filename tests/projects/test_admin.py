"""The admin: every model listed and searchable, the 1+1+N rule on the squad form."""

from __future__ import annotations

import pytest
from django.test import Client

from projects.models import Squad
from tests.conftest import Cast, login
from tests.projects.conftest import Site
from tests.projects.factories import InvestmentLeadFactory, MilestoneFactory, ProjectIssueFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", ["project", "milestone", "squad", "household", "projectissue", "investmentlead"])
def test_every_model_has_a_searchable_admin_list(client: Client, site: Site, cast: Cast, model: str) -> None:
    MilestoneFactory(project=site.project, name="签约")
    ProjectIssueFactory(project=site.project, owner=site.head)
    InvestmentLeadFactory(area=site.project.area, owner=cast.li)
    login(client, cast.admin)
    assert client.get(f"/admin/projects/{model}/?q=周").status_code == 200


def test_the_project_admin_shows_its_milestones_and_squads_inline(client: Client, site: Site, cast: Cast) -> None:
    MilestoneFactory(project=site.project, name="前期摸底调查")
    login(client, cast.admin)
    page = client.get(f"/admin/projects/project/{site.project.pk}/change/").content.decode()
    assert "前期摸底调查" in page and "第一攻坚小组" in page


def test_the_squad_form_refuses_the_leader_as_a_member(client: Client, site: Site, cast: Cast) -> None:
    login(client, cast.admin)
    response = client.post(
        "/admin/projects/squad/add/",
        {
            "project": site.project.pk,
            "name": "第二攻坚小组",
            "leader": cast.zhao.pk,
            "head": site.head.pk,
            "members": [cast.zhao.pk, cast.wang.pk],
        },
    )
    assert response.status_code == 200
    assert "牵头领导不能同时作为组员" in response.content.decode()
    assert not Squad.objects.filter(name="第二攻坚小组").exists()
