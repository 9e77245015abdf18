"""Every governance write that carries a rule: here, and nowhere in views, serializers or admin."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from governance.models import (
    FORCE_FIELDS,
    Dispute,
    Force,
    Hazard,
    Inspection,
    Migrant,
    RentalHouse,
    ZeroReport,
    check_zero_report_day,
)
from governance.validators import normalise_id_number, validate_id_number
from xicheng import events
from xicheng.history import require_own_recent_change
from xicheng.locking import locked_for_change
from xicheng.models import Area
from xicheng.personal import blind_index
from xicheng.scope import areas_changeable_by, can_change
from xicheng.stages import stage_advance
from xicheng.validators import check_event_date, normalise_phone

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.db import models


def _require_change(user: User, obj: models.Model, message: str) -> None:
    if not can_change(user, obj):
        raise PermissionDenied(message)


def _require_area(user: User, area: Area, perm: str) -> None:
    if not user.has_perm(perm) or not areas_changeable_by(user).filter(pk=area.pk).exists():
        raise PermissionDenied(_("You may not file records for this area."))


# Rental houses ---------------------------------------------------------------------------------

HOUSE_FIELDS = ("area", "address", "landlord", "landlord_phone", "rooms", "active")


def _house_fields(fields: dict[str, Any]) -> dict[str, Any]:
    known = {k: v for k, v in fields.items() if k in HOUSE_FIELDS}
    if "landlord_phone" in known:
        known["landlord_phone"] = normalise_phone(known["landlord_phone"] or "")
    return known


@transaction.atomic
def rental_house_create(*, acting_user: User, **fields: Any) -> RentalHouse:
    _require_area(acting_user, fields["area"], "governance.add_rentalhouse")
    house = RentalHouse(**_house_fields(fields))
    house.full_clean()
    house.save()
    return house


@transaction.atomic
def rental_house_edit(*, house: RentalHouse, acting_user: User, version: int | None, **fields: Any) -> RentalHouse:
    if "area" in fields:
        _require_area(acting_user, fields["area"], "governance.change_rentalhouse")
    with locked_for_change(house, version=version, by=acting_user) as locked:
        for name, value in _house_fields(fields).items():
            setattr(locked, name, value)
    return locked


# Migrants --------------------------------------------------------------------------------------


def migrant_build(
    *,
    house: RentalHouse,
    name: str,
    id_number: str,
    registered_on: date,
    phone: str = "",
    origin: str = "",
    left_on: date | None = None,
) -> Migrant:
    """A validated, unsaved migrant: the ID number checked and its search index set."""
    number = normalise_id_number(id_number)
    validate_id_number(number)
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Write the migrant's name.")})
    migrant = Migrant(
        house=house,
        name=name,
        id_number=number,
        id_number_index=blind_index(number),
        phone=normalise_phone(phone),
        origin=origin.strip(),
        registered_on=registered_on,
        left_on=left_on,
    )
    migrant.full_clean(exclude=["house"])
    return migrant


def _refuse_second_stay_at_same_house(migrant: Migrant) -> None:
    # The same person twice at one house is a duplicate; at two houses it is flagged for review.
    if (
        Migrant.objects.filter(house=migrant.house, id_number_index=migrant.id_number_index)
        .exclude(pk=migrant.pk)
        .staying_on(migrant.registered_on)
        .exists()
    ):
        raise ValidationError(
            {"id_number": _("This person is already registered at this house. Update that registration instead.")}
        )


@transaction.atomic
def migrant_register(*, house: RentalHouse, acting_user: User, **fields: Any) -> Migrant:
    if not acting_user.has_perm("governance.add_migrant"):
        raise PermissionDenied(_("You may not register migrants."))
    _require_change(acting_user, house, _("You may not register migrants at this house."))
    migrant = migrant_build(house=house, **fields)
    _refuse_second_stay_at_same_house(migrant)
    migrant.save()
    return migrant


def migrant_check(*, house: RentalHouse, migrant: Migrant | None = None, **fields: Any) -> Migrant:
    """Validate a registration as the services would save it, without saving (the admin's form)."""
    built = migrant_build(house=house, **fields)
    if migrant is not None:
        built.pk = migrant.pk
    _refuse_second_stay_at_same_house(built)
    return built


@transaction.atomic
def migrant_edit(*, migrant: Migrant, acting_user: User, **fields: Any) -> Migrant:
    """Correct a registration: the same checks as registering (ID number, index, duplicates)."""
    with locked_for_change(migrant, version=None, by=acting_user) as locked:
        house = fields.pop("house", locked.house)
        if house.pk != locked.house_id:
            _require_change(acting_user, house, _("You may not register migrants at this house."))
        values = {
            "name": locked.name,
            "id_number": locked.id_number,
            "registered_on": locked.registered_on,
            "phone": locked.phone,
            "origin": locked.origin,
            "left_on": locked.left_on,
            **fields,
        }
        built = migrant_check(house=house, migrant=locked, **values)
        for name in ("house", "name", "id_number", "id_number_index", "phone", "origin", "registered_on", "left_on"):
            setattr(locked, name, getattr(built, name))
    return locked


@transaction.atomic
def migrant_leave(*, migrant: Migrant, left_on: date, acting_user: User) -> Migrant:
    check_event_date(left_on, "left_on")
    with locked_for_change(migrant, version=None, by=acting_user, label=_("registration")) as locked:
        if left_on < locked.registered_on:
            raise ValidationError({"left_on": _("A migrant cannot leave before being registered.")})
        locked.left_on = left_on
    return locked


# Inspections and hazards -------------------------------------------------------------------------


def _forces_checked(forces: Iterable[str]) -> list[str]:
    chosen = [f for f in dict.fromkeys(forces) if f]
    unknown = set(chosen) - set(Force.values)
    if unknown:
        raise ValidationError({"forces": _("Choose forces from the list.")})
    if not chosen:
        raise ValidationError({"forces": _("Tick at least one force present at the inspection.")})
    return chosen


def hazard_build(
    *,
    category: str,
    found_on: date,
    deadline: date,
    area: Area | None = None,
    house: RentalHouse | None = None,
    description: str = "",
    inspection: Inspection | None = None,
    reported_by: Any = None,
) -> Hazard:
    if house is None and area is None:
        raise ValidationError({"area": _("Say where the hazard is: a rental house or an area.")})
    if deadline <= found_on:
        raise ValidationError({"deadline": _("The deadline must come after the day the hazard was found.")})
    hazard = Hazard(
        house=house,
        # A hazard at a house is filed under the house's grid.
        area=house.area if house is not None else area,
        inspection=inspection,
        category=category,
        description=description.strip(),
        found_on=found_on,
        deadline=deadline,
        reported_by=reported_by,
    )
    hazard.full_clean(exclude=["house", "area", "inspection", "reported_by"])
    return hazard


@transaction.atomic
def hazard_report(*, acting_user: User, **fields: Any) -> Hazard:
    hazard = hazard_build(reported_by=acting_user, **fields)
    if hazard.house is not None:
        _require_change(acting_user, hazard.house, _("You may not report hazards at this house."))
    _require_area(acting_user, hazard.area, "governance.add_hazard")
    hazard.save()
    return hazard


@transaction.atomic
def hazard_rectify(*, hazard: Hazard, rectified_on: date | None, acting_user: User, version: int | None) -> Hazard:
    """Mark a hazard rectified on a day (not before it was found, not after today).

    A rectification already recorded is corrected the same way, by whoever may change the hazard:
    another day, or none at all (it was not rectified after all). The history keeps both."""
    if rectified_on is not None:
        check_event_date(rectified_on, "rectified_on")
    with locked_for_change(hazard, version=version, by=acting_user) as locked:
        if rectified_on is None and locked.rectified_on is None:
            raise ValidationError({"rectified_on": _("Give the day the hazard was rectified.")})
        if rectified_on is not None and rectified_on == locked.rectified_on:
            raise ValidationError(
                _("This hazard is already rectified, on %(day)s.") % {"day": rectified_on.isoformat()}
            )
        if rectified_on is not None and rectified_on < locked.found_on:
            raise ValidationError({"rectified_on": _("A hazard cannot be rectified before it was found.")})
        locked.rectified_on = rectified_on
    if rectified_on is not None:
        events.emit(
            events.HAZARD_RECTIFIED, events.record_payload(locked, state="rectified", rectified_on=rectified_on)
        )
    return locked


@transaction.atomic
def hazard_rectify_undo(*, hazard: Hazard, acting_user: User, version: int | None) -> Hazard:
    """Undo a rectification just recorded (a mis-tap): only by the person who recorded it and
    within 10 minutes (`xicheng.history.UNDO_WINDOW`); the history keeps both."""
    with locked_for_change(hazard, version=version, by=acting_user) as locked:
        if locked.rectified_on is None:
            raise ValidationError(_("This hazard is not rectified: there is nothing to undo."))
        require_own_recent_change(locked, acting_user)
        locked.rectified_on = None
    return locked


@transaction.atomic
def inspection_log(
    *,
    house: RentalHouse,
    inspected_on: date,
    forces: Sequence[str],
    acting_user: User,
    note: str = "",
    hazards: Sequence[dict[str, Any]] = (),
    migrants: Sequence[dict[str, Any]] = (),
) -> Inspection:
    """Log an inspection with the hazards found and the migrants registered there: all or nothing.

    Each hazard is a dict of category, description and deadline; each migrant one of name,
    id_number, phone and origin. Errors name the row they come from."""
    if not acting_user.has_perm("governance.add_inspection"):
        raise PermissionDenied(_("You may not log inspections."))
    _require_change(acting_user, house, _("You may not log inspections at this house."))
    inspection = Inspection(house=house, inspected_on=inspected_on, inspector=acting_user, note=note.strip())
    inspection.forces = _forces_checked(forces)
    inspection.full_clean(exclude=["house", "inspector"])
    inspection.save()
    errors: list[str] = []
    for n, fields in enumerate(hazards, start=1):
        try:
            hazard_build(
                house=house, inspection=inspection, found_on=inspected_on, reported_by=acting_user, **fields
            ).save()
        except ValidationError as e:
            errors.append(_("Hazard %(n)s: %(error)s") % {"n": n, "error": " ".join(e.messages)})
    for n, fields in enumerate(migrants, start=1):
        try:
            migrant = migrant_build(house=house, registered_on=inspected_on, **fields)
            _refuse_second_stay_at_same_house(migrant)
            migrant.save()
        except ValidationError as e:
            errors.append(_("Migrant %(n)s: %(error)s") % {"n": n, "error": " ".join(e.messages)})
    if errors:
        # Raising rolls the inspection and every row saved so far back.
        raise ValidationError(errors)
    return inspection


# Disputes -------------------------------------------------------------------------------------


@transaction.atomic
def dispute_receive(
    *, category: str, area: Area, summary: str, received_on: date, acting_user: User, mediator: User | None = None
) -> Dispute:
    _require_area(acting_user, area, "governance.add_dispute")
    dispute = Dispute(category=category, area=area, summary=summary.strip(), received_on=received_on, mediator=mediator)
    dispute.full_clean()
    dispute.save()
    return dispute


def dispute_move(*, dispute: Dispute, to_status: str, on: date, acting_user: User, version: int | None) -> Dispute:
    """Move a dispute one step: 受理 → 调解中 → 已化解 / 已上报, recording the day of the step."""
    return stage_advance(dispute, on=on, to=to_status, version=version, acting_user=acting_user)


# Zero reports ---------------------------------------------------------------------------------


@transaction.atomic
def zero_report_submit(
    *, village: Area, day: date, acting_user: User, incidents: int = 0, note: str = ""
) -> ZeroReport:
    """A village's report for a day; a second one for the same village and day is refused."""
    if village.level != Area.Level.VILLAGE:
        raise ValidationError({"village": _("Zero reports are sent by villages and communities.")})
    _require_area(acting_user, village, "governance.add_zeroreport")
    check_zero_report_day(day)
    if incidents < 0:
        raise ValidationError({"incidents": _("The number of incidents cannot be negative.")})
    if ZeroReport.objects.filter(village=village, day=day).exists():
        raise ValidationError(
            _("%(village)s has already sent its report for %(day)s.")
            % {"village": village.name, "day": f"{day:%Y-%m-%d}"}
        )
    if incidents > 0 and not note.strip():
        raise ValidationError({"note": _("Say what happened: a report with incidents needs a note.")})
    report = ZeroReport(village=village, day=day, incidents=incidents, note=note.strip(), reported_by=acting_user)
    report.full_clean(exclude=["village", "reported_by"], validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            report.save()
            return report
    except IntegrityError:
        # Two taps at once: the database's unique constraint decides.
        raise ValidationError(
            _("%(village)s has already sent its report for %(day)s.")
            % {"village": village.name, "day": f"{day:%Y-%m-%d}"}
        ) from None


__all__ = [
    "FORCE_FIELDS",
    "dispute_move",
    "dispute_receive",
    "hazard_rectify",
    "hazard_rectify_undo",
    "hazard_report",
    "inspection_log",
    "migrant_check",
    "migrant_edit",
    "migrant_leave",
    "migrant_register",
    "rental_house_create",
    "rental_house_edit",
    "zero_report_submit",
]
