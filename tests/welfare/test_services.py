"""The rules of the day sheet, enrolment and safety checks, through the services."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
import tablib
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from tests.conftest import Cast, Places
from tests.welfare.factories import DAY, ElderFactory, MealDeliveryFactory, World
from welfare.models import Elder, MealDelivery, MealReceipt, SafetyCheck
from welfare.resources import ElderResource
from welfare.services import (
    day_sheet_save,
    elder_enrol,
    elder_leave,
    elders_import,
    meal_delivery_create,
    safety_check_resolve,
    safety_checks_raise,
)
from xicheng.locking import Conflict

pytestmark = pytest.mark.django_db


def test_a_sheet_saves_every_village_and_every_elder(world: World, cast: Cast) -> None:
    result = day_sheet_save(center=world.center, day=DAY, villages=world.sheet(), acting_user=cast.li)
    assert len(result.deliveries) == 2
    assert MealReceipt.objects.filter(delivery__day=DAY, outcome="delivered").count() == 5
    assert MealDelivery.history.count() == 2  # history on the bulk writes too


def test_a_second_delivery_for_the_same_centre_village_and_day_is_refused(world: World, cast: Cast) -> None:
    outcomes = {e.pk: "delivered" for e in world.sifang_elders}
    kwargs: dict[str, Any] = {
        "center": world.center,
        "village": world.sifang,
        "day": DAY,
        "delivered_at": time(10, 30),
        "courier": "胡师傅",
    }
    meal_delivery_create(outcomes=outcomes, acting_user=cast.li, **kwargs)
    with pytest.raises(ValidationError) as refused:
        meal_delivery_create(outcomes=outcomes, acting_user=cast.li, **kwargs)
    assert "不能重复登记" in " ".join(refused.value.messages)
    assert MealDelivery.objects.count() == 1


def test_the_database_refuses_a_second_delivery_too(world: World) -> None:
    MealDeliveryFactory(center=world.center, village=world.sifang)
    with pytest.raises(IntegrityError), transaction.atomic():
        MealDeliveryFactory(center=world.center, village=world.sifang)


def test_the_unique_rule_has_a_message_a_person_can_read(world: World) -> None:
    MealDeliveryFactory(center=world.center, village=world.sifang)
    twin = MealDelivery(center=world.center, village=world.sifang, day=DAY, delivered_at=time(11), courier="x")
    with pytest.raises(ValidationError) as refused:
        twin.validate_constraints()
    assert "不能重复登记" in str(refused.value)


def test_a_sheet_with_one_bad_row_saves_nothing_and_names_the_row(world: World, cast: Cast) -> None:
    bad = world.sheet(**{f"e{world.feifeng_elders[1].pk}": "lost"})
    with pytest.raises(ValidationError) as refused:
        day_sheet_save(center=world.center, day=DAY, villages=bad, acting_user=cast.li)
    message = " ".join(refused.value.messages)
    assert "飞凤社区" in message and "徐土福" in message
    assert not MealDelivery.objects.exists()
    assert not MealReceipt.objects.exists()


def test_a_village_without_a_time_or_courier_is_named(world: World, cast: Cast) -> None:
    rows = world.sheet()
    rows[0].delivered_at = None
    rows[1].courier = " "
    with pytest.raises(ValidationError) as refused:
        day_sheet_save(center=world.center, day=DAY, villages=rows, acting_user=cast.li)
    message = " ".join(refused.value.messages)
    assert "四方社区" in message and "飞凤社区" in message
    assert not MealDelivery.objects.exists()


def test_capacity_is_enforced(world: World, cast: Cast) -> None:
    world.center.daily_capacity = 4
    world.center.save(update_fields=["daily_capacity"])
    with pytest.raises(ValidationError) as refused:
        day_sheet_save(center=world.center, day=DAY, villages=world.sheet(), acting_user=cast.li)
    assert "5" in " ".join(refused.value.messages) and "4" in " ".join(refused.value.messages)
    assert not MealReceipt.objects.exists()


def test_capacity_counts_the_villages_already_delivered_that_day(world: World, cast: Cast) -> None:
    world.center.daily_capacity = 4
    world.center.save(update_fields=["daily_capacity"])
    meal_delivery_create(
        center=world.center,
        village=world.sifang,
        day=DAY,
        delivered_at=time(10, 30),
        courier="胡师傅",
        outcomes={e.pk: "delivered" for e in world.sifang_elders},
        acting_user=cast.li,
    )
    with pytest.raises(ValidationError):
        meal_delivery_create(
            center=world.center,
            village=world.feifeng,
            day=DAY,
            delivered_at=time(10, 30),
            courier="胡师傅",
            outcomes={e.pk: "delivered" for e in world.feifeng_elders},
            acting_user=cast.li,
        )


def test_only_enrolled_elders_of_a_served_village_get_a_meal(world: World, cast: Cast, places: Places) -> None:
    gone = ElderFactory(name="吕玉梅", village=places.sifang, left_on=DAY)
    stranger = ElderFactory(name="金春生", village=places.sifang_grid)
    rows = world.sheet()
    rows[0].outcomes[gone.pk] = "delivered"
    rows[0].outcomes[stranger.pk] = "delivered"
    with pytest.raises(ValidationError) as refused:
        day_sheet_save(center=world.center, day=DAY, villages=rows, acting_user=cast.li)
    assert str(gone.pk) in " ".join(refused.value.messages)
    assert str(stranger.pk) in " ".join(refused.value.messages)


def test_a_village_not_served_that_day_gets_no_meal(world: World, cast: Cast) -> None:
    world.served_feifeng.until = DAY - timedelta(days=1)
    world.served_feifeng.save(update_fields=["until"])
    with pytest.raises(ValidationError) as refused:
        day_sheet_save(center=world.center, day=DAY, villages=world.sheet(), acting_user=cast.li)
    assert "飞凤社区" in " ".join(refused.value.messages)


def test_an_elder_left_off_the_sheet_is_named(world: World, cast: Cast) -> None:
    rows = world.sheet()
    del rows[1].outcomes[world.feifeng_elders[0].pk]
    with pytest.raises(ValidationError) as refused:
        day_sheet_save(center=world.center, day=DAY, villages=rows, acting_user=cast.li)
    assert "胡凤珍" in " ".join(refused.value.messages)


def test_a_day_still_to_come_is_refused(world: World, cast: Cast) -> None:
    with pytest.raises(ValidationError):
        day_sheet_save(
            center=world.center,
            day=timezone.localdate() + timedelta(days=1),
            villages=world.sheet(),
            acting_user=cast.li,
        )


def test_a_cadre_of_another_area_may_not_save_the_sheet(world: World, cast: Cast) -> None:
    with pytest.raises(PermissionDenied):
        day_sheet_save(center=world.center, day=DAY, villages=world.sheet(), acting_user=cast.wang)


def test_saving_again_corrects_the_day_in_place(world: World, cast: Cast) -> None:
    day_sheet_save(center=world.center, day=DAY, villages=world.sheet(), acting_user=cast.li)
    rows = world.sheet(**{f"e{world.sifang_elders[1].pk}": "declined"})
    for row in rows:
        row.version = 1
    day_sheet_save(center=world.center, day=DAY, villages=rows, acting_user=cast.li)
    assert MealDelivery.objects.count() == 2
    assert MealReceipt.objects.get(elder=world.sifang_elders[1]).outcome == "declined"
    assert MealDelivery.objects.get(village=world.sifang).version == 2
    assert MealDelivery.objects.get(village=world.feifeng).version == 1  # unchanged, untouched


def test_a_stale_sheet_is_a_conflict_and_writes_nothing(world: World, cast: Cast) -> None:
    day_sheet_save(center=world.center, day=DAY, villages=world.sheet(), acting_user=cast.li)
    stale = world.sheet(**{f"e{world.sifang_elders[1].pk}": "declined"})  # read before the first save
    with pytest.raises(Conflict):
        day_sheet_save(center=world.center, day=DAY, villages=stale, acting_user=cast.li)
    assert MealReceipt.objects.get(elder=world.sifang_elders[1]).outcome == "delivered"


def test_an_elder_living_alone_marked_not_at_home_raises_a_safety_check(world: World, cast: Cast) -> None:
    rows = world.sheet(**{f"e{world.alone.pk}": "not_home", f"e{world.sifang_elders[1].pk}": "not_home"})
    result = day_sheet_save(center=world.center, day=DAY, villages=rows, acting_user=cast.li)
    check = SafetyCheck.objects.get()
    assert check.elder == world.alone  # 张桂兰 does not live alone: no check
    assert check.reason == SafetyCheck.Reason.NOT_HOME and check.is_open
    assert result.checks_raised == [check]


def test_recording_the_follow_up_clears_the_safety_check(world: World, cast: Cast) -> None:
    day_sheet_save(
        center=world.center, day=DAY, villages=world.sheet(**{f"e{world.alone.pk}": "not_home"}), acting_user=cast.li
    )
    check = SafetyCheck.objects.get()
    safety_check_resolve(check=check, finding="电话联系上，老人在女儿家，平安。", acting_user=cast.li, version=1)
    check.refresh_from_db()
    assert not check.is_open and check.resolved_by == cast.li
    assert not SafetyCheck.objects.open().exists()


def test_a_follow_up_needs_a_finding(world: World, cast: Cast) -> None:
    day_sheet_save(
        center=world.center, day=DAY, villages=world.sheet(**{f"e{world.alone.pk}": "not_home"}), acting_user=cast.li
    )
    with pytest.raises(ValidationError):
        safety_check_resolve(check=SafetyCheck.objects.get(), finding="  ", acting_user=cast.li, version=1)


def test_a_cadre_of_another_village_may_not_resolve_the_check(world: World, cast: Cast) -> None:
    day_sheet_save(
        center=world.center, day=DAY, villages=world.sheet(**{f"e{world.alone.pk}": "not_home"}), acting_user=cast.li
    )
    with pytest.raises(PermissionDenied):
        safety_check_resolve(check=SafetyCheck.objects.get(), finding="已见到", acting_user=cast.wang, version=1)


def _after_cutoff(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(11, 45)))


def test_lone_elders_without_a_meal_by_the_cut_off_raise_a_check(world: World) -> None:
    raised = safety_checks_raise(day=DAY, now=_after_cutoff(DAY))
    assert [(c.elder, c.reason) for c in raised] == [(world.alone, SafetyCheck.Reason.NO_RECEIPT)]


def test_nothing_is_raised_before_the_cut_off(world: World) -> None:
    before = timezone.make_aware(datetime.combine(DAY, time(11, 0)))
    assert safety_checks_raise(day=DAY, now=before) == []


def test_raising_twice_raises_nothing_new(world: World) -> None:
    call_command("raise_safety_checks", day=DAY)
    call_command("raise_safety_checks", day=DAY)
    assert SafetyCheck.objects.count() == 1


def test_a_lone_elder_who_got_the_meal_raises_nothing(world: World, cast: Cast) -> None:
    day_sheet_save(center=world.center, day=DAY, villages=world.sheet(), acting_user=cast.li)
    assert safety_checks_raise(day=DAY, now=_after_cutoff(DAY)) == []


def test_a_cadre_enrols_an_elder_in_their_own_village(cast: Cast, places: Places) -> None:
    elder = elder_enrol(
        acting_user=cast.li, name="朱美菊", village=places.sifang, birth_year=1941, enrolled_on=DAY, phone="13900001111"
    )
    assert Elder.objects.get(pk=elder.pk).phone == "13900001111"  # encrypted at rest, plain in Python


def test_a_cadre_cannot_enrol_an_elder_elsewhere(cast: Cast, places: Places) -> None:
    with pytest.raises(ValidationError):
        elder_enrol(acting_user=cast.li, name="朱美菊", village=places.feifeng, birth_year=1941, enrolled_on=DAY)


def test_an_elder_who_left_gets_no_meal_from_that_day(world: World, cast: Cast) -> None:
    elder_leave(elder=world.sifang_elders[2], left_on=DAY, acting_user=cast.li, version=1)
    rows = world.sheet()
    del rows[0].outcomes[world.sifang_elders[2].pk]
    day_sheet_save(center=world.center, day=DAY, villages=rows, acting_user=cast.li)
    assert MealReceipt.objects.count() == 4


def test_the_phone_is_encrypted_at_rest(world: World) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM welfare_elder WHERE id = %s", [world.alone.pk])
        stored = cursor.fetchone()[0]
    assert "13812345678" not in stored


def _dataset(*rows: tuple[Any, ...]) -> tablib.Dataset:
    headers = (
        "id",
        "name",
        "village",
        "birth_year",
        "lives_alone",
        "phone",
        "emergency_contact",
        "dietary_needs",
        "enrolled_on",
        "left_on",
    )
    return tablib.Dataset(*rows, headers=headers)


def test_an_import_with_one_bad_row_imports_nothing_and_names_the_row(cast: Cast, places: Places) -> None:
    dataset = _dataset(
        ("", "吴月仙", "sifang", 1940, 1, "13800000001", "", "", "2026-01-01", ""),
        ("", "楼法明", "feifeng", 1942, 0, "", "", "", "2026-01-01", ""),  # 李 does not serve 飞凤社区
        ("", "施水根", "sifang", "一九四零", 0, "", "", "", "2026-01-01", ""),
    )
    result = elders_import(dataset=dataset, acting_user=cast.li)
    bad = {row.number for row in result.invalid_rows} | {e.number for row in result.rows for e in row.errors}
    assert bad == {2, 3}
    assert "village" in result.invalid_rows[0].error_dict
    assert not Elder.objects.exists()


def test_a_clean_import_imports_every_row(cast: Cast, places: Places) -> None:
    dataset = _dataset(
        ("", "吴月仙", "sifang", 1940, 1, "13800000001", "", "", "2026-01-01", ""),
        ("", "楼法明", "sifang-grid-1", 1942, 0, "", "", "", "2026-01-01", ""),
    )
    result = elders_import(dataset=dataset, acting_user=cast.li)
    assert not result.has_errors() and not result.has_validation_errors()
    assert Elder.objects.count() == 2


def test_an_export_masks_personal_data_and_defuses_formulas(world: World, cast: Cast) -> None:
    world.alone.dietary_needs = '=HYPERLINK("http://x")'
    world.alone.save(update_fields=["dietary_needs"])
    data = ElderResource(user=cast.zhao).export(queryset=Elder.objects.filter(pk=world.alone.pk))
    row = dict(zip(data.headers, data[0], strict=True))
    assert row["姓名"] == "李*英"
    assert row["电话"] == "138****5678"
    assert "13987654321" not in row["紧急联系人"] and "儿子" in row["紧急联系人"]
    assert row["饮食需求"].startswith("'=")


def test_an_export_for_a_data_admin_shows_the_personal_data(world: World, cast: Cast) -> None:
    data = ElderResource(user=cast.admin).export(queryset=Elder.objects.filter(pk=world.alone.pk))
    row = dict(zip(data.headers, data[0], strict=True))
    assert row["姓名"] == "李秀英" and row["电话"] == "13812345678"
