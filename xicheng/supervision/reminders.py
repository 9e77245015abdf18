"""Reminders for everything that has a date, and the daily digest of unread notifications.

A kind of reminder (xicheng.plugins.Reminder) names a source: a function of the moment that yields
whom to remind of what (xicheng.plugins.Reminded). The kernel declares its own (xicheng/reminders.py:
tasks), each domain its own in its `reminders.py`, handed over by its DomainConfig. Celery beat
runs every source every quarter of an hour (`reminders_send`); each source decides whether it is
due, and each person is told of a thing once a day, however often the sources run. A source that
fails is logged and the others still run.

Whom a reminder of a place goes to is asked of `cadres_serving`, the one answer for every domain."""

from __future__ import annotations

import bisect
import functools
import logging
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from xicheng import plugins, reminders
from xicheng.models import Area, Cadre
from xicheng.plugins import Reminded, Reminder
from xicheng.roles import Role
from xicheng.supervision.models import Channel, Notification, notification_kinds
from xicheng.supervision.notifications import channels_for, notify

logger = logging.getLogger(__name__)

DIGEST_ITEMS = 5


@functools.cache
def reminder_kinds() -> dict[str, Reminder]:
    """Every kind of reminder, by kind: the kernel's, then the domains' (read once, when first asked)."""
    found: dict[str, Reminder] = {}
    for reminder in [*reminders.REMINDERS, *plugins.reminders()]:
        if reminder.kind in found or reminder.kind in Notification.Kind.values:
            raise ValueError(f"The kind of reminder {reminder.kind!r} is declared twice.")
        found[reminder.kind] = reminder
    return found


def reminders_send(now: datetime | None = None) -> int:
    """Run every source and tell each person what is due; how many were told. Nothing before
    REMINDERS_FROM (no one is woken at night)."""
    now = timezone.localtime(now or timezone.now())
    if now.time() < settings.REMINDERS_FROM:
        return 0
    told = 0
    for reminder in reminder_kinds().values():
        try:
            told += _send(reminder, now)
        except Exception:  # one broken source, whatever it broke on, never silences the others
            logger.exception("The reminder source %s failed", reminder.kind)
    return told


def _send(reminder: Reminder, now: datetime) -> int:
    source = import_string(reminder.source)
    day = now.date().isoformat()
    items: list[Reminded] = list(source(now))
    keys = {f"{item.key}@{day}" for item in items}
    told_before = set(Notification.objects.filter(kind=reminder.kind, key__in=keys).values_list("recipient_id", "key"))
    told = 0
    for item in items:
        key = f"{item.key}@{day}"
        if (item.recipient.pk, key) in told_before:
            continue
        told_before.add((item.recipient.pk, key))
        # Each reminder its own transaction: its deliveries are queued when it is committed.
        with transaction.atomic():
            sent = notify(
                recipient=item.recipient,
                kind=reminder.kind,
                title=item.title,
                body=item.body,
                link=item.link,
                key=key,
            )
        told += sent is not None
    return told


def cadres_serving(areas: Iterable[Area], *, from_level: int = Area.Level.VILLAGE) -> dict[int, list[User]]:
    """The cadres (active, with the cadre role) who answer for each area, by the area's id: those
    serving the area itself or an area within it, and those serving an area above it down from
    `from_level` (a village's cadres for a grid's hazard; a zone's for a village's zero report, as
    `governance.selectors.villages_reported_by` has it). Two queries, whatever the number of areas."""
    areas = list(areas)
    if not areas:
        return {}
    served = Cadre.areas.through.objects.filter(
        cadre__user__is_active=True, cadre__user__groups__name=Role.CADRE, area__level__gte=from_level
    ).values_list("cadre__user_id", "area__path")
    by_path: dict[str, set[int]] = defaultdict(set)
    for user_id, path in served:
        by_path[path].add(user_id)
    paths = sorted(by_path)
    found: dict[int, set[int]] = {}
    for area in areas:
        ids: set[int] = set()
        for above in area.ancestor_paths():  # the area itself among them
            ids |= by_path.get(above, set())
        # Within it: the paths that start with its own, next to each other in sorted order.
        at = bisect.bisect_right(paths, area.path)
        while at < len(paths) and paths[at].startswith(area.path):
            ids |= by_path[paths[at]]
            at += 1
        found[area.pk] = ids
    wanted = set().union(*found.values())
    users = {user.pk: user for user in User.objects.filter(pk__in=wanted).select_related("cadre")}
    return {pk: [users[i] for i in sorted(ids) if i in users] for pk, ids in found.items()}


# The daily digest ---------------------------------------------------------------------------------


def digests_send(now: datetime | None = None) -> int:
    """One digest to each person with unread notifications: how many there are of each kind and
    the newest few, over the channels they chose for the digest (e-mail unless they said
    otherwise). Its in-app copy is already read, so the unread count is not raised by it. Once
    a day each; none to someone it would reach in the centre only. How many were sent."""
    now = timezone.localtime(now or timezone.now())
    unread = Notification.objects.filter(read_at__isnull=True).exclude(kind=Notification.Kind.DIGEST)
    counts: dict[int, Counter[str]] = defaultdict(Counter)
    for recipient_id, kind in unread.values_list("recipient_id", "kind"):
        counts[recipient_id][kind] += 1
    if not counts:
        return 0
    newest = (
        unread.annotate(
            rank=Window(
                RowNumber(), partition_by=[F("recipient_id")], order_by=[F("created_at").desc(), F("pk").desc()]
            )
        )
        .filter(rank__lte=DIGEST_ITEMS)
        .order_by("recipient_id", "rank")
        .values_list("recipient_id", "title")
    )
    titles: dict[int, list[str]] = defaultdict(list)
    for recipient_id, title in newest:
        titles[recipient_id].append(title)
    labels = dict(notification_kinds())
    key = f"digest@{now.date().isoformat()}"
    sent = 0
    for user in User.objects.filter(pk__in=list(counts), is_active=True).select_related("cadre").order_by("pk"):
        if channels_for(user, Notification.Kind.DIGEST) in ([], [Channel.IN_APP]):
            continue
        total = sum(counts[user.pk].values())
        lines = [
            _("%(kind)s: %(count)s") % {"kind": labels.get(kind, kind), "count": count}
            for kind, count in counts[user.pk].most_common()
        ]
        lines += ["", _("Newest:"), *(f"· {title}" for title in titles[user.pk])]
        with transaction.atomic():
            notification = notify(
                recipient=user,
                kind=Notification.Kind.DIGEST,
                title=_("Daily digest: %(count)s unread") % {"count": total},
                body="\n".join(lines),
                link=reverse("notifications:list"),
                key=key,
            )
            if notification is not None:
                # Notifications keep no history: a bulk update loses nothing.
                Notification.objects.filter(pk=notification.pk).update(read_at=notification.created_at)
                sent += 1
    return sent
