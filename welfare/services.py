"""Writes of the livelihood domain that carry a rule: the day sheet, enrolment, safety checks."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from welfare.models import CareCenter, Elder, MealDelivery, MealReceipt, SafetyCheck, ServedVillage, served_on
from xicheng import clock, facts
from xicheng.history import bulk_history_attrs
from xicheng.locking import Conflict, locked_for_change, refuse_stale
from xicheng.overview_cache import written
from xicheng.scope import areas_changeable_by
from xicheng.validators import check_event_date, normalise_phone

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from xicheng.models import Area
    from xicheng.roles import AnyUser

Outcome = MealReceipt.Outcome


def meal_cutoff() -> time:
    return settings.MEAL_CUTOFF


@dataclass
class VillageSheet:
    """One village's part of a day sheet, as the courier reports it."""

    village_id: int
    delivered_at: time | None
    courier: str
    outcomes: dict[int, str]  # elder id → MealReceipt.Outcome value
    note: str = ""
    version: int | None = None  # the delivery's version when the sheet was read; None when new


@dataclass
class SheetResult:
    deliveries: list[MealDelivery]
    checks_raised: list[SafetyCheck] = field(default_factory=list)


def may_run_sheet(user: AnyUser, center: CareCenter) -> bool:
    """The cadres of the centre's area (and data admins) record its deliveries."""
    return (
        user.has_perm("welfare.add_mealdelivery")
        and user.has_perm("welfare.change_mealdelivery")
        and CareCenter.objects.changeable_by(user).filter(pk=center.pk).exists()
    )


@transaction.atomic
def day_sheet_save(*, center: CareCenter, day: date, villages: list[VillageSheet], acting_user: User) -> SheetResult:
    """Save a centre's whole day: every served village, every enrolled elder, all or nothing.

    A village already saved that day is corrected in place (its version must match); a new one
    is created. Lone elders marked not at home raise a safety check."""
    return _save_day(center=center, day=day, villages=villages, acting_user=acting_user, whole_sheet=True)


@transaction.atomic
def meal_delivery_create(
    *,
    center: CareCenter,
    village: Area,
    day: date,
    delivered_at: time,
    courier: str,
    outcomes: dict[int, str],
    note: str = "",
    acting_user: User,
) -> MealDelivery:
    """One village's delivery on a day; a second one for the same centre, village and day is refused."""
    row = VillageSheet(village_id=village.pk, delivered_at=delivered_at, courier=courier, outcomes=outcomes, note=note)
    result = _save_day(center=center, day=day, villages=[row], acting_user=acting_user, whole_sheet=False)
    return result.deliveries[0]


