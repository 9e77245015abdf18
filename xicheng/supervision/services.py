"""Every step of a supervision case (督办单), and the ladder that chases it.

    opened (待签收) → acknowledged (办理中) → reported (待验收) → closed (已办结)
                        ↑________ sent back (退回重办) ___|

The owner acknowledges (签收), replies with progress (办理情况), asks for more time (延期申请) and
reports the work done (办结); the leader who issued the case decides on the extension, sends the
report back or accepts it, which alone closes the case. Each service checks who acts and in which
state, writes its step in the same transaction as the change (the case's history and the step's
keep who, when and from where) and tells whoever must know (`notify`).

`cases_escalate_due` is the ladder, run by celery beat: a case not acknowledged in time is chased
once (催办); a case past its due day climbs to its squad or unit head, then to the responsible
leader, then to the secretary (书记), each rung SUPERVISION_ESCALATION_DELAYS_HOURS after the end of
the due day. Who holds each rung is named when the case is opened (`escalation_chain`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import formats, timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from xicheng import clock, events
from xicheng.locking import locked_for_change
from xicheng.models import Area, Cadre
from xicheng.roles import Role, roles_of
from xicheng.scope import area_of, can_change
from xicheng.supervision.kinds import record_for, supervisable_kinds
from xicheng.supervision.models import Case, CaseStep, Notification
from xicheng.supervision.notifications import notify
from xicheng.validators import PLAN_DATE, validate_field_worker

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.core.files import File

Status = Case.Status
Step = CaseStep.Kind
Kind = Notification.Kind

__all__ = [
    "case_accept",
    "case_acknowledge",
    "case_decide_extension",
    "case_open",
    "case_reply",
    "case_report_done",
    "case_request_extension",
    "case_send_back",
    "cases_escalate_due",
]


# Who may act, and when ------------------------------------------------------------------------


def _require_owner(case: Case, user: User) -> None:
    if case.owner_id != user.pk:
        raise ValidationError(_("Only the owner of this case may take this step."), code="not_owner")


def _require_issuer(case: Case, user: User) -> None:
    if case.issuer_id != user.pk:
        raise ValidationError(_("Only the leader who issued this case may take this step."), code="not_issuer")


def _require_status(case: Case, *allowed: str) -> None:
    if case.status not in allowed:
        raise ValidationError(
            _("This step cannot be taken while the case is “%(status)s”.") % {"status": case.get_status_display()},
            code="wrong_status",
        )


def _required_text(text: str, field: str, message: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError({field: message})
    return text


def _step(case: Case, kind: str, actor: User | None, *, at: datetime, **fields: Any) -> CaseStep:
    step = CaseStep(case=case, kind=kind, actor=actor, at=at, **fields)
    step.full_clean(exclude=["case", "actor", "to_user"])
    # django-simple-history records who took the step, also outside a request (the ladder: nobody),
    # and when: the moment the step was taken.
    setattr(step, "_history_user", actor)  # noqa: B010
    setattr(step, "_history_date", at)  # noqa: B010
    step.save()
    return step


def _dated(case: Case, now: datetime) -> None:
    """The case's next history record is dated `now`, the moment its step was taken."""
    setattr(case, "_history_date", now)  # noqa: B010


def _day(value: date | datetime) -> str:
    return formats.date_format(timezone.localtime(value) if isinstance(value, datetime) else value, "Y-m-d")


def _tell_update(case: Case, recipient: User, step: CaseStep) -> None:
    notify(
        recipient=recipient,
        kind=Kind.CASE_UPDATE,
        case=case,
        title=_("%(step)s: %(title)s") % {"step": step.get_kind_display(), "title": case.title},
        body=step.text,
    )


# Opening a case ---------------------------------------------------------------------------------

