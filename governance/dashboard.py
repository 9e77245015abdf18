"""What governance shows on *my work*, the leaders' dashboard, the red-light list and the top bar:
PANELS, SECTIONS, ALERTS and NAV, handed to the kernel through the app's DomainConfig."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db.models import Count
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from governance.models import Dispute, Hazard, ZeroReport, dispute_long_open_q, hazard_overdue_q
from governance.selectors import villages_missing_report, villages_reported_by, villages_visible_to
from xicheng import metrics
from xicheng.asof import rows_as_of
from xicheng.dashboard import (
    Alert,
    AlertSource,
    NavLink,
    Panel,
    Section,
    SectionData,
    Table,
)
from xicheng.figures import Figures, scope_paths
from xicheng.periods import Period
from xicheng.registers import row_url

MAX_ALERTS = 50
MAX_DISPUTE_ALERTS = 15
LONG_OPEN_DAYS = 30


# My work ----------------------------------------------------------------------------------------


def zero_report_panel(request: HttpRequest) -> dict[str, Any] | None:
    """Today's zero report, one tap per village the cadre reports for: two queries."""
    villages = list(villages_reported_by(request.user).order_by("path"))
    if not villages:
        return None
    today = timezone.localdate()
    sent = {r.village_id: r for r in ZeroReport.objects.filter(village__in=villages, day=today)}
    return {"villages": [(v, sent.get(v.pk)) for v in villages], "today": today}


def overdue_hazards_panel(request: HttpRequest) -> dict[str, Any] | None:
    """The hazards past their deadline that this user may rectify: two queries."""
    today = timezone.localdate()
    mine = Hazard.objects.changeable_by(request.user).overdue(today)
    hazards = list(mine.select_related("area", "house").order_by("deadline", "pk")[:10])
    if not hazards:
        return None
    return {"hazards": hazards, "count": mine.count(), "today": today}


def inspection_panel(request: HttpRequest) -> dict[str, Any] | None:
    """The way into an inspection (address search first), for those who log them: no query."""
    if not request.user.has_perm("governance.add_inspection"):
        return None
    return {"url": reverse("governance:inspection_start")}


PANELS = [
    Panel("governance_inspect", "governance/_workbench_inspect.html", inspection_panel, 10),
    Panel("governance_zero_report", "governance/_workbench_zero_report.html", zero_report_panel, 20),
    Panel("governance_overdue_hazards", "governance/_workbench_hazards.html", overdue_hazards_panel, 30),
]


# Leaders' dashboard: the village ranking --------------------------------------------------------

RANKING_METRICS = [
    "governance.rental_houses_inspected",
    "governance.migrants_registered",
    "governance.hazards_found",
    "governance.hazards_rectified",
    "governance.hazards_overdue",
    "governance.disputes_resolved",
]


RANKING_SHOWN = 5  # the page shows the top five and the bottom five; the rest fold


def village_ranking(user: Any, period: Period, as_of: date, figures: Figures | None = None) -> SectionData | None:
    """One row per village the user sees, ranked by houses inspected: a fixed number of queries,
    reading only the user's scope (xicheng.figures.scope_paths), none for a metric the targets
    have computed already."""
    villages = list(villages_visible_to(user).order_by("path"))
    if not villages:
        return None
    figures = figures if figures is not None else Figures(as_of)
    within = scope_paths(user, villages)
    figures.prefetch((metrics.registry.get(key), [period], within) for key in RANKING_METRICS)
    values: dict[str, dict[str, float]] = {
        key: figures.rolled(metrics.registry.get(key), [period], within)[period] for key in RANKING_METRICS
    }
    last = min(period.end, as_of)
    days = max((last - period.start).days + 1, 0)
    reports = dict(
        ZeroReport.objects.filter(village__in=villages, day__gte=period.start, day__lte=last)
        .values("village")
        .annotate(n=Count("pk"))
        .values_list("village", "n")
    )
    table = Table(
        key="village_ranking",
        title=_("Villages: grassroots governance"),
        columns=[
            _("Village"),
            _("Houses inspected"),
            _("Migrants registered"),
            _("Hazards found"),
            _("Hazards rectified"),
            _("Rectification rate (%)"),
            _("Hazards overdue"),
            _("Disputes resolved"),
            _("Zero reports missed"),
        ],
        fold=RANKING_SHOWN,
    )
    hazard_url = reverse("governance:hazard_list")
    for village in villages:
        v = {key: int(values[key].get(village.path, 0)) for key in RANKING_METRICS}
        found, rectified = v["governance.hazards_found"], v["governance.hazards_rectified"]
        rate = round(100 * rectified / found, 1) if found else 0.0
        missed = max(days - reports.get(village.pk, 0), 0)
        table.add(
            [
                village.name,
                v["governance.rental_houses_inspected"],
                v["governance.migrants_registered"],
                found,
                rectified,
                rate,
                v["governance.hazards_overdue"],
                v["governance.disputes_resolved"],
                missed,
            ],
            link=f"{hazard_url}?area={village.pk}",
        )
    table.sort(key=lambda row: (-row[1], row[0]))
    return SectionData(tables=[table])


