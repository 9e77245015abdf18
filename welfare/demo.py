"""Demo data of the livelihood domain: the Yuehongwan care centre serving eleven villages since
1 January, a few hundred elders, a delivery to every village every day (weekends too) up to
today, a few late ones and a few unanswered doors with their safety checks.

Deterministic (ctx.rng) and idempotent (nothing is added once a centre exists). The many
receipts go in with bulk_create: generated rows need no history of their own."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone

from welfare.models import CareCenter, Elder, MealDelivery, MealReceipt, SafetyCheck, ServedVillage
from xicheng.bulk import insert_rows
from xicheng.demo import DemoContext, DemoIndicator, ensure_user
from xicheng.models import Cadre
from xicheng.roles import Role

CENTER_NAME = "悦虹湾小区居家养老服务照料中心"
OPERATOR = "玖玖社会组织服务中心"
CATERER = "永康市味源餐饮管理有限公司"
CAPACITY = 400
# The villages and communities the centre delivers to, with the cadre who follows up their elders.
VILLAGES = {
    "tongzhai": "chen",
    "sifang": "li",
    "feifeng": "wang",
    "shengli": "chen",
    "huaxi": "wu",
    "qiancun": "wu",
    "shanxia": "zheng",
    "huxi": "zheng",
    "zhoutang": "zhou",
    "yongfeng": "yang",
    "xixi": "yang",
}
# The indicator the deliveries feed, with Xicheng's targets (the kernel creates it with its own).
INDICATORS = [
    DemoIndicator(7, "villages-served-meals", "助餐服务村社", "个", "保民生", "welfare.villages_served", 10, 11)
]
COURIERS = ["胡师傅", "应师傅", "徐师傅", "楼师傅"]
SURNAMES = "王李张陈胡应徐楼吕朱周吴郑金程施俞潘"
GIVEN = "秀英兰芳桂花凤珍玉梅金荣根土福林水法明德春生月仙美菊"
NEEDS = ["", "", "", "", "低盐", "软食", "糖尿病餐", "少油", "不吃辣"]
FINDINGS = [
    "电话联系上，老人去女儿家了，平安。",
    "上门查看，老人在菜地干活，身体无恙。",
    "邻居告知老人去医院配药，已电话确认平安。",
    "上门敲门后老人开门，刚才在午睡没听见。",
]


def seed(ctx: DemoContext) -> None:
    yang = ensure_user(ctx, "yang", "杨慧敏", Cadre.Position.STAFF, Role.CADRE, ["yuehongwan"])
    start = date(ctx.today.year, 1, 1)
    for k, _subdistrict in enumerate(ctx.subdistricts, start=1):
        suffix, prefix = ("", "") if k == 1 else (f"-s{k}", f"第{k}副本")
        # Each subdistrict once: a later run at a larger --scale adds only the new ones.
        if CareCenter.objects.filter(area=ctx.areas[f"yuehongwan{suffix}"]).exists():
            continue
        _seed_center(ctx, start, suffix, prefix, yang)


def _seed_center(ctx: DemoContext, start: date, suffix: str, prefix: str, yang: Any) -> None:
    rng = ctx.rng
    center = CareCenter.objects.create(
        name=prefix + CENTER_NAME,
        area=ctx.areas[f"yuehongwan{suffix}"],
        operator=OPERATOR,
        caterer=CATERER,
        daily_capacity=CAPACITY,
    )
    villages = [ctx.areas[code + suffix] for code in VILLAGES]
    for village in villages:
        ServedVillage.objects.create(center=center, village=village, since=start)

    days = [start + timedelta(days=n) for n in range((ctx.today - start).days + 1)]
    elders: list[Elder] = []
    for village in villages:
        for _ in range(rng.randint(18, 32)):
            enrolled = start if rng.random() < 0.85 else rng.choice(days[: max(1, len(days) - 10)])
            left = None
            if rng.random() < 0.05 and enrolled + timedelta(days=2) < ctx.today:
                left = enrolled + timedelta(days=rng.randint(2, (ctx.today - enrolled).days))
            elders.append(
                Elder(
                    name=rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
                    village=village,
                    birth_year=rng.randint(1928, 1955),
                    lives_alone=rng.random() < 0.22,
                    phone=f"13{rng.randrange(100000000, 999999999)}",
                    emergency_contact=f"{rng.choice(['儿子', '女儿', '侄子', '邻居'])} 13{rng.randrange(100000000, 999999999)}",
                    dietary_needs=rng.choice(NEEDS),
                    enrolled_on=enrolled,
                    left_on=left,
                )
            )
    elders = Elder.objects.bulk_create(elders)
    by_village: dict[int, list[Elder]] = {}
    for elder in elders:
        by_village.setdefault(elder.village_id, []).append(elder)

    courier = {village.pk: COURIERS[i % len(COURIERS)] for i, village in enumerate(villages)}
    deliveries = []
    for day in days:
        for village in villages:
            late = rng.random() < 0.03
            minute = rng.randint(65, 105) if late else rng.randint(15, 58)
            deliveries.append(
                MealDelivery(
                    center=center,
                    village=village,
                    day=day,
                    delivered_at=time(10 + minute // 60, minute % 60),
                    courier=courier[village.pk],
                    note="路上堵车，送达较晚" if late else "",
                    recorded_by=yang,
                )
            )
    deliveries = MealDelivery.objects.bulk_create(deliveries, batch_size=2000)

    # Today one lone elder each in 四方社区 and 飞凤社区 did not answer: their checks stay open.
    open_today = {}
    for code in ("sifang", "feifeng"):
        lone = [e for e in by_village[ctx.areas[code + suffix].pk] if e.lives_alone and e.is_enrolled(ctx.today)]
        if lone:
            open_today[lone[0].pk] = True

    receipts: list[dict[str, Any]] = []
    checks: list[SafetyCheck] = []
    cadres = {ctx.areas[code + suffix].pk: ctx.users.get(name, yang) for code, name in VILLAGES.items()}
    for delivery in deliveries:
        for elder in by_village[delivery.village_id]:
            if not elder.is_enrolled(delivery.day):
                continue
            roll = rng.random()
            outcome = MealReceipt.Outcome.DELIVERED
            if delivery.day == ctx.today and elder.pk in open_today:
                outcome = MealReceipt.Outcome.NOT_HOME
            elif roll < 0.004 and delivery.day != ctx.today:
                outcome = MealReceipt.Outcome.NOT_HOME
            elif roll < 0.012:
                outcome = MealReceipt.Outcome.DECLINED
            receipts.append({"delivery_id": delivery.pk, "elder_id": elder.pk, "outcome": outcome})
            if outcome == MealReceipt.Outcome.NOT_HOME and elder.lives_alone:
                raised = _at(delivery.day, time(11, 30))
                still_open = delivery.day == ctx.today
                checks.append(
                    SafetyCheck(
                        elder=elder,
                        day=delivery.day,
                        reason=SafetyCheck.Reason.NOT_HOME,
                        raised_at=raised,
                        resolved_at=None if still_open else raised + timedelta(minutes=rng.randint(30, 300)),
                        resolved_by=None if still_open else cadres[delivery.village_id],
                        finding="" if still_open else rng.choice(FINDINGS),
                    )
                )
    insert_rows(MealReceipt, receipts)
    SafetyCheck.objects.bulk_create(checks)
    ctx.say(
        f"{center.name}: {len(villages)} villages, {len(elders)} elders, {len(deliveries)} deliveries, "
        f"{len(receipts)} meals, {len(checks)} safety checks."
    )


def _at(day: date, at: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, at))