def _save_day(
    *, center: CareCenter, day: date, villages: list[VillageSheet], acting_user: User, whole_sheet: bool
) -> SheetResult:
    if not may_run_sheet(acting_user, center):
        raise PermissionDenied(_("You may not record this centre's deliveries."))
    # One writer per centre at a time: the capacity check counts the whole day.
    center = CareCenter.objects.select_for_update().get(pk=center.pk)
    if day > clock.today():
        raise ValidationError(_("Deliveries cannot be recorded for a day still to come."))
    check_event_date(day, "day")

    served = {
        sv.village_id: sv
        for sv in ServedVillage.objects.filter(served_on(day), center=center).select_related("village")
    }
    elders_by_village: dict[int, dict[int, Elder]] = defaultdict(dict)
    for elder in Elder.objects.enrolled(day).filter(village_id__in=list(served)).order_by("name", "pk"):
        elders_by_village[elder.village_id][elder.pk] = elder
    existing = {d.village_id: d for d in MealDelivery.objects.select_for_update().filter(center=center, day=day)}
    receipts = {
        (r.delivery_id, r.elder_id): r for r in MealReceipt.objects.filter(delivery__in=list(existing.values()))
    }

    errors: list[str] = []
    rows = {row.village_id: row for row in villages}
    unknown_villages = [vid for vid in rows if vid not in served]
    if unknown_villages:
        from xicheng.models import Area

        for area in Area.objects.filter(pk__in=unknown_villages):
            errors.append(
                _("%(village)s: this centre does not serve it on %(day)s.") % {"village": area.name, "day": day}
            )
    if whole_sheet:
        for vid, sv in served.items():
            if vid not in rows:
                errors.append(_("%(village)s: the sheet has no row for it.") % {"village": sv.village.name})

    for vid, row in rows.items():
        sv = served.get(vid)
        if sv is None:
            continue
        name = sv.village.name
        delivery = existing.get(vid)
        if delivery is not None and not whole_sheet:
            errors.append(_("This centre already delivered to this village on this day."))
            continue
        if delivery is not None and row.version is None:
            # Recorded by someone else since this sheet was read.
            raise Conflict(
                _("%(village)s was changed by someone else. Reload the sheet and try again.") % {"village": name},
                current_version=delivery.version,
            )
        if delivery is not None:
            # The one Conflict of every locked write, naming the village's delivery.
            refuse_stale(delivery, row.version, label=_("delivery to %(village)s") % {"village": name})
        if row.delivered_at is None:
            errors.append(_("%(village)s: give the time the meals arrived.") % {"village": name})
        if not row.courier.strip():
            errors.append(_("%(village)s: give the courier's name.") % {"village": name})
        for label, value, limit in ((_("courier"), row.courier, 50), (_("note"), row.note, 200)):
            if len(value.strip()) > limit:
                errors.append(
                    _("%(village)s: the %(field)s is longer than %(limit)s characters.")
                    % {"village": name, "field": label, "limit": limit}
                )
        enrolled = elders_by_village.get(vid, {})
        for elder_id, outcome in row.outcomes.items():
            elder = enrolled.get(elder_id)
            if elder is None:
                errors.append(
                    _("%(village)s: elder no. %(elder)s is not enrolled in this village on %(day)s.")
                    % {"village": name, "elder": elder_id, "day": day}
                )
            elif outcome not in Outcome.values:
                errors.append(
                    _("%(village)s, %(elder)s: choose delivered, not at home or declined.")
                    % {"village": name, "elder": elder.name}
                )
        for elder_id, elder in enrolled.items():
            if elder_id not in row.outcomes:
                errors.append(
                    _("%(village)s, %(elder)s: say whether the meal was delivered.")
                    % {"village": name, "elder": elder.name}
                )

    village_of = {d.pk: vid for vid, d in existing.items()}
    meals = sum(len(row.outcomes) for vid, row in rows.items() if vid in served)
    meals += sum(1 for (delivery_id, _e) in receipts if village_of[delivery_id] not in rows)
    if meals > center.daily_capacity:
        errors.append(
            _("The day's %(meals)s meals exceed the centre's daily capacity of %(capacity)s.")
            % {"meals": meals, "capacity": center.daily_capacity}
        )
    if errors:
        raise ValidationError(errors)

    return _write_day(center, day, rows, existing, receipts, elders_by_village, acting_user)


