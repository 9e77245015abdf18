"""Projects' reminders (xicheng.plugins.Reminder), handed to the kernel by ProjectsConfig: a stage
of a running project that slips — past its planned end and not finished, or past its planned start
and not begun (so it will end late) — to the project's lead leader and its squads' group heads,
each day until it moves."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime

from django.contrib.auth.models import User
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from projects.models import Milestone, Project, Squad
from xicheng.plugins import Reminded, Reminder

RUNNING = (Project.Status.PLANNING, Project.Status.IN_PROGRESS)


def milestones_slipping(now: datetime) -> Iterator[Reminded]:
    today = timezone.localdate(now)
    late_start = Q(planned_start__lt=today, actual_start__isnull=True, actual_end__isnull=True)
    milestones = list(
        Milestone.objects.filter(project__status__in=RUNNING)
        .filter(Milestone.overdue_q(today) | late_start)
        .select_related("project__lead_leader__cadre")
        .order_by("planned_end", "pk")
    )
    heads: dict[int, list[User]] = defaultdict(list)
    squads = Squad.objects.filter(project__in={m.project_id for m in milestones}).select_related("head__cadre")
    for squad in squads.order_by("pk"):
        heads[squad.project_id].append(squad.head)
    for milestone in milestones:
        project = milestone.project
        if milestone.planned_end < today:
            title = _("Stage overdue: %(project)s · %(stage)s")
            body = _("Planned to end on %(day)s.") % {"day": milestone.planned_end.isoformat()}
        else:
            title = _("Stage not started on time: %(project)s · %(stage)s")
            body = _("Planned to start on %(day)s and end on %(end)s.") % {
                "day": milestone.planned_start.isoformat(),
                "end": milestone.planned_end.isoformat(),
            }
        people = {user.pk: user for user in [project.lead_leader, *heads[project.pk]] if user.is_active}
        for person in people.values():
            yield Reminded(
                recipient=person,
                title=title % {"project": project.name, "stage": milestone.name},
                body=body,
                link=reverse("projects:project_detail", args=[project.pk]) + f"#milestone-{milestone.pk}",
                key=f"milestone:{milestone.pk}",
            )


REMINDERS = [
    Reminder(
        "projects.milestone_slipping",
        gettext_lazy("A stage of my project slipping"),
        "projects.reminders.milestones_slipping",
    ),
]
