"""Welfare's reminders (xicheng.plugins.Reminder), handed to the kernel by WelfareConfig: a lone
elder nobody reached by the meal cut-off (an open safety check), to the cadres of the elder's
village and of the centres that deliver there, each day until someone reaches them. The elder's
name is masked: a reminder may go to a chat group."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from welfare.models import SafetyCheck, ServedVillage, served_on
from welfare.services import meal_cutoff
from xicheng.models import Area
from xicheng.personal import masked
from xicheng.plugins import Reminded, Reminder
from xicheng.registers import row_url
from xicheng.supervision.reminders import cadres_serving


def elders_not_reached(now: datetime) -> Iterator[Reminded]:
    now = timezone.localtime(now)
    if now.time() < meal_cutoff():
        return
    today = now.date()
    checks = list(
        SafetyCheck.objects.open().filter(day__lte=today).select_related("elder__village").order_by("day", "pk")
    )
    villages = {check.elder.village for check in checks}
    # The meal staff: the cadres of each centre that delivers to the village today.
    centres: dict[int, set[Area]] = defaultdict(set)
    for served in ServedVillage.objects.filter(served_on(today), village__in=villages).select_related("center__area"):
        centres[served.village_id].add(served.center.area)
    cadres = cadres_serving(villages | set().union(*centres.values()), from_level=Area.Level.VILLAGE)
    for check in checks:
        village = check.elder.village
        people = {cadre.pk: cadre for cadre in cadres[village.pk]}
        for area in centres[village.pk]:
            people.update({cadre.pk: cadre for cadre in cadres[area.pk]})
        for cadre in sorted(people.values(), key=lambda user: user.pk):
            yield Reminded(
                recipient=cadre,
                title=_("Lone elder not reached: %(name)s, %(village)s")
                % {"name": masked(check.elder, "name"), "village": village.name},
                body=_("%(reason)s (%(day)s). Visit or call, then record what you found.")
                % {"reason": check.get_reason_display(), "day": check.day.isoformat()},
                link=row_url("welfare:safety_check_list", check.pk, "safety-check"),
                key=f"safety_check:{check.pk}",
            )


REMINDERS = [
    Reminder(
        "welfare.elder_not_reached",
        gettext_lazy("A lone elder not reached by the meal cut-off"),
        "welfare.reminders.elders_not_reached",
        channels=("dingtalk", "wecom", "sms"),
    ),
]
