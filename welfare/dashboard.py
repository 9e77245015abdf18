"""What the livelihood domain puts on *my work*, the leaders' dashboard, the red-light list and the top bar."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Count, Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from welfare.models import (
    CareCenter,
    Elder,
    MealDelivery,
    MealReceipt,
    SafetyCheck,
    ServedVillage,
    check_open_on,
    enrolled_on,
    meal_on_time,
)
from welfare.selectors import name_shown_to, safety_check_cards
from xicheng import metrics
from xicheng.asof import counts_as_of, rows_as_of
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
from xicheng.roles import Role, roles_of

OPEN_CHECKS_SHOWN = 50


def safety_checks_panel(request: HttpRequest) -> dict[str, Any] | None:
    """The open safety checks of the elders in the cadre's own villages: two queries."""
    user = request.user
    if Role.CADRE not in roles_of(user):
        return None
    checks = list(
        SafetyCheck.objects.changeable_by(user).open().select_related("elder__village").order_by("day", "pk")[:100]
    )
    if not checks:
        return None
    return {"cards": safety_check_cards(user, checks, all_changeable=True)}


def sheets_panel(request: HttpRequest) -> dict[str, Any] | None:
    """A link to today's sheet for the cadres who run a centre's deliveries."""
    user = request.user
    if Role.CADRE not in roles_of(user) or not user.has_perm("welfare.add_mealdelivery"):
        return None
    centers = list(CareCenter.objects.changeable_by(user).order_by("name"))
    return {"centers": centers} if centers else None


def meal_service(user: Any, period: Period, as_of: date, figures: Figures | None = None) -> SectionData | None:
    """One row per served village the user can see: four grouped queries whatever the size, one
    more for the meals when the targets have not counted them already (xicheng.figures), and one
    more when a village is served by two centres (the meals split between them)."""
    last = min(period.end, as_of)
    if last < period.start:
        return None
    served = list(
        ServedVillage.objects.on_dashboard_of(user)
        .filter(Q(since__lte=last) & (Q(until__isnull=True) | Q(until__gte=period.start)))
        .select_related("village", "center")
        .order_by("village__path", "center__name")
    )
    if not served:
        return None
    figures = figures if figures is not None else Figures(as_of)
    ids = {sv.village_id for sv in served}
    in_period = Q(day__gte=period.start, day__lte=last)
    # Who was enrolled and which checks were open, as they stood that day (xicheng.asof).
    enrolled = counts_as_of(
        Elder.objects.all(), as_of, "village_id", narrow=lambda qs: qs.filter(enrolled_on(as_of), village_id__in=ids)
    )
    # The meals delivered, by village (where the deliveries point): the registered metric, which
    # the targets have most often counted already for the same period and scope.
    villages = [sv.village for sv in served]
    meals_by_village = figures.by_area(
        metrics.registry.get("welfare.meals_delivered"), [period], scope_paths(user, villages)
    )[period]
    centres_of: dict[int, int] = {}
    for sv in served:
        centres_of[sv.village_id] = centres_of.get(sv.village_id, 0) + 1
    meals = {(sv.center_id, sv.village_id): int(meals_by_village.get(sv.village_id, 0)) for sv in served}
    shared = [village for village, n in centres_of.items() if n > 1]
    if shared:
        # A village two centres serve: its meals split by the centre that delivered them.
        for key in [k for k in meals if k[1] in shared]:
            meals[key] = 0
        meals.update(
            {
                (row["delivery__center_id"], row["delivery__village_id"]): row["n"]
                for row in MealReceipt.objects.filter(
                    delivery__village_id__in=shared,
                    delivery__day__gte=period.start,
                    delivery__day__lte=last,
                    outcome=MealReceipt.Outcome.DELIVERED,
                )
                .values("delivery__center_id", "delivery__village_id")
                .annotate(n=Count("pk"))
                .order_by()
            }
        )
    deliveries = {
        (row["center_id"], row["village_id"]): row
        for row in MealDelivery.objects.filter(in_period, village_id__in=ids)
        .values("center_id", "village_id")
        .annotate(
            days=Count("day", distinct=True),
            total=Count("pk"),
            on_time=Count("pk", filter=Q(delivered_at__lte=meal_on_time())),
        )
        .order_by()
    }
    open_checks = counts_as_of(
        SafetyCheck.objects.all(),
        as_of,
        "elder__village_id",
        narrow=lambda qs: qs.filter(check_open_on(as_of), elder__village_id__in=ids),
    )
    table = Table(
        key="meal_service",
        title=_("Meal service by village"),
        columns=[
            _("Village"),
            _("Care centre"),
            _("Elders enrolled"),
            _("Meals delivered"),
            _("Delivery days"),
            _("On time (%)"),
            _("Open safety checks"),
        ],
    )
    list_url = reverse("welfare:delivery_list")
    for sv in served:
        d = deliveries.get((sv.center_id, sv.village_id), {})
        total = d.get("total", 0)
        share = round(100 * d.get("on_time", 0) / total, 1) if total else 0.0
        checks = open_checks.get(sv.village_id, 0)
        table.add(
            [
                sv.village.name,
                sv.center.name,
                enrolled.get(sv.village_id, 0),
                meals.get((sv.center_id, sv.village_id), 0),
                d.get("days", 0),
                share,
                checks,
            ],
            link=f"{list_url}?area={sv.village_id}&day_from={period.start}&day_to={last}",
            light="red" if checks else ("green" if share >= 90 else "yellow") if total else None,
        )
    return SectionData(tables=[table])


def safety_check_alerts(user: Any, as_of: date) -> list[Alert]:
    """Open safety checks, oldest first: at most fifty, in one query."""
    # As they stood that day (xicheng.asof): a check resolved later was open then.
    checks = rows_as_of(
        # The elder's name is shown (masked or whole), her phones are not: not decrypted.
        SafetyCheck.objects.on_dashboard_of(user).defer("elder__phone", "elder__emergency_contact"),
        as_of,
        where=check_open_on(as_of),
        related=("elder__village",),
        order_by=("day", "pk"),
        key=lambda c: (c.day, c.pk),
        limit=OPEN_CHECKS_SHOWN,
    )
    shown = name_shown_to(user)
    return [
        Alert(
            kind="safety_check",
            kind_label=_("Safety check"),
            title=f"{shown(check.elder, check.elder.village)}：{check.get_reason_display()}",
            area=check.elder.village.name,
            due=check.day,
            url=row_url("welfare:safety_check_list", check.pk, "safety-check"),
            severity=2,
        )
        for check in checks
    ]


FIELD_ROLES = frozenset({Role.CADRE.value, Role.LEADER.value, Role.DATA_ADMIN.value})

# Handed to the kernel through the app's DomainConfig.
PANELS = [
    Panel(
        key="welfare_safety_checks", template="welfare/_panel_safety_checks.html", context=safety_checks_panel, order=10
    ),
    Panel(key="welfare_sheets", template="welfare/_panel_sheets.html", context=sheets_panel, order=11),
]
SECTIONS = [Section(key="meal_service", title=_("Meal service"), build=meal_service, order=50, reads=("welfare",))]
ALERTS = [AlertSource(key="welfare", collect=safety_check_alerts, reads=("welfare",))]
NAV = [
    NavLink(label=_("Meals"), url_name="welfare:center_list", roles=FIELD_ROLES, order=50),
    NavLink(label=_("Safety checks"), url_name="welfare:safety_check_list", roles=FIELD_ROLES, order=51),
]
