"""督办 on the leaders' dashboard: open cases by level (overdue, escalated), each owner's on-time
rate ranked (晾晒), and the escalated cases. A section of the kernel's dashboard registry, added by
this app's ready(); three queries whatever the number of cases, within the user's dashboard scope.
The big screen's panel of escalated cases is read from the section (its `extra`): no query.

Cases are read as they are today: a past day's dashboard has no 督办 section (cases keep no
dated facts to read a past day from)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from django.db.models import Count, F, Q
from django.db.models.signals import post_save
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xicheng.audit_trail import person_name
from xicheng.dashboard import ScreenPanel, Section, SectionData, Table
from xicheng.supervision.models import Case, CaseStep

if TYPE_CHECKING:
    from xicheng.figures import Figures
    from xicheng.periods import Period
    from xicheng.roles import AnyUser

ESCALATED_SHOWN = 20
# The big screen has room for this many escalated cases beside its red-light list.
SCREEN_SHOWN = 3
# The on-time rate's lights: at or above GREEN per cent is green, at or above YELLOW yellow, else red.
GREEN, YELLOW = 90, 70


def build(user: AnyUser, period: Period, as_of: date, figures: Figures) -> SectionData | None:
    if as_of < timezone.localdate():
        return None
    rows = Case.objects.on_dashboard_of(user)
    closed = Q(status=Case.Status.CLOSED)
    overdue = ~closed & Q(due_on__lt=as_of)
    escalated = ~closed & Q(escalation__gt=0)

    by_level = Table(
        key="cases_by_level",
        title=gettext_lazy("Open cases by level"),
        columns=[_("Level"), _("Open"), _("Overdue"), _("Escalated")],
    )
    counts = {
        row["level"]: row
        for row in rows.order_by()
        .values("level")
        .annotate(
            open=Count("pk", filter=~closed),
            overdue=Count("pk", filter=overdue),
            escalated=Count("pk", filter=escalated),
        )
    }
    totals = [0, 0, 0]
    for level, label in Case.Level.choices:
        found = counts.get(level, {})
        figures_ = [found.get("open", 0), found.get("overdue", 0), found.get("escalated", 0)]
        totals = [a + b for a, b in zip(totals, figures_, strict=True)]
        link = f"{reverse('supervision:case_list')}?mine=open&level={level}"
        by_level.add([str(label), *figures_], link=link, light="red" if figures_[2] else None)
    by_level.add([_("Total"), *totals], link=f"{reverse('supervision:case_list')}?mine=open")

    ranking = Table(
        key="cases_on_time",
        title=gettext_lazy("On time, by owner"),
        columns=[_("Owner"), _("Closed on time"), _("Closed late"), _("Open and overdue"), _("On-time rate (%)")],
        fold=5,
    )
    on_time = closed & Q(reported_at__date__lte=F("due_on"))
    people = (
        rows.order_by()
        .values("owner_id", "owner__cadre__name", "owner__username")
        .annotate(
            closed=Count("pk", filter=closed),
            on_time=Count("pk", filter=on_time),
            overdue=Count("pk", filter=overdue),
        )
    )
    ranked: list[tuple[float, list[Any]]] = []
    for person in people:
        judged = person["closed"] + person["overdue"]
        if not judged:
            continue
        rate = round(100 * person["on_time"] / judged, 1)
        name = person["owner__cadre__name"] or person["owner__username"]
        ranked.append((rate, [name, person["on_time"], person["closed"] - person["on_time"], person["overdue"], rate]))
    for rate, row in sorted(ranked, key=lambda item: (-item[0], -item[1][1], item[1][0])):
        ranking.add(row, light="green" if rate >= GREEN else "yellow" if rate >= YELLOW else "red")

    escalated_table = Table(
        key="cases_escalated",
        title=gettext_lazy("Escalated cases"),
        columns=[_("Case"), _("Owner"), _("Escalated to"), _("Due date")],
    )
    # The big screen's panel: the same cases, as a wall reads them (plain strings: kept in the cache).
    screen: list[dict[str, Any]] = []
    for case in (
        rows.filter(escalated)
        .select_related("owner__cadre")
        .defer("owner__cadre__phone")  # the owner's name, not her phone: not decrypted
        .order_by("-escalation", "due_on", "pk")[:ESCALATED_SHOWN]
    ):
        owner, rung = person_name(case.owner), str(Case.Rung(case.escalation).label)
        escalated_table.add(
            [case.title, owner, rung, case.due_on.isoformat()],
            link=reverse("supervision:case_detail", args=[case.pk]),
            light="red",
        )
        screen.append(
            {
                "title": case.title,
                "unit": case.owner_unit or owner,
                "rung": rung,
                "days_overdue": max((as_of - case.due_on).days, 0),
            }
        )
    return SectionData(
        tables=[by_level, ranking, escalated_table], extra={"escalated": screen, "escalated_total": totals[2]}
    )


# Its cases are told to the overview cache as writes to the work plan (below), which every part reads.
SECTION = Section(key="supervision", title=gettext_lazy("Supervision"), build=build, order=60, reads=())


def screen_panel(overview: Any) -> dict[str, Any] | None:
    """The big screen's escalated cases, from the overview's 督办 section; None when there are none
    (or the section is not shown: a past day)."""
    for section, data in overview.sections:
        if section.key == SECTION.key and data.extra.get("escalated"):
            return {"cases": data.extra["escalated"][:SCREEN_SHOWN], "total": data.extra["escalated_total"]}
    return None


SCREEN_PANEL = ScreenPanel(
    key="supervision_escalated", template="supervision/_screen_escalated.html", context=screen_panel, order=10
)


def _forget_todays_overviews(sender: Any, **kwargs: Any) -> None:
    """A case opened or moved changes today's 督办 section, which is cached with the overview: the
    overview cache watches the work plan's models, not this app's, so a case's write is told to it
    as one of the work plan's, dated today (past days show no 督办 section, so they stay cached)."""
    from xicheng import overview_cache
    from xicheng.models import Task

    overview_cache.written(Task, earliest=timezone.localdate())


def connect() -> None:
    """Register the section and keep its cache honest (from this app's ready())."""
    from xicheng import dashboard

    dashboard.sections.register(SECTION)
    dashboard.screen_panels.register(SCREEN_PANEL)
    for model in (Case, CaseStep):
        post_save.connect(
            _forget_todays_overviews, sender=model, dispatch_uid=f"supervision.dashboard.{model.__name__}"
        )
