"""Staged records: one declaration for a row that moves through ordered steps, each with its day.

A household goes 未入户 → 已评估 → 已签约 → 已腾空 → 已拆除, an investment lead 洽谈 → 签约 → 落地 →
投产, a dispute 受理 → 调解中 → 已化解 / 已上报. Each is declared once, beside its model:

    HOUSEHOLD_STAGES = Stages(
        field="status",
        start="new",
        steps=(Step("evaluated", "evaluated_on"), Step("signed", "signed_on"), …),
        last_step_field="last_step_on",
        wording=StageWording(no_next=…, before_previous=…),  # in the register's own words
    )

    class Household(StagedModel, models.Model):
        stages = HOUSEHOLD_STAGES
        class Meta:
            constraints = [*HOUSEHOLD_STAGES.constraints("household"), …]

and from that declaration come:

- the database's two rules (`constraints`): each step dated on or after the one before it, and the
  status matching the steps that are dated (linear pipelines);
- the row's behaviour (`StagedModel`): `next_steps`, `next_step`, `advance(on, to=…)` one step and
  never two, `revert()` of the last step, `status_as_of(day)`, `last_step_date()`;
- the three services (`stage_advance`, `stage_revert`, `stage_undo`): one locked write each,
  refusing a stale version, a row the user may not change (the same rule for undoing as for
  moving), a day in the future; the history records who did it. `stage_revert` is a correction by
  whoever may move the row (the API's `revert/`); `stage_undo` is the one-tap page's undo of a
  mis-tap: only by the person who took the step, within 10 minutes (`history.UNDO_WINDOW`);
- a metric per step (`step_metric`) and the funnel's counts (`funnel`), built on `Metric`.

The faces — the DRF actions and the one-tap web partial — are in `xicheng.stage_faces`.
A step may follow several others (`after`): a dispute is resolved from 受理 or from 调解中. The
two generated constraints are for linear pipelines; a branching one keeps its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from dataclasses import field as dataclass_field
from datetime import date
from itertools import pairwise
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from xicheng.history import require_own_recent_change
from xicheng.locking import locked_for_change, thing
from xicheng.metrics import Listing, Metric
from xicheng.roles import AnyUser
from xicheng.validators import check_event_date

if TYPE_CHECKING:
    from django.contrib.auth.models import User

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class Step:
    """A status reached by a step, and the date field recording the day it was reached.

    `after`: the statuses this step may follow; by default the step declared before it (or the
    start, for the first one)."""

    status: str
    date_field: str
    after: tuple[str, ...] = ()


NO_NEXT = _("There is no next step.")
BEFORE_PREVIOUS = _("The step cannot be dated %(on)s, before the previous step on %(previous)s.")
CANNOT_MOVE = _("This record cannot move from “%(current)s” to “%(target)s”.")
NOTHING_TO_UNDO = _("There is no step to undo: this record has not moved yet.")
CHOOSE = _("Choose the next step.")


@dataclass(frozen=True)
class StageWording:
    """What the user is told, in the register's own words (lazy translations).

    `no_next`: nothing comes next. `before_previous`: the day is before the last step's (it may
    name `%(on)s` and `%(previous)s`). `cannot_move` (branching pipelines, may name `%(current)s`
    and `%(target)s`): the step asked for does not follow the current one. `error_field`: the
    field the date error is about, when it is given to a field (e.g. "on") rather than the row."""

    no_next: Any = NO_NEXT
    before_previous: Any = BEFORE_PREVIOUS
    cannot_move: Any = CANNOT_MOVE
    nothing_to_undo: Any = NOTHING_TO_UNDO
    choose: Any = CHOOSE
    error_field: str | None = None


@dataclass
class Stages:
    """A staged record's pipeline. `field` holds the status; `start` is the status a row begins in,
    dated by `start_date` if it has one (a lead's talks, a dispute's receipt); each step sets its
    status and its date. `last_step_field` is an optional stored copy of the last step's day (kept
    for ordering and the stalled filter). `may_move(user, row)`, when given, is asked besides the
    row's scope before a step is taken or undone. `choice_param` names the request parameter that
    picks the step in a branching pipeline (the API's and the form's, e.g. "to_status")."""

    field: str
    start: str
    steps: tuple[Step, ...]
    start_date: str | None = None
    last_step_field: str | None = None
    wording: StageWording = dataclass_field(default_factory=StageWording)
    may_move: Callable[[AnyUser, Any], bool] | None = None
    choice_param: str = "to"
    model: type[models.Model] | None = dataclass_field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        linked: list[Step] = []
        previous = self.start
        for step in self.steps:
            linked.append(step if step.after else Step(step.status, step.date_field, (previous,)))
            previous = step.status
        self.steps = tuple(linked)

    # Django calls this for a class attribute that has it: the declaration learns its model.
    def contribute_to_class(self, cls: type[models.Model], name: str) -> None:
        self.model = cls
        setattr(cls, name, self)

    # The pipeline ------------------------------------------------------------------------------

    @property
    def statuses(self) -> tuple[str, ...]:
        return (self.start, *(s.status for s in self.steps))

    @property
    def date_fields(self) -> tuple[str, ...]:
        """The steps' date fields, in order (the start's not included)."""
        return tuple(s.date_field for s in self.steps)

    @property
    def linear(self) -> bool:
        return all(step.after == (before,) for step, before in zip(self.steps, self.statuses, strict=False))

    def step(self, status: str) -> Step:
        return next(s for s in self.steps if s.status == status)

    def date_field_of(self, status: str) -> str | None:
        return self.start_date if status == self.start else self.step(status).date_field

    def following(self, status: str) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if status in s.after)

    def label(self, status: str) -> str:
        assert self.model is not None, "declare the stages on a model"
        choices = dict(getattr(self.model._meta.get_field(self.field), "choices", None) or ())
        return str(choices.get(status, status))

    # The database's rules -----------------------------------------------------------------------

    def constraints(
        self,
        prefix: str,
        *,
        in_order_name: str | None = None,
        in_order_message: Any = None,
        matches_name: str | None = None,
        matches_message: Any = None,
    ) -> list[models.CheckConstraint]:
        """Each step dated on or after the one before it; the status matching the dated steps.

        Named `<prefix>_steps_in_order` and `<prefix>_status_matches_dates` unless told otherwise."""
        assert self.linear, "a branching pipeline declares its own constraints"
        fields = ([self.start_date] if self.start_date else []) + list(self.date_fields)
        in_order = Q()
        for earlier, later in pairwise(fields):
            in_order &= null_or_after(later, earlier)
        matches = Q()
        for index, status in enumerate(self.statuses):
            own = self.date_field_of(status) if index else None
            conditions: dict[str, Any] = {self.field: status}
            if own is not None:
                conditions[f"{own}__isnull"] = False
            if index < len(self.steps):
                conditions[f"{self.steps[index].date_field}__isnull"] = True
            matches |= Q(**conditions)
        return [
            models.CheckConstraint(
                condition=in_order,
                name=in_order_name or f"{prefix}_steps_in_order",
                violation_error_message=in_order_message
                or _("Each step must be dated on or after the step before it."),
            ),
            models.CheckConstraint(
                condition=matches,
                name=matches_name or f"{prefix}_status_matches_dates",
                violation_error_message=matches_message or _("The status must match the steps that are dated."),
            ),
        ]

    # Counting -----------------------------------------------------------------------------------

    def step_metric(self, status: str, **declaration: Any) -> Metric:
        """The metric of a step (or of the start, if dated): rows count from the day they reach it."""
        date_field = self.date_field_of(status)
        assert self.model is not None and date_field is not None, f"{status} has no date"
        return Metric(model=self.model, date_field=date_field, **declaration)

    def step_metrics(
        self, key: str, labels: dict[str, Any], *, listing: Listing | None = None, **declaration: Any
    ) -> list[Metric]:
        """A metric per step named in `labels` ({status: label}), keyed `<key>_<status>`. A
        `listing` lists each step's rows by the range filter named after it (`<status>_after`,
        `<status>_before`: `xicheng.filters.step_dates`)."""
        return [
            self.step_metric(
                s,
                key=f"{key}_{s}",
                label=label,
                listing=None if listing is None else replace(listing, dates=(f"{s}_after", f"{s}_before")),
                **declaration,
            )
            for s, label in labels.items()
        ]

    def funnel(self, as_of: date, *, total_since: str | None = None) -> dict[str, models.Aggregate]:
        """Annotations counting, per step, the rows that reached it by the day (a funnel in one
        query, grouped however the caller groups); `total` counts the rows that exist by then,
        dated by `total_since` (the start's date by default). Each count is the step's metric's."""
        since = total_since or self.start_date
        assert self.model is not None and since is not None, "say from which day a row counts"
        result = {"total": counted_by(self._counter(since), as_of)}
        for step in self.steps:
            result[step.status] = counted_by(self._counter(step.date_field), as_of)
        return result

    def _counter(self, date_field: str) -> Metric:
        assert self.model is not None
        return Metric(key=date_field, label="", unit="", model=self.model, date_field=date_field, area="")


def counted_by(metric: Metric, as_of: date) -> models.Aggregate:
    """The metric's aggregate over the rows that count by the day."""
    condition = Q(**{f"{metric.date_field}__lte": as_of})
    if metric.filter is not None:
        condition &= metric.filter
    return metric.aggregate(condition)


def null_or_after(later: str, earlier: str) -> Q:
    """`later` is unset, or set on or after `earlier` (which must then be set)."""
    return Q(**{f"{later}__isnull": True}) | Q(**{f"{earlier}__isnull": False, f"{later}__gte": F(earlier)})


class StagedModel:
    """The behaviour of a staged row; the model sets `stages = Stages(…)`."""

    stages: Stages

    def _status(self) -> str:
        return str(getattr(self, self.stages.field))

    def _day(self, date_field: str | None) -> date | None:
        return getattr(self, date_field) if date_field else None

    @property
    def next_steps(self) -> tuple[Step, ...]:
        """The steps that may come next (one in a linear pipeline; none at the end)."""
        return self.stages.following(self._status())

    @property
    def next_step(self) -> Step | None:
        steps = self.next_steps
        return steps[0] if steps else None

    @property
    def next_choices(self) -> list[tuple[str, str]]:
        """(status, label) of each step that may come next, for a button each."""
        return [(s.status, self.stages.label(s.status)) for s in self.next_steps]

    @property
    def status_label(self) -> str:
        return self.stages.label(self._status())

    @property
    def next_status_label(self) -> str:
        step = self.next_step
        return self.stages.label(step.status) if step else ""

    @property
    def can_revert(self) -> bool:
        return self._status() != self.stages.start

    @property
    def previous_status_label(self) -> str:
        """What undoing the last step goes back to ("" at the start)."""
        return self.stages.label(self._previous_status()) if self.can_revert else ""

    def last_step_date(self) -> date | None:
        """The day of the last step taken (the start's day if none was, or None)."""
        days = [self._day(f) for f in (self.stages.start_date, *self.stages.date_fields)]
        return max((d for d in days if d is not None), default=None)

    def step_date_as_of(self, as_of: date) -> date | None:
        """The day of the last step taken by the day (the start's day if none was, or None)."""
        days = [self._day(f) for f in (self.stages.start_date, *self.stages.date_fields)]
        return max((d for d in days if d is not None and d <= as_of), default=None)

    def status_as_of(self, as_of: date) -> str:
        current = self.stages.start
        for step in self.stages.steps:
            day = self._day(step.date_field)
            if day is not None and day <= as_of:
                current = step.status
        return current

    def advance(self, on: date, to: str | None = None) -> None:
        """Record the next step on the day (`to` picks it where several may come next); refuses
        a skipped step, a step after the last and a day before the previous step."""
        stages, wording = self.stages, self.stages.wording
        following = self.next_steps
        if to is None and len(following) <= 1:
            if not following:
                raise ValidationError(wording.no_next)
            step = following[0]
        elif to is None:
            raise ValidationError({stages.choice_param: wording.choose})
        else:
            chosen = [s for s in following if s.status == to]
            if not chosen:
                message = wording.cannot_move % {
                    "current": stages.label(self._status()),
                    "target": stages.label(str(to)),
                }
                raise ValidationError({stages.choice_param: message})
            step = chosen[0]
        previous = self.last_step_date()
        if previous is not None and on < previous:
            message = wording.before_previous % {"on": on.isoformat(), "previous": previous.isoformat()}
            raise ValidationError({wording.error_field: message} if wording.error_field else message)
        setattr(self, stages.field, step.status)
        setattr(self, step.date_field, on)
        if stages.last_step_field:
            setattr(self, stages.last_step_field, on)

    def _previous_status(self) -> str:
        step = self.stages.step(self._status())
        taken = [s for s in step.after if s == self.stages.start or self._day(self.stages.step(s).date_field)]
        # The step it came from is the one that is dated (a branch leaves the other undated).
        return taken[-1] if taken else self.stages.start

    def revert(self) -> None:
        """Undo the last step: its day is cleared and the status goes back to the one it came from."""
        if not self.can_revert:
            raise ValidationError(self.stages.wording.nothing_to_undo)
        step = self.stages.step(self._status())
        setattr(self, self.stages.field, self._previous_status())
        setattr(self, step.date_field, None)
        if self.stages.last_step_field:
            setattr(self, self.stages.last_step_field, self.last_step_date())


# The services ---------------------------------------------------------------------------------


def _require_mover(row: models.Model, user: AnyUser) -> None:
    stages = cast(StagedModel, row).stages  # the rows these services take are staged models
    if stages.may_move is not None and not stages.may_move(user, row):
        raise PermissionDenied(_("You may not change this %(thing)s.") % {"thing": thing(row)})


@transaction.atomic
def stage_advance(row: M, *, on: date, version: int | None, acting_user: User, to: str | None = None) -> M:
    """Move a staged row exactly one step, dated `on` (not in the future, not before the last step)."""
    check_event_date(on, "on")
    _require_mover(row, acting_user)
    with locked_for_change(row, version=version, by=acting_user) as locked:
        cast(StagedModel, locked).advance(on, to=to)
    return locked


@transaction.atomic
def stage_revert(row: M, *, version: int | None, acting_user: User) -> M:
    """Undo a staged row's last step (a mis-tap): by whoever may move it, audited like a step."""
    _require_mover(row, acting_user)
    with locked_for_change(row, version=version, by=acting_user) as locked:
        cast(StagedModel, locked).revert()
    return locked


@transaction.atomic
def stage_undo(row: M, *, version: int | None, acting_user: User) -> M:
    """Undo the step just taken (a mis-tap), from the page: only the person who took it, and only
    within `history.UNDO_WINDOW`; the history keeps the step and its undo."""
    _require_mover(row, acting_user)
    with locked_for_change(row, version=version, by=acting_user) as locked:
        require_own_recent_change(locked, acting_user)
        cast(StagedModel, locked).revert()
    return locked
