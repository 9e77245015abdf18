"""Facts that can happen: the kernel's validators, with the clock moved and the floor a setting."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from xicheng.validators import (
    MaxYearFromToday,
    normalise_phone,
    validate_not_before_floor,
    validate_not_future,
    validate_phone,
    validate_within_horizon,
)

DAY = date(2026, 6, 30)


@pytest.fixture
def moved_clock(monkeypatch: Any) -> date:
    """Today is 30 June 2026, whatever the machine's clock says."""
    monkeypatch.setattr("xicheng.clock.today", lambda: DAY)
    return DAY


@pytest.mark.parametrize("phone", ["13812345678", "19912345678", "0579-87654321", "057987654321", "010-62345678"])
def test_mainland_mobiles_and_landlines_with_their_area_code_are_accepted(phone: str) -> None:
    validate_phone(phone)


@pytest.mark.parametrize(
    "phone", ["abc", "12812345678", "1381234567", "138123456789", "87654321", "0579-0765432", "+1 2025550123"]
)
def test_anything_else_is_refused_with_a_chinese_message(phone: str) -> None:
    with pytest.raises(ValidationError) as e:
        validate_phone(phone)
    assert "手机号" in e.value.messages[0] and "区号" in e.value.messages[0]


def test_what_people_type_around_a_number_is_tidied() -> None:
    assert normalise_phone(" +86 138 1234 5678 ") == "13812345678"
    validate_phone("+86 138 1234 5678")


def test_an_event_cannot_be_after_today(moved_clock: date) -> None:
    validate_not_future(DAY)
    with pytest.raises(ValidationError) as e:
        validate_not_future(date(2026, 7, 1))
    assert e.value.messages == ["2026-07-01 晚于今天（2026-06-30）：请记录已经发生的事，日期为其发生之日。"]


def test_nothing_is_recorded_before_the_floor_which_is_a_setting(settings: Any) -> None:
    validate_not_before_floor(date(2000, 1, 1))
    with pytest.raises(ValidationError) as e:
        validate_not_before_floor(date(1, 1, 1))
    assert "0001-01-01" in e.value.messages[0] and "2000-01-01" in e.value.messages[0]
    settings.EARLIEST_RECORD_DATE = date(2020, 1, 1)
    with pytest.raises(ValidationError):
        validate_not_before_floor(date(2019, 12, 31))


def test_a_due_date_is_at_most_the_horizon_ahead(moved_clock: date, settings: Any) -> None:
    validate_within_horizon(date(2031, 6, 30))
    with pytest.raises(ValidationError) as e:
        validate_within_horizon(date(2031, 7, 1))
    assert "5 年" in e.value.messages[0]
    with pytest.raises(ValidationError):
        validate_within_horizon(date(9999, 12, 31))
    settings.PLAN_HORIZON_YEARS = 10
    validate_within_horizon(date(2036, 6, 30))


def test_a_birth_year_is_not_after_this_year(moved_clock: date) -> None:
    MaxYearFromToday()(2026)
    with pytest.raises(ValidationError) as e:
        MaxYearFromToday()(3000)
    assert "3000" in e.value.messages[0]
