"""Every governance write with a rule goes through a service; these are its rules."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from governance.models import Dispute, Hazard, Inspection, Migrant, ZeroReport
from governance.services import (
    dispute_move,
    dispute_receive,
    hazard_rectify,
    hazard_report,
    inspection_log,
    migrant_register,
    zero_report_submit,
)
from tests.conftest import Cast, Places
from tests.governance.factories import DisputeFactory, HazardFactory, id_number, wrong_check_digit
from xicheng.services import Conflict

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 10)


def test_an_inspection_with_no_force_is_refused(cast: Cast, sifang_house: object) -> None:
    with pytest.raises(ValidationError) as e:
        inspection_log(house=sifang_house, inspected_on=DAY, forces=[], acting_user=cast.li)
    assert "至少勾选一支" in " ".join(e.value.messages)
    assert not Inspection.objects.exists()


def test_an_inspection_saves_its_hazards_and_migrants_together(cast: Cast, sifang_house: object) -> None:
    inspection = inspection_log(
        house=sifang_house,
        inspected_on=DAY,
        forces=["police", "grid"],
        acting_user=cast.li,
        hazards=[{"category": "fire", "description": "电动车楼道充电", "deadline": date(2026, 3, 20)}],
        migrants=[{"name": "张三", "id_number": id_number(1), "phone": "13500000001", "origin": "贵州"}],
    )
    assert inspection.forces == ["police", "grid"]
    hazard = Hazard.objects.get()
    assert (hazard.inspection, hazard.area, hazard.found_on) == (inspection, sifang_house.area, DAY)  # type: ignore[attr-defined]
    assert Migrant.objects.get().registered_on == DAY


def test_one_bad_migrant_saves_nothing_of_the_inspection(cast: Cast, sifang_house: object) -> None:
    with pytest.raises(ValidationError) as e:
        inspection_log(
            house=sifang_house,
            inspected_on=DAY,
            forces=["grid"],
            acting_user=cast.li,
            hazards=[{"category": "fire", "deadline": date(2026, 3, 20)}],
            migrants=[
                {"name": "张三", "id_number": id_number(1)},
                {"name": "李四", "id_number": wrong_check_digit(id_number(2))},
            ],
        )
    assert "第2名外来人员" in " ".join(e.value.messages)
    assert not (Inspection.objects.exists() or Hazard.objects.exists() or Migrant.objects.exists())


def test_a_deadline_before_the_found_date_is_refused(cast: Cast, sifang_house: object) -> None:
    with pytest.raises(ValidationError) as e:
        hazard_report(house=sifang_house, category="gas", found_on=DAY, deadline=date(2026, 3, 1), acting_user=cast.li)
    assert "整改期限必须晚于" in " ".join(e.value.messages)


def test_a_hazard_at_a_house_takes_the_houses_grid(cast: Cast, places: Places, sifang_house: object) -> None:
    hazard = hazard_report(
        house=sifang_house,
        area=places.sifang,
        category="gas",
        found_on=DAY,
        deadline=date(2026, 3, 20),
        acting_user=cast.li,
    )
    assert hazard.area == places.sifang_grid


def test_a_hazard_cannot_be_rectified_before_it_was_found(cast: Cast, places: Places) -> None:
    hazard = HazardFactory(area=places.sifang_grid)
    with pytest.raises(ValidationError):
        hazard_rectify(hazard=hazard, rectified_on=date(2026, 3, 1), version=1, acting_user=cast.li)


def test_rectifying_a_stale_hazard_is_a_conflict(cast: Cast, places: Places) -> None:
    hazard = HazardFactory(area=places.sifang_grid, version=2)
    with pytest.raises(Conflict):
        hazard_rectify(hazard=hazard, rectified_on=DAY, version=1, acting_user=cast.li)


def test_a_wrong_id_check_digit_is_refused(cast: Cast, sifang_house: object) -> None:
    with pytest.raises(ValidationError) as e:
        migrant_register(
            house=sifang_house,
            name="张三",
            id_number=wrong_check_digit(id_number(5)),
            registered_on=DAY,
            acting_user=cast.li,
        )
    assert "校验位错误" in " ".join(e.value.messages)


def test_the_same_person_is_not_registered_twice_at_one_house(cast: Cast, sifang_house: object) -> None:
    migrant_register(house=sifang_house, name="张三", id_number=id_number(5), registered_on=DAY, acting_user=cast.li)
    with pytest.raises(ValidationError):
        migrant_register(
            house=sifang_house, name="张三", id_number=id_number(5).lower(), registered_on=DAY, acting_user=cast.li
        )
    assert Migrant.objects.count() == 1


def test_the_same_person_at_another_house_is_registered_and_flagged(
    cast: Cast, sifang_house: object, places: Places
) -> None:
    from tests.governance.factories import RentalHouseFactory

    other = RentalHouseFactory(area=places.sifang_grid)
    migrant_register(house=sifang_house, name="张三", id_number=id_number(5), registered_on=DAY, acting_user=cast.li)
    migrant_register(house=other, name="张三", id_number=id_number(5), registered_on=DAY, acting_user=cast.li)
    assert Migrant.objects.at_two_houses().count() == 2


def test_a_cadre_cannot_register_migrants_in_another_village(cast: Cast, feifeng_house: object) -> None:
    with pytest.raises(PermissionDenied):
        migrant_register(
            house=feifeng_house, name="张三", id_number=id_number(5), registered_on=DAY, acting_user=cast.li
        )


def test_a_second_zero_report_for_the_same_village_and_day_is_refused(
    cast: Cast, places: Places, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("xicheng.clock.today", lambda: DAY)
    zero_report_submit(village=places.sifang, day=DAY, acting_user=cast.li)
    with pytest.raises(ValidationError) as e:
        zero_report_submit(village=places.sifang, day=DAY, incidents=1, acting_user=cast.li)
    assert e.value.messages == ["四方社区 2026-03-10 的零报告已报送，不能重复报送。"]
    assert ZeroReport.objects.count() == 1


def test_a_zero_report_comes_from_a_village(cast: Cast, places: Places) -> None:
    with pytest.raises(ValidationError):
        zero_report_submit(village=places.sifang_grid, day=DAY, acting_user=cast.li)


def test_a_cadre_cannot_report_for_another_village(cast: Cast, places: Places) -> None:
    with pytest.raises(PermissionDenied):
        zero_report_submit(village=places.feifeng, day=DAY, acting_user=cast.li)


def test_a_dispute_moves_through_its_steps_with_dates(cast: Cast, places: Places) -> None:
    dispute = dispute_receive(
        category="neighbours", area=places.sifang_grid, summary="邻里纠纷", received_on=DAY, acting_user=cast.li
    )
    dispute_move(
        dispute=dispute, to_status="mediating", on=date(2026, 3, 12), version=dispute.version, acting_user=cast.li
    )
    dispute_move(
        dispute=dispute, to_status="resolved", on=date(2026, 3, 20), version=dispute.version, acting_user=cast.li
    )
    dispute.refresh_from_db()
    assert (dispute.status, dispute.mediating_on, dispute.resolved_on) == (
        Dispute.Status.RESOLVED,
        date(2026, 3, 12),
        date(2026, 3, 20),
    )
    assert dispute.history.count() == 3


def test_a_resolved_dispute_does_not_move_again(cast: Cast, places: Places) -> None:
    dispute = DisputeFactory(area=places.sifang_grid, status="resolved", resolved_on=DAY)
    with pytest.raises(ValidationError):
        dispute_move(dispute=dispute, to_status="escalated", on=DAY, version=dispute.version, acting_user=cast.li)


def test_a_dispute_step_cannot_be_dated_before_the_last(cast: Cast, places: Places) -> None:
    dispute = DisputeFactory(area=places.sifang_grid)
    with pytest.raises(ValidationError):
        dispute_move(
            dispute=dispute, to_status="mediating", on=date(2026, 3, 1), version=dispute.version, acting_user=cast.li
        )


def test_the_mediator_may_move_a_dispute_outside_their_areas(cast: Cast, places: Places) -> None:
    dispute = DisputeFactory(area=places.feifeng_grid, mediator=cast.li)
    dispute_move(dispute=dispute, to_status="mediating", on=DAY, version=dispute.version, acting_user=cast.li)
    assert Dispute.objects.get().status == "mediating"
