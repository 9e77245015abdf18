"""Every write of the projects app that carries a rule."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from projects.models import Household, InvestmentLead, Milestone, Project, ProjectIssue, Squad
from xicheng.roles import AnyUser
from xicheng.scope import can_change
from xicheng.services import Conflict


def _refuse_future(on: date) -> None:
    if on > timezone.localdate():
        raise ValidationError(_("A step cannot be dated in the future."))


@transaction.atomic
def household_advance(*, household: Household, on: date, version: int, acting_user: AnyUser) -> Household:
    """Move a household exactly one step along 未入户 → 已评估 → 已签约 → 已腾空 → 已拆除."""
    if not can_change(acting_user, household):
        raise PermissionDenied(_("You may not change this household."))
    locked = Household.objects.select_for_update().get(pk=household.pk)
    if locked.version != version:
        raise Conflict(_("This household was changed by someone else. Reload it and try again."))
    _refuse_future(on)
    locked.advance(on)
    locked.version += 1
    locked.save(update_fields=["status", "last_step_on", *Household.step_date_fields, "version"])
    return locked


def check_squad_people(leader: Any, head: Any, members: list[Any]) -> None:
    errors: dict[str, list[str]] = {}
    if leader is None:
        errors.setdefault("leader", []).append(_("A squad needs a leading leader."))
    if head is None:
        errors.setdefault("head", []).append(_("A squad needs a group head."))
    if leader is not None and head is not None and leader.pk == head.pk:
        errors.setdefault("head", []).append(_("The leading leader and the group head must be two people."))
    if not members:
        errors.setdefault("members", []).append(_("A squad needs at least one member."))
    ids = {m.pk for m in members}
    if leader is not None and leader.pk in ids:
        errors.setdefault("members", []).append(_("The leading leader is not one of the members."))
    if head is not None and head.pk in ids:
        errors.setdefault("members", []).append(_("The group head is not one of the members."))
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def squad_create(
    *, project: Project, name: str, leader: Any, head: Any, members: Iterable[Any], acting_user: AnyUser
) -> Squad:
    """A 1+1+N squad: one leading leader, one group head, at least one member, neither of the two."""
    members = list(members)
    check_squad_people(leader, head, members)
    squad = Squad(project=project, name=name.strip(), leader=leader, head=head)
    squad.full_clean()
    squad.save()
    squad.members.set(members)
    return squad


@transaction.atomic
def squad_set_members(
    *, squad: Squad, members: Iterable[Any], acting_user: AnyUser, version: int | None = None
) -> Squad:
    if not can_change(acting_user, squad):
        raise PermissionDenied(_("You may not change this squad."))
    locked = Squad.objects.select_for_update().get(pk=squad.pk)
    if version is not None and locked.version != version:
        raise Conflict(_("This squad was changed by someone else. Reload it and try again."))
    members = list(members)
    check_squad_people(locked.leader, locked.head, members)
    locked.members.set(members)
    locked.version += 1
    locked.save(update_fields=["version"])
    return locked


@transaction.atomic
def household_assign_squad(
    *, household: Household, squad: Squad | None, version: int, acting_user: AnyUser
) -> Household:
    """A household belongs to at most one squad, of its own project."""
    if not can_change(acting_user, household):
        raise PermissionDenied(_("You may not change this household."))
    locked = Household.objects.select_for_update().get(pk=household.pk)
    if locked.version != version:
        raise Conflict(_("This household was changed by someone else. Reload it and try again."))
    if squad is not None and squad.project_id != locked.project_id:
        raise ValidationError({"squad": _("The squad works on another project.")})
    locked.squad = squad
    locked.version += 1
    locked.save(update_fields=["squad", "version"])
    return locked


@transaction.atomic
def issue_set_status(
    *,
    issue: ProjectIssue,
    status: str,
    version: int,
    acting_user: AnyUser,
    resolution: str = "",
    on: date | None = None,
) -> ProjectIssue:
    """Move an issue through 问需 → 算账 → 代跑 → 已解决; resolving it needs a resolution."""
    if not can_change(acting_user, issue):
        raise PermissionDenied(_("You may not change this issue."))
    locked = ProjectIssue.objects.select_for_update().get(pk=issue.pk)
    if locked.version != version:
        raise Conflict(_("This issue was changed by someone else. Reload it and try again."))
    if status not in ProjectIssue.Status.values:
        raise ValidationError({"status": _("Choose a valid status.")})
    on = on or timezone.localdate()
    _refuse_future(on)
    resolution = resolution.strip() or locked.resolution
    if status == ProjectIssue.Status.RESOLVED:
        if not resolution:
            raise ValidationError({"resolution": _("Say how the issue was resolved.")})
        if on < locked.created_on:
            raise ValidationError(_("An issue cannot be resolved before it was raised."))
        locked.resolved_on = on
    else:
        locked.resolved_on = None
    locked.status = status
    locked.resolution = resolution
    locked.version += 1
    locked.save(update_fields=["status", "resolution", "resolved_on", "version"])
    return locked


@transaction.atomic
def milestone_complete(*, milestone: Milestone, on: date, acting_user: AnyUser) -> Milestone:
    if not can_change(acting_user, milestone):
        raise PermissionDenied(_("You may not change this project."))
    locked = Milestone.objects.select_for_update().get(pk=milestone.pk)
    _refuse_future(on)
    if locked.actual_start is None:
        locked.actual_start = on
    if on < locked.actual_start:
        raise ValidationError(_("A stage can only end after it started."))
    locked.actual_end = on
    locked.save(update_fields=["actual_start", "actual_end"])
    return locked


@transaction.atomic
def lead_advance(*, lead: InvestmentLead, on: date, version: int, acting_user: AnyUser) -> InvestmentLead:
    """Move an investment lead one stage along 洽谈 → 签约 → 落地 → 投产."""
    if not can_change(acting_user, lead):
        raise PermissionDenied(_("You may not change this investment lead."))
    locked = InvestmentLead.objects.select_for_update().get(pk=lead.pk)
    if locked.version != version:
        raise Conflict(_("This investment lead was changed by someone else. Reload it and try again."))
    _refuse_future(on)
    order = [InvestmentLead.Stage.TALKS.value] + [s for s, _f in InvestmentLead.STEPS]
    index = order.index(locked.stage)
    if index + 1 >= len(order):
        raise ValidationError(_("This lead is already in production: there is no next stage."))
    previous = locked.talks_on if index == 0 else getattr(locked, InvestmentLead.STEPS[index - 1][1])
    if on < previous:
        raise ValidationError(
            _("The stage cannot be dated %(on)s, before the previous stage on %(previous)s.")
            % {"on": on.isoformat(), "previous": previous.isoformat()}
        )
    stage, field = InvestmentLead.STEPS[index]
    locked.stage = stage
    setattr(locked, field, on)
    locked.version += 1
    locked.save(update_fields=["stage", field, "version"])
    return locked
