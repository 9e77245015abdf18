"""The reads of the 督办 pages: a case with what its page shows, a person's cases on *my work*,
the record a case names and where it lives."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.urls import NoReverseMatch, reverse

from xicheng.supervision.kinds import record_for, supervisable_kinds
from xicheng.supervision.models import Case, CaseQuerySet

if TYPE_CHECKING:
    from django.db import models

    from xicheng.roles import AnyUser

PEOPLE = ("issuer__cadre", "owner__cadre", "head__cadre", "leader__cadre", "secretary__cadre")

# The kernel's records and the page each is read on; a domain's record names its own page
# (`get_absolute_url`) when it has one.
KERNEL_PAGES = {"xicheng.task": "task_detail", "xicheng.target": "dashboard_areas"}


def cases_for(user: AnyUser) -> CaseQuerySet:
    """The cases the user may see, with the people and the area their lists show, and each one's light."""
    return Case.objects.visible_to(user).select_related("area", *PEOPLE).with_light()


def record_url(kind: str, object_id: int) -> str | None:
    """The page of the record a case names, if it has one."""
    name = KERNEL_PAGES.get(kind)
    if name is None:
        return None
    try:
        return reverse(name, args=[object_id])
    except NoReverseMatch:
        return None


def record_of(case: Case, user: AnyUser) -> tuple[models.Model | None, str | None]:
    """The record a case names as the user may see it (None if not) and the URL of its page."""
    declared = supervisable_kinds().get(case.kind)
    record = record_for(declared, case.object_id, user) if declared is not None else None
    if record is None:
        return None, None
    url = record_url(case.kind, case.object_id)
    own_page = getattr(record, "get_absolute_url", None)
    if url is None and own_page is not None:
        url = str(own_page())
    return record, url


def kind_label(kind: str) -> Any:
    declared = supervisable_kinds().get(kind)
    return declared.label if declared is not None else kind


def my_work_cases(user: AnyUser) -> dict[str, list[Case]]:
    """*My work*'s cases: those waiting for the user's 签收 first, then those in hand. One query."""
    rows = list(
        cases_for(user)
        .filter(owner=user, status__in=[Case.Status.OPENED, Case.Status.ACKNOWLEDGED])
        .order_by("status", "due_on", "pk")
    )
    return {
        "to_acknowledge": [case for case in rows if case.status == Case.Status.OPENED],
        "in_hand": [case for case in rows if case.status == Case.Status.ACKNOWLEDGED],
    }
