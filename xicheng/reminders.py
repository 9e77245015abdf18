"""The kernel's own reminders (xicheng.plugins.Reminder), sent by xicheng.supervision.reminders:
a task's responsible cadre hears of it three days before its due day, on the day, and each day it
is overdue until it is done."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xicheng.models import Task, TaskQuerySet
from xicheng.plugins import Reminded, Reminder

DAYS_AHEAD = 3


def _told(tasks: TaskQuerySet, title: str, today: date) -> Iterator[Reminded]:
    for task in tasks.select_related("responsible", "area").order_by("due_on", "pk"):
        yield Reminded(
            recipient=task.responsible,
            title=title % {"title": task.title, "days": (today - task.due_on).days},
            body=_("Due on %(day)s · %(area)s") % {"day": task.due_on.isoformat(), "area": task.area.name},
            link=reverse("task_detail", args=[task.pk]),
            key=f"task:{task.pk}",
        )


def tasks_due_soon(now: datetime) -> Iterator[Reminded]:
    today = timezone.localdate(now)
    due = Task.objects.open().filter(due_on=today + timedelta(days=DAYS_AHEAD))
    return _told(due, _("Task due in 3 days: %(title)s"), today)


def tasks_due_today(now: datetime) -> Iterator[Reminded]:
    today = timezone.localdate(now)
    return _told(Task.objects.open().filter(due_on=today), _("Task due today: %(title)s"), today)


def tasks_overdue(now: datetime) -> Iterator[Reminded]:
    today = timezone.localdate(now)
    return _told(Task.objects.overdue(today), _("Task overdue by %(days)s days: %(title)s"), today)


REMINDERS = [
    Reminder("xicheng.task_due_soon", gettext_lazy("A task of mine due in 3 days"), "xicheng.reminders.tasks_due_soon"),
    Reminder("xicheng.task_due_today", gettext_lazy("A task of mine due today"), "xicheng.reminders.tasks_due_today"),
    Reminder("xicheng.task_overdue", gettext_lazy("A task of mine overdue"), "xicheng.reminders.tasks_overdue"),
]