def _write_day(
    center: CareCenter,
    day: date,
    rows: dict[int, VillageSheet],
    existing: dict[int, MealDelivery],
    receipts: dict[tuple[int, int], MealReceipt],
    elders_by_village: dict[int, dict[int, Elder]],
    acting_user: User,
) -> SheetResult:
    """The writes of a validated sheet: a fixed number of bulk statements whatever its size."""
    # Bulk writes send no signals: the overviews that count the day's meals are forgotten here.
    written(MealDelivery, earliest=day)
    written(MealReceipt, earliest=day)
    new = [
        MealDelivery(
            center=center,
            village_id=vid,
            day=day,
            delivered_at=_arrival(row),
            courier=row.courier.strip(),
            note=row.note.strip(),
            recorded_by=acting_user,
        )
        for vid, row in rows.items()
        if vid not in existing
    ]
    created = (
        bulk_create_with_history(
            new, MealDelivery, default_user=acting_user, custom_historical_attrs=bulk_history_attrs()
        )
        if new
        else []
    )
    deliveries = {d.village_id: d for d in created}

    new_receipts: list[MealReceipt] = []
    changed_receipts: list[MealReceipt] = []
    changed_deliveries: list[MealDelivery] = []
    for vid, row in rows.items():
        if vid in existing:
            delivery = existing[vid]
            fields_changed = (delivery.delivered_at, delivery.courier, delivery.note) != (
                row.delivered_at,
                row.courier.strip(),
                row.note.strip(),
            )
            delivery.delivered_at, delivery.courier, delivery.note = (
                _arrival(row),
                row.courier.strip(),
                row.note.strip(),
            )
            receipts_changed = False
            for elder_id, outcome in row.outcomes.items():
                receipt = receipts.get((delivery.pk, elder_id))
                if receipt is None:
                    new_receipts.append(MealReceipt(delivery=delivery, elder_id=elder_id, outcome=outcome))
                    receipts_changed = True
                elif receipt.outcome != outcome:
                    receipt.outcome = outcome
                    changed_receipts.append(receipt)
                    receipts_changed = True
            if fields_changed or receipts_changed:
                delivery.version += 1
                delivery.recorded_by = acting_user
                changed_deliveries.append(delivery)
            deliveries[vid] = delivery
        else:
            delivery = deliveries[vid]
            new_receipts += [MealReceipt(delivery=delivery, elder_id=e, outcome=o) for e, o in row.outcomes.items()]

    if changed_deliveries:
        bulk_update_with_history(
            changed_deliveries,
            MealDelivery,
            ["delivered_at", "courier", "note", "recorded_by", "version"],
            default_user=acting_user,
            custom_historical_attrs=bulk_history_attrs(),
        )
    if new_receipts:
        bulk_create_with_history(
            new_receipts, MealReceipt, default_user=acting_user, custom_historical_attrs=bulk_history_attrs()
        )
    if changed_receipts:
        bulk_update_with_history(
            changed_receipts,
            MealReceipt,
            ["outcome"],
            default_user=acting_user,
            custom_historical_attrs=bulk_history_attrs(),
        )

    # The bulk writes send no signals: the day's deliveries (and their receipts) recount their facts.
    facts.refresh(MealDelivery.objects.filter(center=center, day=day))

    lone_not_home = [
        elder_id
        for vid, row in rows.items()
        for elder_id, outcome in row.outcomes.items()
        if outcome == Outcome.NOT_HOME and elders_by_village[vid][elder_id].lives_alone
    ]
    checks = _raise_checks(day, lone_not_home, SafetyCheck.Reason.NOT_HOME, acting_user) if lone_not_home else []
    return SheetResult(deliveries=[deliveries[vid] for vid in rows], checks_raised=checks)


def _arrival(row: VillageSheet) -> time:
    """The time a validated row's meals arrived (validation refuses a row without one)."""
    if row.delivered_at is None:
        raise ValidationError(_("%(village)s: give the time the meals arrived.") % {"village": row.village_id})
    return row.delivered_at


def _raise_checks(day: date, elder_ids: list[int], reason: str, acting_user: User | None = None) -> list[SafetyCheck]:
    """Open a check for each elder that has none for the day yet (one per elder and day)."""
    already = set(SafetyCheck.objects.filter(day=day, elder_id__in=elder_ids).values_list("elder_id", flat=True))
    written(SafetyCheck, earliest=day)
    now = timezone.now()
    new = [
        SafetyCheck(elder_id=elder_id, day=day, reason=reason, raised_at=now)
        for elder_id in dict.fromkeys(elder_ids)
        if elder_id not in already
    ]
    if not new:
        return []
    created = bulk_create_with_history(
        new, SafetyCheck, default_user=acting_user, custom_historical_attrs=bulk_history_attrs()
    )
    # Written in bulk, without signals: the new checks' facts are recounted here.
    facts.refresh(SafetyCheck.objects.filter(day=day, elder_id__in=[c.elder_id for c in new]))
    return created


