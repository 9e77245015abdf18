"""Every write of the projects app that carries a rule."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from projects.models import Household, InvestmentLead, Milestone, Project, ProjectIssue, Squad
from xicheng import clock, events
from xicheng.locking import locked_for_change, require_assigner
from xicheng.models import Area
from xicheng.scope import areas_changeable_by, may_file
from xicheng.stages import stage_advance
from xicheng.validators import check_event_date, validate_field_worker, validate_leader

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def household_advance(*, household: Household, on: date, version: int | None, acting_user: User) -> Household:
    """Move a household exactly one step along 未入户 → 已评估 → 已签约 → 已腾空 → 已拆除."""
    moved = stage_advance(household, on=on, version=version, acting_user=acting_user)
    events.emit(
        events.HOUSEHOLD_ADVANCED, events.record_payload(moved, state=moved.status, project=moved.project_id, on=on)
    )
    return moved


def check_squad_people(leader: User | None, head: User | None, members: list[User]) -> None:
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
    # 1+1+N are the subdistrict's people: a leader leads, cadres (or leaders) head and serve.
    for key, person, validator in [("leader", leader, validate_leader), ("head", head, validate_field_worker)]:
        if person is not None:
            try:
                validator(person)
            except ValidationError as e:
                errors.setdefault(key, []).extend(e.messages)
    for member in members:
        try:
            validate_field_worker(member)
        except ValidationError as e:
            errors.setdefault("members", []).extend(e.messages)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def squad_create(
    *, project: Project, name: str, leader: User | None, head: User | None, members: Iterable[User], acting_user: User
) -> Squad:
    """A 1+1+N squad: one leading leader, one group head, at least one member, neither of the two."""
    require_assigner(acting_user, ["leader", "head", "members"], Squad)
    members = list(members)
    check_squad_people(leader, head, members)
    squad = Squad(project=project, name=name.strip(), leader=leader, head=head)
    squad.full_clean()
    squad.save()
    squad.members.set(members)
    return squad


@transaction.atomic
def squad_set_members(*, squad: Squad, members: Iterable[User], acting_user: User, version: int | None) -> Squad:
    """Who serves in a squad is an assignment: a leader's or a data admin's."""
    require_assigner(acting_user, ["members"], Squad)
    members = list(members)
    with locked_for_change(squad, version=version, by=acting_user) as locked:
        check_squad_people(locked.leader, locked.head, members)
        locked.members.set(members)
    return locked


@transaction.atomic
def household_assign_squad(
    *, household: Household, squad: Squad | None, version: int | None, acting_user: User
) -> Household:
    """A household belongs to at most one squad, of its own project; a leader or a data admin assigns it."""
    require_assigner(acting_user, ["squad"], Household)
    with locked_for_change(household, version=version, by=acting_user) as locked:
        if squad is not None and squad.project_id != locked.project_id:
            raise ValidationError({"squad": _("The squad works on another project.")})
        locked.squad = squad
    return locked


@transaction.atomic
def issue_raise(
    *, project: Project, title: str, owner: User, due_on: date, acting_user: User, household: Household | None = None
) -> ProjectIssue:
    """A blocker put on a project's list (问题清单), by someone who works on the project."""
    if household is not None and household.project_id != project.pk:
        raise ValidationError({"household": _("The household belongs to another project.")})
    issue = ProjectIssue(
        project=project, household=household, title=title.strip(), owner=owner, due_on=due_on, created_on=clock.today()
    )
    if not acting_user.has_perm("projects.add_projectissue") or not may_file(acting_user, issue):
        raise PermissionDenied(_("You may not raise issues on this project."))
    issue.full_clean()
    issue.save()
    return issue


@transaction.atomic
def issue_set_status(
    *,
    issue: ProjectIssue,
    status: str,
    version: int | None,
    acting_user: User,
    resolution: str = "",
    on: date | None = None,
) -> ProjectIssue:
    """Move an issue through 问需 → 算账 → 代跑 → 已解决; resolving it needs a resolution."""
    if status not in ProjectIssue.Status.values:
        raise ValidationError({"status": _("Choose a valid status.")})
    on = on or clock.today()
    check_event_date(on, "on")
    with locked_for_change(issue, version=version, by=acting_user) as locked:
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
    return locked


@transaction.atomic
def milestone_complete(*, milestone: Milestone, on: date, acting_user: User, version: int | None) -> Milestone:
    """Record that a project's stage ended on a day (it started then too, if no start was recorded)."""
    check_event_date(on, "on")
    with locked_for_change(milestone, version=version, by=acting_user) as locked:
        if locked.actual_end is not None:
            raise ValidationError(_("This stage already ended on %(day)s.") % {"day": locked.actual_end.isoformat()})
        if locked.actual_start is None:
            locked.actual_start = on
        if on < locked.actual_start:
            raise ValidationError({"on": _("A stage can only end after it started.")})
        locked.actual_end = on
    return locked


def lead_advance(*, lead: InvestmentLead, on: date, version: int | None, acting_user: User) -> InvestmentLead:
    """Move an investment lead one stage along 洽谈 → 签约 → 落地 → 投产."""
    return stage_advance(lead, on=on, version=version, acting_user=acting_user)


@transaction.atomic
def lead_create(
    *,
    company: str,
    industry: str,
    amount: Decimal,
    area: Area,
    owner: User,
    talks_on: date,
    acting_user: User,
    note: str = "",
) -> InvestmentLead:
    """A company the subdistrict begins to court (洽谈), filed under an area the user serves."""
    if not acting_user.has_perm("projects.add_investmentlead") or not (
        areas_changeable_by(acting_user).filter(pk=area.pk).exists()
    ):
        raise PermissionDenied(_("You may not file records for this area."))
    check_event_date(talks_on, "talks_on")
    lead = InvestmentLead(
        company=company.strip(),
        industry=industry,
        amount=amount,
        area=area,
        owner=owner,
        talks_on=talks_on,
        note=note.strip(),
    )
    lead.full_clean()
    lead.save()
    return lead