# Whose superior whom: the first rung of a case given to a cadre is the nearest cadre above her
# position serving her area or an area above it (a grid worker's village cadre, a village cadre's
# division head), unless the record's kind or the leader opening the case names the head.
POSITION_RANK: dict[str, int] = {
    Cadre.Position.GRID_WORKER: 0,
    Cadre.Position.VILLAGE_CADRE: 1,
    Cadre.Position.STAFF: 2,
    Cadre.Position.DIVISION_HEAD: 3,
}


def superior_of(owner: User, area: Area) -> User | None:
    """The owner's squad or unit head for a case in `area`: the nearest cadre ranked above her who
    serves the area or an area above it (the deepest area first, then the lowest rank above
    hers). Leaders are the next rung, so never this one. One query."""
    cadre = Cadre.objects.filter(user=owner).first()
    rank = POSITION_RANK.get(cadre.position, len(POSITION_RANK)) if cadre is not None else -1
    above = [position for position, r in POSITION_RANK.items() if r > rank]
    if not above:
        return None
    candidates = (
        Cadre.objects.filter(areas__path__in=area.ancestor_paths(), position__in=above, user__is_active=True)
        .filter(user__groups__name__in=[Role.CADRE, Role.LEADER])
        .exclude(user=owner)
        .values_list("user_id", "areas__path", "position")
        .distinct()
    )
    best = min(candidates, key=lambda c: (-len(c[1]), POSITION_RANK[c[2]], c[0]), default=None)
    return get_user_model()._default_manager.get(pk=best[0]) if best is not None else None


def secretary() -> User | None:
    """The secretary (书记), the ladder's last rung: SUPERVISION_SECRETARY_USERNAME, if active."""
    username = settings.SUPERVISION_SECRETARY_USERNAME
    if not username:
        return None
    found: User | None = get_user_model()._default_manager.filter(username=username, is_active=True).first()
    return found


def _chain(people: Iterable[User | None], owner: User) -> list[User | None]:
    """Each rung's holder, with nobody twice and never the owner: a rung whose holder already
    holds a rung below (or owns the case) is left empty, and the ladder passes over it."""
    seen = {owner.pk}
    chain: list[User | None] = []
    for person in people:
        if person is None or person.pk in seen:
            chain.append(None)
        else:
            seen.add(person.pk)
            chain.append(person)
    return chain


@transaction.atomic
def case_open(
    *,
    kind: str,
    object_id: int,
    title: str,
    instruction: str,
    owner: User,
    due_on: date,
    acting_user: User,
    level: str = Case.Level.GENERAL,
    owner_unit: str = "",
    head: User | None = None,
    now: datetime | None = None,
) -> Case:
    """A leader's case on a record she can see: the instruction (批示), the owner, the due day, the
    level. The ladder's rungs are named now: the head given (or the record kind's, or the
    owner's superior), the leader who issues it, the secretary.

    `now`, here and in every step below, is when the step was taken (the present by default): a
    case written down afterwards, such as the demo's month of cases, keeps its own dates."""
    if Role.LEADER not in roles_of(acting_user) or not acting_user.has_perm("supervision.add_case"):
        raise ValidationError(_("Only a leader opens a supervision case."), code="not_leader")
    declared = supervisable_kinds().get(kind)
    if declared is None:
        raise ValidationError({"kind": _("Cases cannot be opened on this kind of record.")})
    record = record_for(declared, object_id, acting_user)
    if record is None:
        raise ValidationError({"object_id": _("There is no such record among those you can see.")})
    area = area_of(record)
    if area is None:
        raise ValidationError({"object_id": _("This record lies in no area, so no one can be chased about it.")})
    if owner.pk == acting_user.pk:
        raise ValidationError({"owner": _("Give the case to someone else: you will accept their work.")})
    if due_on < (clock.today() if now is None else timezone.localdate(now)):
        raise ValidationError({"due_on": _("The due date cannot be in the past.")})
    if head is not None:
        try:
            validate_field_worker(head)
        except ValidationError as error:
            raise ValidationError({"head": error.messages}) from None
    if head is None and declared.head:
        head = import_string(declared.head)(record)
    if head is None:
        head = superior_of(owner, area)
    rung_head, rung_leader, rung_secretary = _chain([head, acting_user, secretary()], owner)
    now = now or timezone.now()
    case = Case(
        kind=kind,
        object_id=object_id,
        area=area,
        title=_required_text(title, "title", _("Give the case a title.")),
        instruction=_required_text(instruction, "instruction", _("Write the instruction.")),
        level=level,
        issuer=acting_user,
        owner=owner,
        owner_unit=owner_unit.strip(),
        head=rung_head,
        leader=cast("User", rung_leader),  # the issuer: never the owner, so always named
        secretary=rung_secretary,
        due_on=due_on,
        opened_at=now,
        ack_due_at=now + timedelta(hours=settings.SUPERVISION_ACK_HOURS),
    )
    case.full_clean()
    setattr(case, "_history_user", acting_user)  # noqa: B010  (see _step)
    _dated(case, now)
    case.save()
    _step(case, Step.OPENED, acting_user, at=now, text=case.instruction, due_on=due_on)
    notify(
        recipient=owner,
        kind=Kind.CASE_OPENED,
        case=case,
        title=_("Supervision case: %(title)s") % {"title": case.title},
        body=_("%(instruction)s\nDue %(date)s; acknowledge it by %(ack)s.")
        % {"instruction": case.instruction, "date": _day(due_on), "ack": _day(case.ack_due_at)},
    )
    events.emit(events.CASE_OPENED, events.case_payload(case))
    return case


