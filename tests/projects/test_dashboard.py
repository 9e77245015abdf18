"""What key projects give the dashboard, the red-light list, *my work* and the metric registry."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from projects.dashboard import collect_alerts, key_projects, squad_ranking_section
from tests.conftest import Cast, Places, count_queries
from tests.projects.conftest import Site
from tests.projects.factories import HouseholdFactory, InvestmentLeadFactory, MilestoneFactory, ProjectIssueFactory
from xicheng import metrics
from xicheng.dashboard import alerts, nav, sections, workbench
from xicheng.periods import Period

pytestmark = pytest.mark.django_db

H2 = Period.half_year(2026, 2)


def test_the_app_registers_its_sections_alerts_panel_and_link() -> None:
    assert {"key_projects", "squad_ranking"} <= {s.key for s in sections}
    assert [s.order for s in sections if s.key in ("key_projects", "squad_ranking")] == [20, 30]
    assert "projects" in {a.key for a in alerts}
    assert "projects_my_households" in {p.key for p in workbench}
    assert "projects:project_list" in {link.url_name for link in nav}


def test_the_key_projects_section_counts_as_of_the_day(site: Site, places: Places, cast: Cast) -> None:
    MilestoneFactory(
        project=site.project, order=1, name="前期摸底调查", actual_start=date(2026, 1, 1), actual_end=date(2026, 2, 1)
    )
    MilestoneFactory(project=site.project, order=2, name="评估入户", planned_end=date(2026, 3, 1))
    HouseholdFactory(
        project=site.project,
        area=places.yuehongwan,
        status="signed",
        evaluated_on=date(2026, 4, 1),
        signed_on=date(2026, 9, 1),
    )
    data: Any = key_projects(cast.zhao, H2, date(2026, 8, 1))
    (table,) = data.tables
    assert table.rows == [["周塘区块旧城区改建", "旧城改造", "评估入户", 1, 2, 1, 2, 2, 0, 0, 0]]
    assert table.links[0].startswith(f"/projects/{site.project.pk}/")
    assert [s["state"] for s in data.extra["stage_bars"][0]["stages"]] == ["done", "overdue"]
    assert key_projects(site.zhou, H2, date(2026, 8, 1)) is None  # sees no project


def test_the_squad_ranking_section_ranks_by_signed_rate(site: Site, cast: Cast) -> None:
    data: Any = squad_ranking_section(cast.zhao, H2, date(2026, 8, 1))
    assert data.tables[0].rows[0][:3] == [1, "第一攻坚小组", "周塘区块旧城区改建"]


def test_alerts_list_overdue_stages_overdue_issues_and_stalled_households(site: Site, cast: Cast) -> None:
    MilestoneFactory(project=site.project, order=1, name="评估入户", planned_end=date(2026, 3, 1))
    ProjectIssueFactory(project=site.project, owner=site.head, title="转贷", due_on=date(2026, 6, 1))
    found = collect_alerts(cast.zhao, date(2026, 8, 1))
    assert [a.kind for a in found] == ["milestone_overdue", "project_issue_overdue", "household_stalled"]
    # As of a day when the household had just been evaluated, nothing is stalled yet.
    assert "household_stalled" not in {a.kind for a in collect_alerts(cast.zhao, date(2026, 4, 20))}
    assert collect_alerts(site.zhou, date(2026, 8, 1)) == []


def test_dashboard_callables_cost_the_same_whatever_the_data(site: Site, places: Places, cast: Cast) -> None:
    def run() -> None:
        key_projects(cast.zhao, H2, date(2026, 8, 1))
        squad_ranking_section(cast.zhao, H2, date(2026, 8, 1))
        collect_alerts(cast.zhao, date(2026, 8, 1))

    run()  # the user's permissions are read once
    small = count_queries(run)
    for _ in range(30):
        HouseholdFactory(project=site.project, squad=site.squad, area=places.yuehongwan, evaluated=True)
        MilestoneFactory(project=site.project, planned_end=date(2026, 3, 1))
    # pinned: one more query is a change to explain. 12 (was 8): a past day reads the project stages,
    # the overdue stages, overdue issues and stalled households as they stood (xicheng.asof), from
    # history and from rows without history: one more query each.
    assert count_queries(run) == small == 12


def test_the_metrics_count_from_their_dates(site: Site, places: Places, cast: Cast) -> None:
    keys = {m.key for m in metrics.registry if m.key.startswith("projects.")}
    assert keys == {
        "projects.households_evaluated",
        "projects.households_signed",
        "projects.households_vacated",
        "projects.households_demolished",
        "projects.milestones_completed",
        "projects.milestones_overdue",
        "projects.issues_resolved",
        "projects.leads_landed",
        "projects.leads_landed_amount",
    }
    InvestmentLeadFactory(
        area=places.sifang,
        owner=cast.li,
        stage="landed",
        signed_on=date(2026, 4, 1),
        landed_on=date(2026, 8, 10),
        amount=3000,
    )
    MilestoneFactory(project=site.project, order=1, planned_end=date(2026, 7, 15))
    year = Period.year(2026)
    value = metrics.value_for
    assert value(metrics.registry.get("projects.households_evaluated"), year, places.xicheng, date(2026, 4, 9)) == 0
    assert value(metrics.registry.get("projects.households_evaluated"), year, places.xicheng, date(2026, 4, 10)) == 1
    assert value(metrics.registry.get("projects.leads_landed_amount"), year, places.sifang, date(2026, 8, 31)) == 3000
    assert value(metrics.registry.get("projects.leads_landed"), year, places.sifang, date(2026, 8, 1)) == 0
    overdue = metrics.registry.get("projects.milestones_overdue")
    assert value(overdue, year, places.xicheng, date(2026, 7, 15)) == 0
    assert value(overdue, year, places.xicheng, date(2026, 7, 16)) == 1


def test_the_red_light_list_keeps_the_50_most_urgent(site: Site, places: Places, cast: Cast) -> None:
    MilestoneFactory(project=site.project, order=1, name="评估入户", planned_end=date(2026, 3, 1))
    for _ in range(60):
        HouseholdFactory(project=site.project, squad=site.squad, area=places.yuehongwan, evaluated=True)
    found = collect_alerts(cast.zhao, date(2026, 8, 1))
    assert len(found) == 50
    assert found[0].kind == "milestone_overdue"


def test_the_issue_list_filters_by_area_for_the_metric_links(
    client: Any, site: Site, places: Places, cast: Cast
) -> None:
    ProjectIssueFactory(project=site.project, owner=site.head, title="四方的问题")
    client.force_login(cast.zhao)
    assert "四方的问题" in client.get(f"/projects/issues/?area={places.sifang.pk}").content.decode()
    assert "四方的问题" not in client.get(f"/projects/issues/?area={places.feifeng.pk}").content.decode()


def test_the_stage_bars_escape_what_they_show() -> None:
    from projects.templatetags.stage_bars import stage_bars

    html = stage_bars(
        [
            {
                "project": "<b>周塘</b>",
                "url": "/projects/1/?a=1&b=2",
                "stages": [{"name": "征收<签约>", "state": "overdue", "planned_end": "2026-09-30"}],
            }
        ]
    )
    assert '<a href="/projects/1/?a=1&amp;b=2">&lt;b&gt;周塘&lt;/b&gt;</a>' in html
    assert '<li class="stage overdue" title="征收&lt;签约&gt; · 2026-09-30">征收&lt;签约&gt;</li>' in html
    assert stage_bars([]) == ""
