"""What key projects put on *my work*, the leaders' dashboard, the red-light list and the top bar."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from django.db.models import F
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from projects.models import Household, Milestone, Project, ProjectIssue, Squad
from projects.selectors import funnels_by_project, squad_ranking, stages_by_project
from projects.views import households_for_cards
from xicheng.asof import rows_as_of
from xicheng.dashboard import Alert, AlertSource, NavLink, Panel, Section, SectionData, Table
from xicheng.figures import Figures
from xicheng.periods import Period
from xicheng.registers import row_url
from xicheng.scope import changeable_ids

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from xicheng.roles import AuthenticatedHttpRequest

MY_HOUSEHOLDS_SHOWN = 50
ALERTS_SHOWN = 50
STALLED_DAYS = 30
RANKING_SHOWN = 5  # the page shows the top five squads and the bottom five; the rest fold


def my_households(request: AuthenticatedHttpRequest) -> dict[str, Any] | None:
    """我的工作台: households of the squads the user leads, heads or belongs to, not yet demolished."""
    user = request.user
    squads = Squad.objects.of_user(user)
    if not squads.exists():
        return None
    qs = (
        Household.objects.visible_to(user)
        .filter(squad__in=squads.values("pk"))
        .exclude(status=Household.Status.DEMOLISHED)
    )
    households = list(
        households_for_cards(qs).order_by(F("last_step_on").asc(nulls_first=True), "address", "pk")[
            :MY_HOUSEHOLDS_SHOWN
        ]
    )
    changeable = changeable_ids(user, Household, [h.pk for h in households])
    for household in households:
        household.may_change = household.pk in changeable  # type: ignore[attr-defined]  # for the card only
    return {
        "households": households,
        "total": qs.count(),
        # Owners' names stay masked here: *my work* is not a place to read personal data.
        "sees_personal": False,
    }


def _person(user: User) -> str:
    cadre = getattr(user, "cadre", None)
    return cadre.name if cadre else user.get_username()


def key_projects(user: Any, period: Period, as_of: date, figures: Figures | None = None) -> SectionData | None:
    projects = list(Project.objects.on_dashboard_of(user).select_related("area").order_by("planned_start", "name"))
    if not projects:
        return None
    stages = stages_by_project(projects, as_of)
    funnels = funnels_by_project(Household.objects.filter(project__in=[p.pk for p in projects]), as_of)
    table = Table(
        key="key_projects",
        title=_("Key projects"),
        columns=[
            _("Project"),
            _("Category"),
            _("Current stage"),
            _("Stages done"),
            _("Stages"),
            _("Overdue stages"),
            _("Households"),
            _("Evaluated"),
            _("Signed"),
            _("Vacated"),
            _("Demolished"),
        ],
    )
    bars: list[dict[str, Any]] = []
    for project in projects:
        stage = stages[project.pk]
        current = stage.current
        funnel = funnels.get(project.pk)
        counts = (
            funnel.as_dict() if funnel else dict.fromkeys(("total", "evaluated", "signed", "vacated", "demolished"), 0)
        )
        url = reverse("projects:project_detail", args=[project.pk]) + f"?as_of={as_of.isoformat()}"
        table.add(
            [
                project.name,
                str(project.get_category_display()),
                current.name if current else str(_("All stages done")),
                stage.done,
                stage.total,
                stage.overdue,
                counts["total"],
                counts["evaluated"],
                counts["signed"],
                counts["vacated"],
                counts["demolished"],
            ],
            link=url,
            light="red" if stage.overdue else ("done" if stage.total and stage.done == stage.total else None),
        )
        bars.append({"project": project.name, "url": url, "stages": stage.bar()})
    return SectionData(tables=[table], extra={"stage_bars": bars})


def squad_ranking_section(user: Any, period: Period, as_of: date, figures: Figures | None = None) -> SectionData | None:
    visible = Project.objects.on_dashboard_of(user).values("pk")
    ranking = squad_ranking(Squad.objects.filter(project__in=visible), Household.objects.all(), as_of)
    if not ranking:
        return None
    table = Table(
        key="squad_ranking",
        title=_("Squad ranking"),
        columns=[
            _("Rank"),
            _("Squad"),
            _("Project"),
            _("Leading leader"),
            _("Group head"),
            _("Households"),
            _("Evaluated"),
            _("Signed"),
            _("Vacated"),
            _("Demolished"),
            _("Signed rate (%)"),
        ],
        rows=[
            [
                item.rank,
                item.squad.name,
                item.squad.project.name,
                _person(item.squad.leader),
                _person(item.squad.head),
                item.funnel.total,
                item.funnel.evaluated,
                item.funnel.signed,
                item.funnel.vacated,
                item.funnel.demolished,
                item.signed_rate,
            ]
            for item in ranking
        ],
        links=[_squad_link(item.squad.pk) for item in ranking],
        fold=RANKING_SHOWN,
    )
    return SectionData(tables=[table])


def _squad_link(pk: int) -> str | None:
    return reverse("projects:household_list") + f"?squad={pk}"


def collect_alerts(user: Any, as_of: date) -> list[Alert]:
    """Overdue stages, overdue issues and stalled households: the most urgent first, at most 50."""
    found: list[Alert] = []
    # Each row is judged as it stood that day (xicheng.asof): a stage completed, an issue reopened or
    # a step entered later does not change what was red then.
    milestones = rows_as_of(
        Milestone.objects.on_dashboard_of(user),
        as_of,
        where=Milestone.overdue_q(as_of),
        related=("project__area",),
        order_by=("planned_end", "pk"),
        key=lambda m: (m.planned_end, m.pk),
        limit=ALERTS_SHOWN,
    )
    for m in milestones:
        found.append(
            Alert(
                kind="milestone_overdue",
                kind_label=_("Overdue project stage"),
                title=f"{m.project.name} · {m.name}",
                area=m.project.area.name,
                due=m.planned_end,
                url=reverse("projects:project_detail", args=[m.project_id]) + f"#milestone-{m.pk}",
                severity=2,
                record_id=m.pk,
            )
        )
    issues = rows_as_of(
        ProjectIssue.objects.on_dashboard_of(user),
        as_of,
        where=ProjectIssue.overdue_q(as_of),
        related=("project__area",),
        order_by=("due_on", "pk"),
        key=lambda issue: (issue.due_on, issue.pk),
        limit=ALERTS_SHOWN,
    )
    for issue in issues:
        found.append(
            Alert(
                kind="project_issue_overdue",
                kind_label=_("Overdue project issue"),
                title=f"{issue.project.name} · {issue.title}",
                area=issue.project.area.name,
                due=issue.due_on,
                url=row_url("projects:issue_list", issue.pk, "issue"),
                severity=2,
            )
        )
    stalled = rows_as_of(
        Household.objects.on_dashboard_of(user).defer("owner_phone"),  # not shown: not decrypted
        as_of,
        where=Household.stalled_q(as_of, STALLED_DAYS),
        related=("project", "area"),
        order_by=(F("last_step_on").asc(nulls_first=True), "pk"),
        key=lambda h: (h.last_step_on is not None, h.last_step_on or date.min, h.pk),
        limit=ALERTS_SHOWN,
    )
    for household in stalled:
        found.append(
            Alert(
                kind="household_stalled",
                kind_label=_("Stalled household"),
                title=f"{household.project.name} · {household.address}（{household.Status(household.status_as_of(as_of)).label}）",
                area=household.area.name,
                due=household.last_step_as_of(as_of),
                url=row_url("projects:household_list", household.pk, "household"),
                severity=1,
            )
        )
    found.sort(key=lambda a: (-a.severity, a.due or as_of))
    return found[:ALERTS_SHOWN]


# Handed to the kernel through the app's DomainConfig.
PANELS = [Panel(key="projects_my_households", template="projects/_my_households.html", context=my_households, order=20)]
SECTIONS = [
    Section(
        key="key_projects",
        title=_("Key projects"),
        build=key_projects,
        template="projects/_dashboard_key_projects.html",
        order=20,
        reads=("projects",),
    ),
    Section(key="squad_ranking", title=_("Squad ranking"), build=squad_ranking_section, order=30, reads=("projects",)),
]
ALERTS = [AlertSource(key="projects", collect=collect_alerts, reads=("projects",))]
NAV = [
    NavLink(
        label=_("Key projects"),
        url_name="projects:project_list",
        roles=frozenset({"cadre", "leader", "data_admin"}),
        order=20,
    )
]