# The owner's steps ------------------------------------------------------------------------------


@transaction.atomic
def case_acknowledge(
    *, case: Case, version: int | None, acting_user: User, text: str = "", now: datetime | None = None
) -> Case:
    """The owner signs for the case (签收): from now on it is in hand."""
    _require_owner(case, acting_user)
    now = now or timezone.now()
    with locked_for_change(case, version=version, by=acting_user) as locked:
        _require_status(locked, Status.OPENED)
        locked.status = Status.ACKNOWLEDGED
        locked.acknowledged_at = now
        _dated(locked, now)
        step = _step(locked, Step.ACKNOWLEDGED, acting_user, at=now, text=text.strip())
        _tell_update(locked, locked.issuer, step)
    return locked


@transaction.atomic
def case_reply(
    *, case: Case, text: str, acting_user: User, attachment: File[Any] | None = None, now: datetime | None = None
) -> CaseStep:
    """The owner says how the work stands (办理情况), with a file if she has one. A reply is added,
    never an edit of the case: it needs no version and never conflicts."""
    _require_owner(case, acting_user)
    text = _required_text(text, "text", _("Write how the work stands."))
    if not can_change(acting_user, case):
        raise PermissionDenied(_("You may not change this %(thing)s.") % {"thing": Case._meta.verbose_name})
    locked = Case.objects.select_for_update().get(pk=case.pk)
    _require_status(locked, Status.ACKNOWLEDGED)
    step = _step(
        locked,
        Step.REPLIED,
        acting_user,
        at=now or timezone.now(),
        text=text,
        **({"attachment": attachment} if attachment else {}),
    )
    _tell_update(locked, locked.issuer, step)
    return step


@transaction.atomic
def case_request_extension(
    *, case: Case, due_on: date, reason: str, version: int | None, acting_user: User, now: datetime | None = None
) -> Case:
    """The owner asks for a later due day (延期申请), saying why; the issuer decides."""
    _require_owner(case, acting_user)
    reason = _required_text(reason, "reason", _("Say why more time is needed."))
    for validator in PLAN_DATE:
        try:
            validator(due_on)
        except ValidationError as error:
            raise ValidationError({"due_on": error.messages}) from None
    with locked_for_change(case, version=version, by=acting_user) as locked:
        _require_status(locked, Status.ACKNOWLEDGED)
        if locked.extension_requested_to is not None:
            raise ValidationError(_("An extension is already waiting for the issuer's decision."), code="pending")
        if due_on <= locked.due_on:
            raise ValidationError({"due_on": _("Ask for a day after the present due date.")})
        locked.extension_requested_to = due_on
        now = now or timezone.now()
        _dated(locked, now)
        step = _step(locked, Step.EXTENSION_REQUESTED, acting_user, at=now, text=reason, due_on=due_on)
        _tell_update(locked, locked.issuer, step)
    return locked


