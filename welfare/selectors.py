"""Reads that take more than one query: the day sheet, names as each user may see them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from welfare.forms import SafetyCheckResolveForm
from welfare.models import CareCenter, Elder, MealDelivery, MealReceipt, SafetyCheck, ServedVillage, served_on
from xicheng.models import Area
from xicheng.personal import masked, may_see_personal_data
from xicheng.scope import changeable_ids, served_areas, writes_in_field


def name_shown_to(user: Any) -> Callable[[Elder, Area], str]:
    """How an elder's name reads on the cadre pages for this user.

    The people who deliver and follow up need the name: the cadres of the elder's village (and of
    any area above it) and those holding the personal-data right see it; everyone else sees a
    masked name (张*明). Pages showing a centre's sheet to its own cadres pass the centre's area,
    so the centre's cadres see the names of every village they deliver to."""
    if may_see_personal_data(user):
        return lambda elder, via: elder.name
    paths = [area.path for area in served_areas(user)] if writes_in_field(user) else []

    def shown(elder: Elder, via: Area) -> str:
        if any(via.path.startswith(p) for p in paths):
            return elder.name
        return masked(elder, "name")

    return shown


@dataclass
class SheetRow:
    elder: Elder
    name: str
    outcome: str


@dataclass
class SheetVillage:
    served: ServedVillage
    delivery: MealDelivery | None
    delivered_at: time | None
    courier: str
    note: str
    rows: list[SheetRow] = field(default_factory=list)

    @property
    def village(self) -> Area:
        return self.served.village

    @property
    def version(self) -> int | None:
        return self.delivery.version if self.delivery else None

    @property
    def delivered_count(self) -> int:
        return sum(1 for row in self.rows if row.outcome == MealReceipt.Outcome.DELIVERED)


def day_sheet(center: CareCenter, day: date, user: Any, may_change: bool) -> list[SheetVillage]:
    """Every village the centre serves on the day, each enrolled elder with the saved outcome or
    "delivered", the saved time and courier or the last courier and the time now. Four queries."""
    last_courier = (
        MealDelivery.objects.filter(center=center, village=OuterRef("village"), day__lte=day)
        .order_by("-day")
        .values("courier")[:1]
    )
    served = list(
        ServedVillage.objects.filter(served_on(day), center=center)
        .select_related("village")
        .annotate(last_courier=Subquery(last_courier))
        .order_by("village__path")
    )
    village_ids = [sv.village_id for sv in served]
    elders: dict[int, list[Elder]] = defaultdict(list)
    for elder in Elder.objects.enrolled(day).filter(village_id__in=village_ids).order_by("name", "pk"):
        elders[elder.village_id].append(elder)
    deliveries = {d.village_id: d for d in MealDelivery.objects.filter(center=center, day=day)}
    outcomes = {
        (r.delivery_id, r.elder_id): r.outcome
        for r in MealReceipt.objects.filter(delivery__center=center, delivery__day=day).only(
            "delivery_id", "elder_id", "outcome"
        )
    }
    shown = name_shown_to(user)
    now = timezone.localtime().time().replace(second=0, microsecond=0)
    default_time = now if day == timezone.localdate() else time(10, 30)
    result = []
    for sv in served:
        delivery = deliveries.get(sv.village_id)
        block = SheetVillage(
            served=sv,
            delivery=delivery,
            delivered_at=delivery.delivered_at if delivery else default_time,
            courier=delivery.courier if delivery else (sv.last_courier or ""),
            note=delivery.note if delivery else "",
        )
        via = center.area if may_change else sv.village
        for elder in elders.get(sv.village_id, []):
            outcome = outcomes.get((delivery.pk, elder.pk)) if delivery else None
            block.rows.append(
                SheetRow(elder=elder, name=shown(elder, via), outcome=outcome or MealReceipt.Outcome.DELIVERED)
            )
        result.append(block)
    return result


def safety_check_cards(user: Any, checks: list[SafetyCheck], *, all_changeable: bool = False) -> list[dict[str, Any]]:
    """What a safety check card needs, on the list and on *my work* alike. Whether the user may
    follow each one up costs one query for all, none when the caller took them from the user's
    `changeable_by` already (`all_changeable`)."""
    shown = name_shown_to(user)
    if all_changeable:
        changeable = {check.pk for check in checks}
    else:
        changeable = changeable_ids(user, SafetyCheck, [check.pk for check in checks])
    may = user.has_perm("welfare.change_safetycheck")
    return [
        {
            "check": check,
            "name": shown(check.elder, check.elder.village),
            "may_resolve": may and check.pk in changeable and check.is_open,
            "form": SafetyCheckResolveForm(initial={"version": check.version}),
        }
        for check in checks
    ]
