"""基层治理: rental houses, six-in-one inspections, migrants, hazards, disputes, daily zero reports."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from governance.validators import validate_id_number
from xicheng import clock
from xicheng.history import audited_history
from xicheng.models import Area
from xicheng.people import entered_by_field, field_worker_field, version_field
from xicheng.personal import EncryptedCharField, Kind
from xicheng.scope import ScopedQuerySet, ScopeRule
from xicheng.stages import StagedModel, Stages, StageWording, Step
from xicheng.validators import (
    EVENT_DATE,
    NOTE_LENGTH,
    PLAN_DATE,
    count_validators,
    note_validators,
    validate_phone,
)


class Force(models.TextChoices):
    """The six forces of a six-in-one inspection team (六位一体)."""

    STREET = "street", _("Subdistrict")
    POLICE = "police", _("Police")
    ENFORCEMENT = "enforcement", _("Law enforcement")
    VILLAGE = "village", _("Village / community")
    PARTY = "party", _("Party members")
    GRID = "grid", _("Grid workers")


FORCE_FIELDS = {force: f"with_{force}" for force in Force.values}


class RentalHouseQuerySet(ScopedQuerySet):
    scope_rule = ScopeRule(area="area")


class RentalHouse(models.Model):
    """出租房: a let house in a grid."""

    area = models.ForeignKey(Area, verbose_name=_("grid"), on_delete=models.PROTECT, related_name="rental_houses")
    address = models.CharField(_("address"), max_length=200)
    landlord = models.CharField(_("landlord"), max_length=50)
    landlord_phone = EncryptedCharField(_("landlord phone"), blank=True, validators=[validate_phone], kind=Kind.PHONE)
    # A let house has at least one room; a few hundred is a dormitory block, more is a typo.
    rooms = models.PositiveSmallIntegerField(_("rooms"), default=1, validators=count_validators(1, 500))
    active = models.BooleanField(_("active"), default=True)
    version = version_field()

    history = audited_history()
    objects = RentalHouseQuerySet.as_manager()

    class Meta:
        verbose_name = _("rental house")
        verbose_name_plural = _("rental houses")
        ordering = ["area__path", "address", "pk"]
        # A grid's houses in the list's order (a cadre's list is a few grids).
        indexes = [models.Index(fields=["area", "address", "id"])]

    def __str__(self) -> str:
        return self.address


class InspectionQuerySet(ScopedQuerySet):
    scope_rule = ScopeRule(area="house__area", responsible=("inspector",))


class Inspection(models.Model):
    """清查: a six-in-one team's visit to a rental house."""

    house = models.ForeignKey(
        RentalHouse, verbose_name=_("rental house"), on_delete=models.PROTECT, related_name="inspections"
    )
    inspected_on = models.DateField(_("inspection date"), validators=EVENT_DATE)
    with_street = models.BooleanField(_("Subdistrict"), default=False)
    with_police = models.BooleanField(_("Police"), default=False)
    with_enforcement = models.BooleanField(_("Law enforcement"), default=False)
    with_village = models.BooleanField(_("Village / community"), default=False)
    with_party = models.BooleanField(_("Party members"), default=False)
    with_grid = models.BooleanField(_("Grid workers"), default=False)
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("inspector"), on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(_("note"), blank=True, max_length=NOTE_LENGTH, validators=note_validators())

    history = audited_history()
    objects = InspectionQuerySet.as_manager()

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        ordering = ["-inspected_on", "-pk"]
        # The list's order, so a page is read from the index in order (the scope's keys have theirs);
        # with the house, "houses inspected" over a period reads the index alone (a city: 101 → 8 ms).
        indexes = [models.Index(fields=["inspected_on", "id"], include=["house"], name="inspection_by_day")]
        constraints = [
            models.CheckConstraint(
                condition=Q(with_street=True)
                | Q(with_police=True)
                | Q(with_enforcement=True)
                | Q(with_village=True)
                | Q(with_party=True)
                | Q(with_grid=True),
                name="inspection_has_a_force",
                violation_error_message=_("Tick at least one force present at the inspection."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.house} {self.inspected_on}"

    @property
    def forces(self) -> list[str]:
        return [force for force, field in FORCE_FIELDS.items() if getattr(self, field)]

    @forces.setter
    def forces(self, values: list[str]) -> None:
        for force, field in FORCE_FIELDS.items():
            setattr(self, field, force in values)

    def forces_display(self) -> list[str]:
        labels = dict(Force.choices)
        return [str(labels[force]) for force in self.forces]


class MigrantQuerySet(ScopedQuerySet):
    scope_rule = ScopeRule(area="house__area")

    def staying_on(self, day: date) -> MigrantQuerySet:
        return self.filter(registered_on__lte=day).filter(Q(left_on__isnull=True) | Q(left_on__gte=day))

    def at_two_houses(self) -> MigrantQuerySet:
        """Registrations of one person (one ID index) at another house during an overlapping stay.

        Stays [a1, b1] and [a2, b2] overlap when a1 <= b2 and a2 <= b1, an open end being infinite."""
        others = (
            Migrant.objects.filter(id_number_index=models.OuterRef("id_number_index"))
            .exclude(house=models.OuterRef("house"))
            .filter(Q(left_on__isnull=True) | Q(left_on__gte=models.OuterRef("registered_on")))
        )
        starts_before_end = others.filter(registered_on__lte=models.OuterRef("left_on"))
        return self.filter((Q(left_on__isnull=True) & models.Exists(others)) | models.Exists(starts_before_end))


class Migrant(models.Model):
    """外来人员登记: a person from elsewhere registered at a rental house."""

    house = models.ForeignKey(
        RentalHouse, verbose_name=_("rental house"), on_delete=models.PROTECT, related_name="migrants"
    )
    name = models.CharField(pgettext_lazy("a person's", "name"), max_length=50)
    id_number = EncryptedCharField(_("ID number"), validators=[validate_id_number], kind=Kind.ID_NUMBER)
    # A keyed hash of the ID number: exact search and the "same person twice" check without decrypting.
    id_number_index = models.CharField(max_length=64, db_index=True, editable=False)
    phone = EncryptedCharField(_("phone"), blank=True, validators=[validate_phone], kind=Kind.PHONE)
    origin = models.CharField(_("origin"), max_length=100, blank=True)
    registered_on = models.DateField(_("registered on"), validators=EVENT_DATE)
    left_on = models.DateField(_("left on"), null=True, blank=True, validators=EVENT_DATE)

    history = audited_history(excluded_fields=["id_number_index"])
    objects = MigrantQuerySet.as_manager()

    class Meta:
        verbose_name = _("migrant")
        verbose_name_plural = _("migrants")
        ordering = ["-registered_on", "-pk"]
        # The list's order, so a page is read from the index in order (the scope's keys have theirs).
        indexes = [models.Index(fields=["registered_on", "id"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gte=F("registered_on")),
                name="migrant_leaves_after_registering",
                violation_error_message=_("A migrant cannot leave before being registered."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class HazardQuerySet(ScopedQuerySet):
    scope_rule = ScopeRule(area="area")

    def open_on(self, as_of: date) -> HazardQuerySet:
        return self.filter(found_on__lte=as_of).filter(Q(rectified_on__isnull=True) | Q(rectified_on__gt=as_of))

    def overdue(self, as_of: date) -> HazardQuerySet:
        """Past their deadline and not rectified as of the day."""
        return self.open_on(as_of).filter(deadline__lt=as_of)


def hazard_overdue_q(as_of: date) -> Q:
    return Q(deadline__lt=as_of, found_on__lte=as_of) & (Q(rectified_on__isnull=True) | Q(rectified_on__gt=as_of))


class Hazard(models.Model):
    """隐患: a hazard found at a house or in an area, with a deadline to rectify it."""

    class Category(models.TextChoices):
        FIRE = "fire", _("Fire")
        GAS = "gas", _("Gas")
        ELECTRICITY = "electricity", _("Electricity")
        TRAFFIC = "traffic", _("Traffic")
        OTHER = "other", _("Other")

    house = models.ForeignKey(
        RentalHouse,
        verbose_name=_("rental house"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="hazards",
    )
    inspection = models.ForeignKey(
        Inspection,
        verbose_name=_("inspection"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="hazards",
    )
    area = models.ForeignKey(Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="hazards")
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    description = models.CharField(_("description"), max_length=200, blank=True)
    found_on = models.DateField(_("found on"), validators=EVENT_DATE)
    deadline = models.DateField(_("deadline"), validators=PLAN_DATE)
    rectified_on = models.DateField(_("rectified on"), null=True, blank=True, validators=EVENT_DATE)
    reported_by = entered_by_field(_("reported by"))
    version = version_field()

    history = audited_history()
    objects = HazardQuerySet.as_manager()

    class Meta:
        verbose_name = _("hazard")
        # "hazards" alone is also a unit (处, 起, 户): the model's plural has its own context.
        verbose_name_plural = pgettext_lazy("model", "hazards")
        ordering = ["deadline", "pk"]
        indexes = [
            models.Index(fields=["found_on"]),
            models.Index(fields=["rectified_on"]),
            # The list's order, so a page is read from the index in order.
            models.Index(fields=["deadline", "id"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(deadline__gt=F("found_on")),
                name="hazard_deadline_after_found",
                violation_error_message=_("The deadline must come after the day the hazard was found."),
            ),
            models.CheckConstraint(
                condition=Q(rectified_on__isnull=True) | Q(rectified_on__gte=F("found_on")),
                name="hazard_rectified_not_before_found",
                violation_error_message=_("A hazard cannot be rectified before it was found."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} · {self.description or self.area}"

    def is_overdue(self, as_of: date) -> bool:
        return self.deadline < as_of and (self.rectified_on is None or self.rectified_on > as_of)

    def days_overdue(self, as_of: date) -> int:
        return max((as_of - self.deadline).days, 0) if self.is_overdue(as_of) else 0


class DisputeQuerySet(ScopedQuerySet):
    scope_rule = ScopeRule(area="area", responsible=("mediator",))

    def open_on(self, as_of: date) -> DisputeQuerySet:
        """Received by the day and neither resolved nor escalated by then."""
        return (
            self.filter(received_on__lte=as_of)
            .filter(Q(resolved_on__isnull=True) | Q(resolved_on__gt=as_of))
            .filter(Q(escalated_on__isnull=True) | Q(escalated_on__gt=as_of))
        )

    def long_open(self, as_of: date, days: int = 30) -> DisputeQuerySet:
        return self.open_on(as_of).filter(received_on__lt=as_of - timedelta(days=days))


def dispute_long_open_q(as_of: date, days: int = 30) -> Q:
    """`long_open` as one Q, for disputes read as they stood (xicheng.asof)."""
    return (
        Q(received_on__lte=as_of, received_on__lt=as_of - timedelta(days=days))
        & (Q(resolved_on__isnull=True) | Q(resolved_on__gt=as_of))
        & (Q(escalated_on__isnull=True) | Q(escalated_on__gt=as_of))
    )


# Received → in mediation → resolved or escalated; a dispute may also be resolved or escalated
# straight from its receipt.
DISPUTE_STAGES = Stages(
    field="status",
    start="received",
    start_date="received_on",
    steps=(
        Step("mediating", "mediating_on"),
        Step("resolved", "resolved_on", after=("received", "mediating")),
        Step("escalated", "escalated_on", after=("received", "mediating")),
    ),
    choice_param="to_status",
    wording=StageWording(
        cannot_move=_("A dispute that is “%(current)s” cannot move to “%(target)s”."),
        before_previous=_("This step cannot be dated before the previous one."),
        error_field="on",
    ),
)


class Dispute(StagedModel, models.Model):
    """矛盾纠纷: received → in mediation → resolved or escalated, with the day of each step."""

    class Category(models.TextChoices):
        NEIGHBOURS = "neighbours", _("Neighbours")
        FAMILY = "family", _("Marriage and family")
        LAND = "land", _("Land and housing")
        LABOUR = "labour", _("Labour and wages")
        PROPERTY = "property", _("Property management")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        MEDIATING = "mediating", _("In mediation")
        RESOLVED = "resolved", _("Resolved")
        ESCALATED = "escalated", _("Escalated")

    stages = DISPUTE_STAGES

    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    area = models.ForeignKey(Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="disputes")
    summary = models.TextField(_("parties and summary"), max_length=NOTE_LENGTH, validators=note_validators())
    mediator = field_worker_field(_("mediator"), optional=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.RECEIVED)
    received_on = models.DateField(_("received on"), validators=EVENT_DATE)
    mediating_on = models.DateField(_("mediation started on"), null=True, blank=True, validators=EVENT_DATE)
    resolved_on = models.DateField(_("resolved on"), null=True, blank=True, validators=EVENT_DATE)
    escalated_on = models.DateField(_("escalated on"), null=True, blank=True, validators=EVENT_DATE)
    version = version_field()

    history = audited_history()
    objects = DisputeQuerySet.as_manager()

    class Meta:
        verbose_name = _("dispute")
        # "disputes" alone is also a unit (处, 起, 户): the model's plural has its own context.
        verbose_name_plural = pgettext_lazy("model", "disputes")
        ordering = ["-received_on", "-pk"]
        # received_on with id: the list's order, so a page is read from the index in order.
        indexes = [models.Index(fields=["received_on", "id"]), models.Index(fields=["resolved_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(resolved_on__isnull=True) | Q(escalated_on__isnull=True),
                name="dispute_resolved_or_escalated_not_both",
                violation_error_message=_("A dispute is either resolved or escalated, not both."),
            ),
            models.CheckConstraint(
                condition=Q(mediating_on__isnull=True) | Q(mediating_on__gte=F("received_on")),
                name="dispute_mediation_after_receipt",
                violation_error_message=_("Mediation cannot start before the dispute was received."),
            ),
            models.CheckConstraint(
                condition=Q(resolved_on__isnull=True) | Q(resolved_on__gte=F("received_on")),
                name="dispute_resolved_after_receipt",
                violation_error_message=_("A dispute cannot be resolved before it was received."),
            ),
            models.CheckConstraint(
                condition=Q(escalated_on__isnull=True) | Q(escalated_on__gte=F("received_on")),
                name="dispute_escalated_after_receipt",
                violation_error_message=_("A dispute cannot be escalated before it was received."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} · {self.summary[:30]}"


class ZeroReportQuerySet(ScopedQuerySet):
    scope_rule = ScopeRule(area="village")


class ZeroReport(models.Model):
    """零报告: a village's daily report, made even when nothing happened."""

    village = models.ForeignKey(
        Area,
        verbose_name=_("village"),
        on_delete=models.PROTECT,
        related_name="zero_reports",
        limit_choices_to={"level": Area.Level.VILLAGE},
    )
    day = models.DateField(_("day"), validators=EVENT_DATE)
    incidents = models.PositiveIntegerField(_("incidents"), default=0, validators=count_validators(0, 1000))
    note = models.CharField(_("note"), max_length=200, blank=True)
    reported_by = entered_by_field(_("reported by"))

    history = audited_history()
    objects = ZeroReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("zero report")
        verbose_name_plural = _("zero reports")
        ordering = ["-day", "village__path"]
        constraints = [
            models.UniqueConstraint(
                fields=["village", "day"],
                name="zero_report_one_per_village_day",
                violation_error_message=_("This village has already sent its report for this day."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.village} {self.day}"

    def clean(self) -> None:
        # A report says how the day went: sent that day, or the next morning at the latest.
        if self._state.adding and self.day is not None:
            check_zero_report_day(self.day)


def check_zero_report_day(day: date) -> None:
    today = clock.today()
    if day not in (today, today - timedelta(days=1)):
        raise ValidationError(
            {"day": _("A zero report is sent for today or yesterday, not for %(day)s.") % {"day": day.isoformat()}}
        )