SECTIONS = [
    Section(
        "village_ranking",
        _("Village ranking: grassroots governance"),
        village_ranking,
        order=40,
        reads=("governance",),
    )
]


# Red lights ---------------------------------------------------------------------------------------


def collect_alerts(user: Any, as_of: date) -> list[Alert]:
    """Villages missing today's report, long-open disputes and overdue hazards (most overdue
    first): at most 50, so hazards fill what the other two kinds leave. Three queries."""
    missing: list[Alert] = []
    if as_of == timezone.localdate():
        missing_url = reverse("governance:zero_report_missing")
        for village in villages_missing_report(user, as_of)[:MAX_ALERTS]:
            missing.append(
                Alert(
                    kind="zero_report_missing",
                    kind_label=_("Zero report missing"),
                    title=str(_("No zero report today")),
                    area=village.name,
                    due=as_of,
                    url=missing_url,
                    severity=1,
                )
            )
    # Disputes and hazards as they stood that day (xicheng.asof): one settled or rectified later was open then.
    disputes = rows_as_of(
        Dispute.objects.on_dashboard_of(user),
        as_of,
        where=dispute_long_open_q(as_of, LONG_OPEN_DAYS),
        related=("area",),
        order_by=("received_on",),
        key=lambda d: d.received_on,
        limit=MAX_DISPUTE_ALERTS,
    )
    long_open = [
        Alert(
            kind="dispute_long_open",
            kind_label=_("Dispute open for more than 30 days"),
            title=dispute.summary[:40],
            area=dispute.area.name,
            due=dispute.received_on + timedelta(days=LONG_OPEN_DAYS),
            url=row_url("governance:dispute_list", dispute.pk, "dispute"),
            severity=1,
        )
        for dispute in disputes
    ]
    room = max(MAX_ALERTS - len(missing) - len(long_open), 0)
    overdue = (
        rows_as_of(
            Hazard.objects.on_dashboard_of(user).defer("house__landlord_phone"),  # not shown: not decrypted
            as_of,
            where=hazard_overdue_q(as_of),
            related=("area", "house"),
            order_by=("deadline", "pk"),
            key=lambda h: (h.deadline, h.pk),
            limit=room,
        )
        if room
        else []
    )
    hazards = [
        Alert(
            kind="hazard_overdue",
            kind_label=_("Overdue hazard"),
            title=f"{hazard.get_category_display()} · {hazard.house or hazard.description or hazard.area}",
            area=hazard.area.name,
            due=hazard.deadline,
            url=row_url("governance:hazard_list", hazard.pk, "hazard"),
            severity=2 if (as_of - hazard.deadline).days > LONG_OPEN_DAYS else 1,
        )
        for hazard in overdue
    ]
    return (hazards + missing + long_open)[:MAX_ALERTS]


ALERTS = [AlertSource("governance", collect_alerts, reads=("governance",))]


# Top bar ----------------------------------------------------------------------------------------

NAV = [NavLink(_("Governance"), "governance:home", roles=frozenset({"cadre", "leader", "data_admin"}), order=40)]