@transaction.atomic
def case_report_done(
    *,
    case: Case,
    text: str,
    version: int | None,
    acting_user: User,
    attachment: File[Any] | None = None,
    now: datetime | None = None,
) -> Case:
    """The owner reports the work done (办结); the issuer accepts it or sends it back."""
    _require_owner(case, acting_user)
    text = _required_text(text, "text", _("Say what was done."))
    with locked_for_change(case, version=version, by=acting_user) as locked:
        _require_status(locked, Status.ACKNOWLEDGED)
        now = now or timezone.now()
        locked.status = Status.REPORTED
        locked.reported_at = now
        _dated(locked, now)
        step = _step(
            locked, Step.REPORTED, acting_user, at=now, text=text, **({"attachment": attachment} if attachment else {})
        )
        _tell_update(locked, locked.issuer, step)
    return locked


# The issuer's steps ----------------------------------------------------------------------------


@transaction.atomic
def case_decide_extension(
    *, case: Case, approve: bool, version: int | None, acting_user: User, text: str = "", now: datetime | None = None
) -> Case:
    """The issuer grants the extension asked for (the due day moves, the ladder starts again from
    the new one) or refuses it."""
    _require_issuer(case, acting_user)
    with locked_for_change(case, version=version, by=acting_user) as locked:
        _require_status(locked, Status.ACKNOWLEDGED, Status.REPORTED)
        asked = locked.extension_requested_to
        if asked is None:
            raise ValidationError(_("No extension has been asked for."), code="no_request")
        locked.extension_requested_to = None
        now = now or timezone.now()
        _dated(locked, now)
        if approve:
            locked.due_on = asked
            locked.escalation = Case.Rung.NONE
            step = _step(locked, Step.EXTENSION_APPROVED, acting_user, at=now, text=text.strip(), due_on=asked)
        else:
            step = _step(locked, Step.EXTENSION_REFUSED, acting_user, at=now, text=text.strip(), due_on=asked)
        _tell_update(locked, locked.owner, step)
    return locked


@transaction.atomic
def case_send_back(
    *, case: Case, text: str, version: int | None, acting_user: User, now: datetime | None = None
) -> Case:
    """The issuer sends the report back (退回重办), saying what is still missing."""
    _require_issuer(case, acting_user)
    text = _required_text(text, "text", _("Say what is still to be done."))
    with locked_for_change(case, version=version, by=acting_user) as locked:
        _require_status(locked, Status.REPORTED)
        locked.status = Status.ACKNOWLEDGED
        locked.reported_at = None
        now = now or timezone.now()
        _dated(locked, now)
        step = _step(locked, Step.SENT_BACK, acting_user, at=now, text=text)
        _tell_update(locked, locked.owner, step)
    return locked


@transaction.atomic
def case_accept(
    *, case: Case, version: int | None, acting_user: User, text: str = "", now: datetime | None = None
) -> Case:
    """The issuer accepts the work as done: the only way a case closes."""
    _require_issuer(case, acting_user)
    with locked_for_change(case, version=version, by=acting_user) as locked:
        _require_status(locked, Status.REPORTED)
        now = now or timezone.now()
        locked.status = Status.CLOSED
        locked.closed_at = now
        locked.extension_requested_to = None
        _dated(locked, now)
        step = _step(locked, Step.ACCEPTED, acting_user, at=now, text=text.strip())
        _tell_update(locked, locked.owner, step)
    events.emit(events.CASE_CLOSED, events.case_payload(locked))
    return locked


