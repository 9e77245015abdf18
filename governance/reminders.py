"""Governance's reminders (xicheng.plugins.Reminder), handed to the kernel by GovernanceConfig: a
village's zero report not in by ZERO_REPORT_DEADLINE, to the cadres who send it; a hazard past its
deadline, to the cadres of its village, each day until it is rectified."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from governance.models import Hazard, ZeroReport
from xicheng.models import Area
from xicheng.plugins import Reminded, Reminder
from xicheng.registers import row_url
from xicheng.supervision.reminders import cadres_serving


def zero_reports_missing(now: datetime) -> Iterator[Reminded]:
    """From the deadline on (10:00), each village without today's report: to the cadres who send
    it (`villages_reported_by`'s: of the village, within it, or of its zone)."""
    now = timezone.localtime(now)
    if now.time() < settings.ZERO_REPORT_DEADLINE:
        return
    today = now.date()
    sent = ZeroReport.objects.filter(day=today).values("village_id")
    villages = list(Area.objects.filter(level=Area.Level.VILLAGE).exclude(pk__in=sent).order_by("path"))
    cadres = cadres_serving(villages, from_level=Area.Level.ZONE)
    link = reverse("governance:zero_report_missing")
    deadline = settings.ZERO_REPORT_DEADLINE.strftime("%H:%M")
    for village in villages:
        for cadre in cadres[village.pk]:
            yield Reminded(
                recipient=cadre,
                title=_("No zero report yet today: %(village)s") % {"village": village.name},
                body=_("The daily zero report was due by %(time)s; send it even if nothing happened.")
                % {"time": deadline},
                link=link,
                key=f"village:{village.pk}",
            )


def hazards_overdue(now: datetime) -> Iterator[Reminded]:
    """Each hazard past its deadline and not rectified: to the cadres of its area and its village."""
    today = timezone.localdate(now)
    hazards = list(Hazard.objects.overdue(today).select_related("area").order_by("deadline", "pk"))
    cadres = cadres_serving({hazard.area for hazard in hazards}, from_level=Area.Level.VILLAGE)
    for hazard in hazards:
        what = hazard.description or hazard.area.name
        for cadre in cadres[hazard.area_id]:
            yield Reminded(
                recipient=cadre,
                title=_("Hazard past its deadline: %(category)s · %(what)s")
                % {"category": hazard.get_category_display(), "what": what},
                body=_("To be rectified by %(day)s · %(area)s")
                % {"day": hazard.deadline.isoformat(), "area": hazard.area.name},
                link=row_url("governance:hazard_list", hazard.pk, "hazard"),
                key=f"hazard:{hazard.pk}",
            )


REMINDERS = [
    Reminder(
        "governance.zero_report_missing",
        gettext_lazy("My village's zero report not sent by the deadline"),
        "governance.reminders.zero_reports_missing",
    ),
    Reminder(
        "governance.hazard_overdue",
        gettext_lazy("A hazard in my area past its deadline"),
        "governance.reminders.hazards_overdue",
    ),
]
