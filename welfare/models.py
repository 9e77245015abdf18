"""Livelihood (民生): care centres, the villages they serve, enrolled elders, the daily meal
deliveries with each elder's receipt, and the safety checks raised when a lone elder is not reached.

Scope. A centre belongs to its estate (悦虹湾小区 under 四方社区); its cadres run the day sheet, so
deliveries and receipts are *changed* by the cadres of the centre's area. The village cadres read
their village's deliveries too (`read_also`), and they answer for their elders and for the safety
checks of those elders.
"""

from __future__ import annotations

from datetime import date, time

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from xicheng.history import audited_history
from xicheng.models import Area
from xicheng.people import entered_by_field, version_field
from xicheng.personal import EncryptedCharField, Kind, PersonalCharField
from xicheng.scope import ScopedQuerySet, ScopeRule
from xicheng.validators import (
    EVENT_DATE,
    NOTE_LENGTH,
    SCHEDULED_DATE,
    SHORT_TEXT_LENGTH,
    count_validators,
    note_validators,
    validate_phone,
    year_validators,
)


def meal_on_time() -> time:
    """Meals delivered by this time of day count as on time (settings.MEAL_ON_TIME, 11:00)."""
    return getattr(settings, "MEAL_ON_TIME", time(11, 0))


class CareCenterQuerySet(ScopedQuerySet):
    scope_rule = ScopeRule(area="area", read_also=("served_villages__village",))


class CareCenter(models.Model):
    """A home-care centre (居家养老服务照料中心) that cooks or buys in meals and delivers them."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    area = models.ForeignKey(
        Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="care_centers", help_text=_("Its estate.")
    )
    operator = models.CharField(_("operator"), max_length=100)
    caterer = models.CharField(_("caterer"), max_length=100, blank=True)
    daily_capacity = models.PositiveIntegerField(
        _("daily capacity"), help_text=_("Meals it can deliver a day."), validators=count_validators(1, 10_000)
    )

    history = audited_history()
    objects = CareCenterQuerySet.as_manager()

    class Meta:
        verbose_name = _("care centre")
        verbose_name_plural = _("care centres")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def served_on(day: date, prefix: str = "") -> Q:
    """Served villages whose service covers the day (until is the last day served)."""
    return Q(**{f"{prefix}since__lte": day}) & (
        Q(**{f"{prefix}until__isnull": True}) | Q(**{f"{prefix}until__gte": day})
    )


class ServedVillageQuerySet(ScopedQuerySet):
    scope_rule = ScopeRule(area="center__area", read_also=("village",))

    def serving_on(self, day: date) -> ServedVillageQuerySet:
        return self.filter(served_on(day))


class ServedVillage(models.Model):
    """A village or community a centre delivers to, from `since` up to and including `until`."""

    center = models.ForeignKey(
        CareCenter, verbose_name=_("care centre"), on_delete=models.PROTECT, related_name="served_villages"
    )
    village = models.ForeignKey(Area, verbose_name=_("village"), on_delete=models.PROTECT, related_name="served_by")
    since = models.DateField(_("served since"), validators=SCHEDULED_DATE)
    until = models.DateField(_("served until"), null=True, blank=True, validators=SCHEDULED_DATE)

    history = audited_history()
    objects = ServedVillageQuerySet.as_manager()

    class Meta:
        verbose_name = _("served village")
        verbose_name_plural = _("served villages")
        ordering = ["center", "village__path"]
        constraints = [
            models.UniqueConstraint(
                fields=["center", "village"],
                name="served_village_once_per_center",
                violation_error_message=_("This centre already serves this village."),
            ),
            models.CheckConstraint(
                condition=Q(until__isnull=True) | Q(until__gte=models.F("since")),
                name="served_village_until_after_since",
                violation_error_message=_("Service must end on or after it starts."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.center} · {self.village}"


def enrolled_on(day: date, prefix: str = "") -> Q:
    """Elders enrolled on the day: enrolled on or before it, not yet left (left_on is the first day away)."""
    return Q(**{f"{prefix}enrolled_on__lte": day}) & (
        Q(**{f"{prefix}left_on__isnull": True}) | Q(**{f"{prefix}left_on__gt": day})
    )


class ElderQuerySet(ScopedQuerySet):
    scope_rule = ScopeRule(area="village")

    def enrolled(self, day: date) -> ElderQuerySet:
        return self.filter(enrolled_on(day))


class Elder(models.Model):
    """An elder enrolled for meals. Phone and emergency contact are personal data: encrypted, masked."""

    name = PersonalCharField(pgettext_lazy("a person's", "name"), max_length=50, kind=Kind.NAME)
    village = models.ForeignKey(Area, verbose_name=_("village"), on_delete=models.PROTECT, related_name="elders")
    birth_year = models.PositiveSmallIntegerField(_("birth year"), validators=year_validators())
    lives_alone = models.BooleanField(_("lives alone"), default=False)
    phone = EncryptedCharField(_("phone"), blank=True, validators=[validate_phone], kind=Kind.PHONE)
    emergency_contact = EncryptedCharField(
        _("emergency contact"),
        blank=True,
        help_text=_("Name and phone."),
        kind=Kind.CONTACT,
        max_length=SHORT_TEXT_LENGTH,
        validators=note_validators(SHORT_TEXT_LENGTH),
    )
    dietary_needs = models.CharField(_("dietary needs"), max_length=200, blank=True)
    enrolled_on = models.DateField(_("enrolled on"), validators=EVENT_DATE)
    # May lie a few days ahead: the elder is moving away next week.
    left_on = models.DateField(
        _("left on"), null=True, blank=True, help_text=_("The first day without meals."), validators=SCHEDULED_DATE
    )
    version = version_field()

    history = audited_history()
    objects = ElderQuerySet.as_manager()

    class Meta:
        verbose_name = _("elder")
        verbose_name_plural = _("elders")
        ordering = ["village__path", "name", "pk"]
        # A village's elders in the list's order.
        indexes = [models.Index(fields=["village", "name", "id"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gt=models.F("enrolled_on")),
                name="elder_leaves_after_enrolling",
                violation_error_message=_("An elder leaves after the day they enrolled."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def is_enrolled(self, day: date) -> bool:
        return self.enrolled_on <= day and (self.left_on is None or self.left_on > day)


class MealDeliveryQuerySet(ScopedQuerySet):
    scope_rule = ScopeRule(area="center__area", read_also=("village",))


class MealDelivery(models.Model):
    """A centre's delivery to one village on one day: when it arrived and who brought it."""

    center = models.ForeignKey(
        CareCenter, verbose_name=_("care centre"), on_delete=models.PROTECT, related_name="deliveries"
    )
    village = models.ForeignKey(Area, verbose_name=_("village"), on_delete=models.PROTECT, related_name="deliveries")
    day = models.DateField(_("day"), validators=EVENT_DATE)
    delivered_at = models.TimeField(_("time delivered"))
    courier = models.CharField(_("courier"), max_length=50)
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = entered_by_field(_("recorded by"))
    version = version_field()

    history = audited_history()
    objects = MealDeliveryQuerySet.as_manager()

    class Meta:
        verbose_name = _("meal delivery")
        verbose_name_plural = _("meal deliveries")
        ordering = ["-day", "village__path"]
        constraints = [
            models.UniqueConstraint(
                fields=["center", "village", "day"],
                name="meal_delivery_one_per_center_village_day",
                violation_error_message=_("This centre already delivered to this village on this day."),
            ),
        ]
        indexes = [
            models.Index(fields=["day", "village"]),
            # The meals list's order (a delivery's receipts, delivery after delivery, day after day):
            # the first page reads a few deliveries in this index instead of sorting a centre's year.
            models.Index(fields=["day", "id"]),
        ]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d} {self.village}"

    @property
    def on_time(self) -> bool:
        return self.delivered_at <= meal_on_time()


