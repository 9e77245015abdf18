"""Key projects (重点项目) and the work of clearing them household by household."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from xicheng.history import audited_history
from xicheng.models import Area
from xicheng.people import field_worker_field, leader_field, version_field
from xicheng.personal import EncryptedCharField, Kind, PersonalCharField, masked
from xicheng.scope import ScopedQuerySet, ScopeRule
from xicheng.stages import StagedModel, Stages, StageWording, Step, null_or_after
from xicheng.validators import (
    EVENT_DATE,
    NOTE_LENGTH,
    PLAN_DATE,
    note_validators,
    validate_phone,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def _not_after(field: str, as_of: date) -> Q:
    return Q(**{f"{field}__isnull": False, f"{field}__lte": as_of})


class ProjectQuerySet(ScopedQuerySet):
    scope_rule = ScopeRule(area="area", squad_members="squads__members", responsible=("lead_leader",))


class Project(models.Model):
    class Category(models.TextChoices):
        URBAN_RENEWAL = "urban_renewal", _("Urban renewal")
        INDUSTRIAL = "industrial", _("Industrial")
        POLICY = "policy", _("Policy handling")
        PUBLIC_WORKS = "public_works", _("Public works")
        CULTURE_TOURISM = "culture_tourism", _("Culture and tourism")

    class Status(models.TextChoices):
        PLANNING = "planning", _("Being planned")
        IN_PROGRESS = "in_progress", _("In progress")
        COMPLETED = "completed", _("Completed")
        SUSPENDED = "suspended", _("Suspended")

    name = models.CharField(_("name"), max_length=100, unique=True)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    area = models.ForeignKey(Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="projects")
    lead_leader = leader_field(_("lead leader"), related_name="led_projects")
    responsible_unit = models.CharField(_("responsible unit"), max_length=100, blank=True)
    planned_start = models.DateField(_("planned start"), validators=PLAN_DATE)
    planned_end = models.DateField(_("planned end"), validators=PLAN_DATE)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PLANNING)
    description = models.TextField(_("description"), blank=True, max_length=NOTE_LENGTH, validators=note_validators())
    version = version_field()

    history = audited_history()
    objects = ProjectQuerySet.as_manager()

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["planned_start", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(planned_end__gte=F("planned_start")),
                name="project_ends_after_start",
                violation_error_message=_("A project must end on or after its start."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class MilestoneQuerySet(ScopedQuerySet):
    scope_rule = ScopeRule(
        area="project__area", squad_members="project__squads__members", responsible=("project__lead_leader",)
    )

    def completed_by(self, as_of: date) -> MilestoneQuerySet:
        return self.filter(_not_after("actual_end", as_of))

    def overdue(self, as_of: date) -> MilestoneQuerySet:
        return self.filter(Milestone.overdue_q(as_of))


class Milestone(models.Model):
    """A stage of a project (前期摸底调查, 评估入户, 签约…); the current stage is the first unfinished one."""

    project = models.ForeignKey(Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="milestones")
    order = models.PositiveSmallIntegerField(_("order"))
    name = models.CharField(_("stage"), max_length=60)
    planned_start = models.DateField(_("planned start"), validators=PLAN_DATE)
    planned_end = models.DateField(_("planned end"), validators=PLAN_DATE)
    actual_start = models.DateField(_("actual start"), null=True, blank=True, validators=EVENT_DATE)
    actual_end = models.DateField(_("actual end"), null=True, blank=True, validators=EVENT_DATE)
    note = models.CharField(_("note"), max_length=200, blank=True)
    version = version_field()

    history = audited_history()
    objects = MilestoneQuerySet.as_manager()

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["project", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "order"],
                name="milestone_order_unique_in_project",
                violation_error_message=_("Two stages of a project cannot share a position."),
            ),
            models.CheckConstraint(
                condition=Q(planned_end__gte=F("planned_start")),
                name="milestone_planned_end_after_start",
                violation_error_message=_("A stage must be planned to end on or after its start."),
            ),
            models.CheckConstraint(
                condition=null_or_after("actual_end", "actual_start"),
                name="milestone_actual_end_after_start",
                violation_error_message=_("A stage can only end after it started."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project} · {self.name}"

    @staticmethod
    def overdue_q(as_of: date) -> Q:
        """Planned to end before the day and not finished by it."""
        return Q(planned_end__lt=as_of) & (Q(actual_end__isnull=True) | Q(actual_end__gt=as_of))

    def is_done(self, as_of: date) -> bool:
        return self.actual_end is not None and self.actual_end <= as_of

    def is_overdue(self, as_of: date) -> bool:
        return self.planned_end < as_of and not self.is_done(as_of)


class SquadQuerySet(ScopedQuerySet):
    scope_rule = ScopeRule(area="project__area", squad_members="members", responsible=("leader", "head"))

    def of_user(self, user: User) -> SquadQuerySet:
        """Squads the user leads, heads or belongs to."""
        member = Squad.objects.filter(members=user).values("pk")
        return self.filter(Q(pk__in=member) | Q(leader=user) | Q(head=user))


class Squad(models.Model):
    """攻坚小组 "1+1+N": one leading leader, one group head and N ≥ 1 members (neither of the two)."""

    project = models.ForeignKey(Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="squads")
    name = models.CharField(_("name"), max_length=60)
    leader = leader_field(_("leading leader"), related_name="led_squads")
    head = field_worker_field(_("group head"), related_name="headed_squads")
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("members"), related_name="squads")
    version = version_field()

    history = audited_history(m2m_fields=[members])
    objects = SquadQuerySet.as_manager()

    class Meta:
        verbose_name = _("squad")
        verbose_name_plural = _("squads")
        ordering = ["project", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "name"],
                name="squad_name_unique_in_project",
                violation_error_message=_("This project already has a squad of this name."),
            ),
            models.CheckConstraint(
                condition=~Q(leader=F("head")),
                name="squad_leader_is_not_head",
                violation_error_message=_("The leading leader and the group head must be two people."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class HouseholdQuerySet(ScopedQuerySet):
    scope_rule = ScopeRule(area="area", squad_members="squad__members", responsible=("squad__leader", "squad__head"))

    def existing(self, as_of: date) -> HouseholdQuerySet:
        return self.filter(created_on__lte=as_of)

    def of_squads_of(self, user: User) -> HouseholdQuerySet:
        return self.filter(squad__in=Squad.objects.of_user(user).values("pk"))

    def stalled(self, as_of: date, days: int = 30) -> HouseholdQuerySet:
        return self.filter(Household.stalled_q(as_of, days))


HOUSEHOLD_STAGES = Stages(
    field="status",
    start="new",
    steps=(
        Step("evaluated", "evaluated_on"),
        Step("signed", "signed_on"),
        Step("vacated", "vacated_on"),
        Step("demolished", "demolished_on"),
    ),
    last_step_field="last_step_on",
    wording=StageWording(
        no_next=_("This household is already demolished: there is no next step."),
        before_previous=_("The step cannot be dated %(on)s, before the previous step on %(previous)s."),
    ),
)


class Household(StagedModel, models.Model):
    """征迁户: one house to clear, moved along 未入户 → 已评估 → 已签约 → 已腾空 → 已拆除."""

    class Status(models.TextChoices):
        NEW = "new", _("Not yet visited")
        EVALUATED = "evaluated", _("Evaluated")
        SIGNED = "signed", _("Signed")
        VACATED = "vacated", _("Vacated")
        DEMOLISHED = "demolished", _("Demolished")

    stages = HOUSEHOLD_STAGES
    step_date_fields = HOUSEHOLD_STAGES.date_fields

    project = models.ForeignKey(Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="households")
    squad = models.ForeignKey(
        Squad,
        verbose_name=_("squad"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="households",
    )
    area = models.ForeignKey(Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="households")
    address = models.CharField(_("address"), max_length=200)
    owner_name = PersonalCharField(_("owner"), max_length=50, kind=Kind.NAME)
    owner_phone = EncryptedCharField(_("owner phone"), blank=True, validators=[validate_phone], kind=Kind.PHONE)
    # The largest house to clear in a subdistrict is a few thousand m²; 100,000 catches a typo.
    floor_area = models.DecimalField(
        _("floor area (m²)"),
        max_digits=9,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(100_000)],
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW)
    evaluated_on = models.DateField(_("evaluated on"), null=True, blank=True, validators=EVENT_DATE)
    signed_on = models.DateField(_("signed on"), null=True, blank=True, validators=EVENT_DATE)
    vacated_on = models.DateField(_("vacated on"), null=True, blank=True, validators=EVENT_DATE)
    demolished_on = models.DateField(_("demolished on"), null=True, blank=True, validators=EVENT_DATE)
    last_step_on = models.DateField(_("last step on"), null=True, blank=True, validators=EVENT_DATE)
    problem_title = models.BooleanField(_("property title problem"), default=False)
    problem_loan = models.BooleanField(_("loan transfer problem"), default=False)
    problem_other = models.BooleanField(_("other problem"), default=False)
    problem_note = models.CharField(_("problem note"), max_length=300, blank=True)
    created_on = models.DateField(_("listed on"), default=timezone.localdate)
    version = version_field()

    history = audited_history()
    objects = HouseholdQuerySet.as_manager()

    class Meta:
        verbose_name = _("household")
        # "households" alone is also a unit (处, 起, 户): the model's plural has its own context.
        verbose_name_plural = pgettext_lazy("model", "households")
        ordering = ["project", "address", "pk"]
        indexes = [models.Index(fields=["project", "status"]), models.Index(fields=["squad", "status"])]
        constraints = [
            *HOUSEHOLD_STAGES.constraints("household"),
            models.CheckConstraint(
                condition=Q(floor_area__gte=0),
                name="household_floor_area_not_negative",
                violation_error_message=_("The floor area cannot be negative."),
            ),
        ]

    def __str__(self) -> str:
        return self.address

    def clean(self) -> None:
        # Whoever assigns the squad (a service, the admin, an import): one of the project's own.
        if self.squad_id is not None and self.project_id is not None:
            squad_project = Squad.objects.filter(pk=self.squad_id).values_list("project_id", flat=True).first()
            if squad_project is not None and squad_project != self.project_id:
                raise ValidationError({"squad": _("The squad works on another project.")})

    @staticmethod
    def stalled_q(as_of: date, days: int = 30) -> Q:
        """Listed, not demolished and without any step in the `days` up to the day."""
        since = as_of - timedelta(days=days)
        q = Q(created_on__lte=since) & ~_not_after("demolished_on", as_of)
        for name in Household.step_date_fields:
            q &= Q(**{f"{name}__isnull": True}) | Q(**{f"{name}__lte": since}) | Q(**{f"{name}__gt": as_of})
        return q

    @property
    def masked_owner_name(self) -> str:
        return masked(self, "owner_name")

    @property
    def problems(self) -> list[str]:
        flags = [(self.problem_title, _("Property title")), (self.problem_loan, _("Loan transfer"))]
        flags.append((self.problem_other, _("Other")))
        return [str(label) for on, label in flags if on]

    def last_step_as_of(self, as_of: date) -> date:
        """The day of the last step taken by the day, or the day it was listed."""
        return self.step_date_as_of(as_of) or self.created_on


class ProjectIssueQuerySet(ScopedQuerySet):
    scope_rule = ScopeRule(
        area="project__area",
        squad_members="project__squads__members",
        responsible=("owner", "project__lead_leader"),
    )

    def open_on(self, as_of: date) -> ProjectIssueQuerySet:
        return self.filter(created_on__lte=as_of).exclude(_not_after("resolved_on", as_of))

    def overdue(self, as_of: date) -> ProjectIssueQuerySet:
        return self.open_on(as_of).filter(due_on__lt=as_of)


class ProjectIssue(models.Model):
    """问题清单: a blocker worked through 问需 → 算账 → 代跑 until it is resolved."""

    class Status(models.TextChoices):
        ASKING = "asking", _("Asking what is needed")
        RECKONING = "reckoning", _("Doing the sums")
        RUNNING = "running", _("Running the errands")
        RESOLVED = "resolved", _("Resolved")

    project = models.ForeignKey(Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="issues")
    household = models.ForeignKey(
        Household,
        verbose_name=_("household"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="issues",
    )
    title = models.CharField(_("issue"), max_length=200)
    owner = field_worker_field(_("responsible person"), related_name="project_issues")
    due_on = models.DateField(_("due date"), validators=PLAN_DATE)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.ASKING)
    resolution = models.TextField(_("resolution"), blank=True, max_length=NOTE_LENGTH, validators=note_validators())
    created_on = models.DateField(_("raised on"), default=timezone.localdate, validators=EVENT_DATE)
    resolved_on = models.DateField(_("resolved on"), null=True, blank=True, validators=EVENT_DATE)
    version = version_field()

    history = audited_history()
    objects = ProjectIssueQuerySet.as_manager()

    class Meta:
        verbose_name = _("project issue")
        verbose_name_plural = _("project issues")
        ordering = ["due_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(status="resolved") & Q(resolved_on__isnull=False) & ~Q(resolution=""))
                | (~Q(status="resolved") & Q(resolved_on__isnull=True)),
                name="project_issue_resolved_has_date_and_resolution",
                violation_error_message=_("A resolved issue has a resolution and the day it was resolved."),
            )
        ]

    def __str__(self) -> str:
        return self.title

    @staticmethod
    def overdue_q(as_of: date) -> Q:
        """Raised by the day, not resolved by it and past its due day (as `overdue`, as one Q)."""
        return Q(created_on__lte=as_of, due_on__lt=as_of) & ~_not_after("resolved_on", as_of)

    def is_overdue(self, as_of: date) -> bool:
        return self.due_on < as_of and not (self.resolved_on is not None and self.resolved_on <= as_of)


class InvestmentLeadQuerySet(ScopedQuerySet):
    scope_rule = ScopeRule(area="area", responsible=("owner",))


LEAD_STAGES = Stages(
    field="stage",
    start="talks",
    start_date="talks_on",
    steps=(Step("signed", "signed_on"), Step("landed", "landed_on"), Step("producing", "producing_on")),
    wording=StageWording(
        no_next=_("This lead is already in production: there is no next stage."),
        before_previous=_("The stage cannot be dated %(on)s, before the previous stage on %(previous)s."),
    ),
)


class InvestmentLead(StagedModel, models.Model):
    """招商引资储备库: a company the subdistrict courts, from 洽谈 to 投产."""

    class Industry(models.TextChoices):
        HARDWARE = "hardware", _("Modern hardware")
        NEW_ENERGY = "new_energy", _("New energy")
        EQUIPMENT = "equipment", _("Equipment manufacturing")
        OTHER = "other", _("Other")

    class Stage(models.TextChoices):
        TALKS = "talks", _("In talks")
        SIGNED = "signed", _("Signed")
        LANDED = "landed", _("Landed")
        PRODUCING = "producing", _("In production")

    stages = LEAD_STAGES

    company = models.CharField(_("company"), max_length=100)
    industry = models.CharField(_("industry"), max_length=20, choices=Industry.choices)
    # In 万元: up to ten million (a thousand yuan billion) is a project; more is a typo.
    amount = models.DecimalField(
        _("amount (10k yuan)"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(10_000_000)],
    )
    area = models.ForeignKey(Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="investment_leads")
    owner = field_worker_field(_("responsible person"), related_name="investment_leads")
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, default=Stage.TALKS)
    talks_on = models.DateField(_("talks began on"), validators=EVENT_DATE)
    signed_on = models.DateField(_("signed on"), null=True, blank=True, validators=EVENT_DATE)
    landed_on = models.DateField(_("landed on"), null=True, blank=True, validators=EVENT_DATE)
    producing_on = models.DateField(_("in production on"), null=True, blank=True, validators=EVENT_DATE)
    note = models.CharField(_("note"), max_length=300, blank=True)
    version = version_field()

    history = audited_history()
    objects = InvestmentLeadQuerySet.as_manager()

    class Meta:
        verbose_name = _("investment lead")
        verbose_name_plural = _("investment leads")
        ordering = ["-amount", "company"]
        constraints = [
            *LEAD_STAGES.constraints(
                "investment_lead",
                in_order_name="investment_lead_stages_in_order",
                in_order_message=_("Each stage must be dated on or after the stage before it."),
                matches_name="investment_lead_stage_matches_dates",
                matches_message=_("The stage must match the stages that are dated."),
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0),
                name="investment_lead_amount_not_negative",
                violation_error_message=_("The amount cannot be negative."),
            ),
        ]

    def __str__(self) -> str:
        return self.company