# The ladder -------------------------------------------------------------------------------------


def cases_escalate_due(now: datetime | None = None) -> list[CaseStep]:
    """Take every reminder and escalation that has come due by `now`, each case in a transaction of
    its own. Idempotent: what was taken is recorded on the case (`reminded_at`, `escalation`), so a
    second run at the same moment takes nothing more."""
    now = now or timezone.now()
    steps: list[CaseStep] = []
    unacknowledged = Case.objects.filter(status=Status.OPENED, reminded_at__isnull=True, ack_due_at__lte=now)
    for pk in unacknowledged.values_list("pk", flat=True):
        steps += _remind(pk, now)
    first = settings.SUPERVISION_ESCALATION_DELAYS_HOURS[0]
    # Past its due day by at least the first rung's delay, in hand (a report waits on the issuer),
    # and not at the top yet.
    overdue = Case.objects.filter(
        status__in=[Status.OPENED, Status.ACKNOWLEDGED],
        escalation__lt=Case.Rung.SECRETARY,
        due_on__lt=timezone.localdate(now - timedelta(hours=first)),
    )
    for pk in overdue.values_list("pk", flat=True):
        steps += _escalate(pk, now)
    return steps


# What the ladder writes on a case: its own bookkeeping, which no person's step changes.
LADDER_FIELDS = ["reminded_at", "escalation", "escalated_at"]


@contextmanager
def _system_write(pk: int, now: datetime) -> Iterator[Case]:
    """The ladder's write on one case, by nobody (the system): the row locked, and only the
    ladder's own fields saved. The version stays: a reminder or an escalation does not make the
    owner's open form stale, and no one's change can be overwritten by fields only the ladder sets."""
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=pk)
        setattr(case, "_history_user", None)  # noqa: B010  (see _step)
        _dated(case, now)
        before = [getattr(case, name) for name in LADDER_FIELDS]
        yield case
        if [getattr(case, name) for name in LADDER_FIELDS] != before:
            case.save(update_fields=LADDER_FIELDS)


def _remind(pk: int, now: datetime) -> list[CaseStep]:
    with _system_write(pk, now) as case:
        if case.status != Status.OPENED or case.reminded_at is not None or case.ack_due_at > now:
            return []
        case.reminded_at = now
        step = _step(case, Step.REMINDED, None, at=now, to_user=case.owner)
        notify(
            recipient=case.owner,
            kind=Kind.CASE_REMINDER,
            case=case,
            title=_("Please acknowledge the case: %(title)s") % {"title": case.title},
            body=_("It was to be acknowledged by %(ack)s; it is due %(date)s.")
            % {"ack": _day(case.ack_due_at), "date": _day(case.due_on)},
        )
    return [step]


def _escalate(pk: int, now: datetime) -> list[CaseStep]:
    delays = settings.SUPERVISION_ESCALATION_DELAYS_HOURS
    steps = []
    with _system_write(pk, now) as case:
        if case.status not in (Status.OPENED, Status.ACKNOWLEDGED):
            return []
        for rung, holder in case.escalation_chain:
            if case.escalation >= rung or now < case.due_at + timedelta(hours=delays[rung - 1]):
                continue
            case.escalation = rung
            case.escalated_at = now
            rung_name = Case.Rung(rung).label
            steps.append(_step(case, Step.ESCALATED, None, at=now, rung=rung, to_user=holder))
            events.emit(events.CASE_ESCALATED, events.case_payload(case))
            title = _("Escalated: %(title)s") % {"title": case.title}
            body = _("Overdue since %(date)s; escalated to the %(rung)s.") % {
                "date": _day(case.due_at),
                "rung": rung_name,
            }
            for person in (holder, case.owner):
                if person is not None:
                    notify(recipient=person, kind=Kind.CASE_ESCALATED, case=case, title=title, body=body)
    return steps
