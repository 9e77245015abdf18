"""Factories and a small world for the livelihood tests."""

from __future__ import annotations

from datetime import date, time
from typing import Any

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from welfare.models import CareCenter, Elder, MealDelivery, SafetyCheck, ServedVillage
from welfare.services import VillageSheet

START = date(2026, 1, 1)
DAY = date(2026, 3, 2)  # a past Monday: sheets may be saved for it


class CareCenterFactory(DjangoModelFactory):
    class Meta:
        model = CareCenter

    name = factory.Sequence(lambda n: f"照料中心{n}")
    operator = "玖玖社会组织服务中心"
    caterer = "味源餐饮"
    daily_capacity = 400


class ServedVillageFactory(DjangoModelFactory):
    class Meta:
        model = ServedVillage

    since = START


class ElderFactory(DjangoModelFactory):
    class Meta:
        model = Elder

    name = factory.Sequence(lambda n: f"王秀{n}英")
    birth_year = 1940
    lives_alone = False
    phone = "13812345678"
    emergency_contact = "儿子 13987654321"
    enrolled_on = START


class MealDeliveryFactory(DjangoModelFactory):
    class Meta:
        model = MealDelivery

    day = DAY
    delivered_at = time(10, 40)
    courier = "胡师傅"


class SafetyCheckFactory(DjangoModelFactory):
    class Meta:
        model = SafetyCheck

    day = DAY
    reason = SafetyCheck.Reason.NOT_HOME
    raised_at = factory.LazyFunction(timezone.now)


class World:
    """悦虹湾 care centre (in 四方社区) serving 四方社区 (3 elders, 李秀英 lives alone) and 飞凤社区 (2 elders)."""

    def __init__(self, places: Any) -> None:
        self.center = CareCenterFactory(name="悦虹湾小区居家养老服务照料中心", area=places.yuehongwan)
        self.served_sifang = ServedVillageFactory(center=self.center, village=places.sifang)
        self.served_feifeng = ServedVillageFactory(center=self.center, village=places.feifeng)
        self.alone = ElderFactory(name="李秀英", village=places.sifang, lives_alone=True)
        self.sifang_elders = [
            self.alone,
            ElderFactory(name="张桂兰", village=places.sifang),
            ElderFactory(name="陈金根", village=places.sifang),
        ]
        self.feifeng_elders = [
            ElderFactory(name="胡凤珍", village=places.feifeng),
            ElderFactory(name="徐土福", village=places.feifeng),
        ]
        self.sifang, self.feifeng = places.sifang, places.feifeng

    def sheet(self, **outcomes: str) -> list[VillageSheet]:
        """Everyone delivered, except the elders named by their pk as `e<pk>=<outcome>`."""
        rows = []
        for village, elders in ((self.sifang, self.sifang_elders), (self.feifeng, self.feifeng_elders)):
            rows.append(
                VillageSheet(
                    village_id=village.pk,
                    delivered_at=time(10, 40),
                    courier="胡师傅",
                    outcomes={e.pk: outcomes.get(f"e{e.pk}", "delivered") for e in elders},
                )
            )
        return rows

    def post_data(self, day_versions: dict[int, int] | None = None, **outcomes: str) -> dict[str, Any]:
        """The sheet as the browser posts it."""
        data: dict[str, Any] = {"v": []}
        for village, elders in ((self.sifang, self.sifang_elders), (self.feifeng, self.feifeng_elders)):
            data["v"].append(str(village.pk))
            data[f"t-{village.pk}"] = "10:40"
            data[f"c-{village.pk}"] = "胡师傅"
            if day_versions and village.pk in day_versions:
                data[f"ver-{village.pk}"] = str(day_versions[village.pk])
            for e in elders:
                data[f"o-{village.pk}-{e.pk}"] = outcomes.get(f"e{e.pk}", "delivered")
        return data