class MealReceiptQuerySet(ScopedQuerySet):
    scope_rule = ScopeRule(area="delivery__center__area", read_also=("delivery__village",))


class MealReceipt(models.Model):
    """One elder's meal on a delivery: handed over, nobody answered the door, or declined."""

    class Outcome(models.TextChoices):
        DELIVERED = "delivered", _("Delivered")
        NOT_HOME = "not_home", _("Not at home")
        DECLINED = "declined", _("Declined")

    delivery = models.ForeignKey(
        MealDelivery, verbose_name=_("meal delivery"), on_delete=models.CASCADE, related_name="receipts"
    )
    elder = models.ForeignKey(Elder, verbose_name=_("elder"), on_delete=models.PROTECT, related_name="receipts")
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, default=Outcome.DELIVERED)

    history = audited_history()
    objects = MealReceiptQuerySet.as_manager()

    class Meta:
        verbose_name = _("meal receipt")
        verbose_name_plural = _("meal receipts")
        ordering = ["delivery", "elder"]
        constraints = [
            models.UniqueConstraint(
                fields=["delivery", "elder"],
                name="meal_receipt_one_per_elder_delivery",
                violation_error_message=_("This elder already has a meal on this delivery."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.delivery} {self.elder}: {self.get_outcome_display()}"


class SafetyCheckQuerySet(ScopedQuerySet):
    scope_rule = ScopeRule(area="elder__village")

    def open(self) -> SafetyCheckQuerySet:
        return self.filter(resolved_at__isnull=True)

    def open_as_of(self, day: date) -> SafetyCheckQuerySet:
        """Raised by the day and not resolved by its end."""
        return self.filter(day__lte=day).filter(Q(resolved_at__isnull=True) | Q(resolved_at__date__gt=day))


def check_open_on(day: date) -> Q:
    """`open_as_of` as one Q, for checks read as they stood (xicheng.asof)."""
    return Q(day__lte=day) & (Q(resolved_at__isnull=True) | Q(resolved_at__date__gt=day))


class SafetyCheck(models.Model):
    """A lone elder nobody reached by the cut-off: open until a cadre reaches them and says how they are."""

    class Reason(models.TextChoices):
        NOT_HOME = "not_home", _("Not at home when the meal came")
        NO_RECEIPT = "no_receipt", _("No meal recorded by the cut-off")

    elder = models.ForeignKey(Elder, verbose_name=_("elder"), on_delete=models.PROTECT, related_name="safety_checks")
    day = models.DateField(_("day"))
    reason = models.CharField(_("reason"), max_length=12, choices=Reason.choices)
    raised_at = models.DateTimeField(_("raised at"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = entered_by_field(_("resolved by"))
    finding = models.TextField(_("finding"), blank=True, max_length=NOTE_LENGTH, validators=note_validators())
    version = version_field()

    history = audited_history()
    objects = SafetyCheckQuerySet.as_manager()

    class Meta:
        verbose_name = _("safety check")
        verbose_name_plural = _("safety checks")
        ordering = ["day", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["elder", "day"],
                name="safety_check_one_per_elder_day",
                violation_error_message=_("This elder already has a safety check for this day."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d} {self.elder}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None