@transaction.atomic
def safety_checks_raise(*, day: date, now: datetime | None = None) -> list[SafetyCheck]:
    """After the cut-off: a check for every lone elder of a served village not reached that day.

    Not reached means nobody answered the door, or no meal was recorded at all. Idempotent: an
    elder gets at most one check a day. Before the day's cut-off it raises nothing."""
    now = timezone.localtime(now or timezone.now())
    if day > now.date() or (day == now.date() and now.time() < meal_cutoff()):
        return []
    lone = Elder.objects.enrolled(day).filter(lives_alone=True)
    served = lone.filter(village_id__in=ServedVillage.objects.filter(served_on(day)).values("village_id")).exclude(
        safety_checks__day=day
    )
    not_home = served.filter(receipts__delivery__day=day, receipts__outcome=Outcome.NOT_HOME)
    no_receipt = served.exclude(receipts__delivery__day=day)
    raised = _raise_checks(day, list(not_home.values_list("pk", flat=True).distinct()), SafetyCheck.Reason.NOT_HOME)
    raised += _raise_checks(
        day, list(no_receipt.values_list("pk", flat=True).distinct()), SafetyCheck.Reason.NO_RECEIPT
    )
    return raised


@transaction.atomic
def safety_check_resolve(*, check: SafetyCheck, finding: str, acting_user: User, version: int | None) -> SafetyCheck:
    """A cadre reached the elder: record what they found; the check closes."""
    finding = finding.strip()
    if not finding:
        raise ValidationError({"finding": _("Write how you reached the elder and what you found.")})
    with locked_for_change(check, version=version, by=acting_user, label=_("safety check")) as locked:
        if locked.resolved_at is not None:
            raise ValidationError(_("This safety check was already followed up."))
        locked.finding = finding
        locked.resolved_at = timezone.now()
        locked.resolved_by = acting_user
    return locked


ELDER_FIELDS = (
    "name",
    "village",
    "birth_year",
    "lives_alone",
    "phone",
    "emergency_contact",
    "dietary_needs",
    "enrolled_on",
)


@transaction.atomic
def elder_enrol(*, acting_user: User, **fields: Any) -> Elder:
    """Enrol an elder for meals in a village the user answers for."""
    unknown = set(fields) - set(ELDER_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    if not acting_user.has_perm("welfare.add_elder"):
        raise PermissionDenied(_("You may not enrol elders."))
    village = fields.get("village")
    if village is None or not areas_changeable_by(acting_user).filter(pk=village.pk).exists():
        raise ValidationError({"village": _("Choose a village you serve.")})
    if fields.get("phone"):
        fields["phone"] = normalise_phone(fields["phone"])
    elder = Elder(**fields)
    elder.full_clean()
    elder.save()
    return elder


@transaction.atomic
def elder_leave(*, elder: Elder, left_on: date, acting_user: User, version: int | None) -> Elder:
    """Un-enrol an elder: from `left_on` on they get no meals."""
    with locked_for_change(elder, version=version, by=acting_user) as locked:
        if locked.left_on is not None:
            raise ValidationError(_("This elder has already left."))
        if left_on <= locked.enrolled_on:
            raise ValidationError({"left_on": _("An elder leaves after the day they enrolled.")})
        locked.left_on = left_on
    return locked


def elders_import(*, dataset: Any, acting_user: User, dry_run: bool = False) -> Any:
    """Import elders from a spreadsheet: all or nothing; the result names each bad row and why."""
    from welfare.resources import ElderResource

    return ElderResource(user=acting_user).import_data(
        dataset, dry_run=dry_run, use_transactions=True, rollback_on_validation_errors=True
    )
