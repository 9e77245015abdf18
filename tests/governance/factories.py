"""Factories for governance rows, and valid ID numbers to register people with."""

from __future__ import annotations

from datetime import date, timedelta

import factory
from factory.django import DjangoModelFactory

from governance.models import Dispute, Hazard, Inspection, Migrant, RentalHouse, ZeroReport
from governance.validators import id_check_digit
from xicheng.personal import blind_index


def id_number(n: int, place: str = "522601", born: date = date(1990, 3, 15)) -> str:
    """A valid 18-digit ID number, distinct for each n below 1,000,000."""
    first17 = f"{place}{born + timedelta(days=n // 1000):%Y%m%d}{n % 1000:03d}"
    return first17 + id_check_digit(first17)


def wrong_check_digit(number: str) -> str:
    last = "0" if number[-1] != "0" else "1"
    return number[:-1] + last


class RentalHouseFactory(DjangoModelFactory):
    class Meta:
        model = RentalHouse

    address = factory.Sequence(lambda n: f"四方路{n}号")
    landlord = "张建华"
    landlord_phone = "13912345678"
    rooms = 4


class InspectionFactory(DjangoModelFactory):
    class Meta:
        model = Inspection

    inspected_on = date(2026, 3, 10)
    with_grid = True


class MigrantFactory(DjangoModelFactory):
    class Meta:
        model = Migrant

    name = factory.Sequence(lambda n: f"外来{n}")
    id_number = factory.Sequence(lambda n: id_number(n))
    id_number_index = factory.LazyAttribute(lambda m: blind_index(m.id_number))
    phone = "13598765432"
    origin = "贵州凯里"
    registered_on = date(2026, 3, 10)


class HazardFactory(DjangoModelFactory):
    class Meta:
        model = Hazard

    category = Hazard.Category.FIRE
    description = "电动车楼道充电"
    found_on = date(2026, 3, 10)
    deadline = date(2026, 3, 31)


class DisputeFactory(DjangoModelFactory):
    class Meta:
        model = Dispute

    category = Dispute.Category.NEIGHBOURS
    summary = "邻里因排水沟堵塞发生纠纷"
    received_on = date(2026, 3, 10)


class ZeroReportFactory(DjangoModelFactory):
    class Meta:
        model = ZeroReport

    day = date(2026, 3, 10)
    incidents = 0
