"""Demo data: a first half that reproduces the published figures (8,000+ rental houses inspected,
30,000+ migrants registered, 2,000+ fire hazards rectified, 300+ disputes resolved) and a second
half in progress up to today — some villages on pace, some behind, some hazards overdue and a few
villages that have not sent today's zero report. Deterministic (ctx.rng) and idempotent."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from governance.models import FORCE_FIELDS, Dispute, Force, Hazard, Inspection, Migrant, RentalHouse, ZeroReport
from governance.validators import id_check_digit
from xicheng.bulk import insert_rows
from xicheng.demo import DemoContext, DemoIndicator, ensure_user
from xicheng.models import Area
from xicheng.periods import Period
from xicheng.personal import blind_index
from xicheng.roles import Role

BATCH = 2000

# Per subdistrict. H1 figures sit just above the published ones.
HOUSES = 9000
H1_HOUSES_INSPECTED = 8240
H1_REVISITS = 1100
H1_MIGRANTS = 30420
H1_FIRE_RECTIFIED = 2060
H1_OTHER_RECTIFIED = 1150
H1_DISPUTES_RESOLVED = 312
# H2 targets and how far along each one is against pro-rata pace.
H2 = {"houses": (8500, 1.02), "migrants": (32000, 0.93), "fire": (2200, 0.86), "disputes": (320, 0.97)}
# The indicators these figures feed, with Xicheng's targets (the kernel creates them with its own).
INDICATORS = [
    DemoIndicator(
        1, "rental-houses-inspected", "出租房清查", "户", "保民生", "governance.rental_houses_inspected", 8000, 8500
    ),
    DemoIndicator(
        2, "migrants-registered", "外来人员登记", "人", "保民生", "governance.migrants_registered", 30000, 32000
    ),
    DemoIndicator(
        3, "fire-hazards-rectified", "消防隐患整改", "处", "保民生", "governance.fire_hazards_rectified", 2000, 2200
    ),
    DemoIndicator(4, "disputes-resolved", "矛盾纠纷化解", "起", "抓党建", "governance.disputes_resolved", 300, 320),
]
OVERDUE_HAZARDS = 40
VILLAGES_MISSING_TODAY = 3

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国玉兰志红春梅海波宇飞俊"
# Where migrants to Yongkang come from: the ID prefix (place code) and its name.
ORIGINS = [
    ("522601", "贵州凯里"),
    ("522121", "贵州遵义"),
    ("511623", "四川邻水"),
    ("510921", "四川蓬溪"),
    ("412726", "河南郸城"),
    ("411523", "河南新县"),
    ("362430", "江西井冈山"),
    ("430524", "湖南隆回"),
    ("342422", "安徽寿县"),
    ("452626", "广西德保"),
    ("532126", "云南巧家"),
    ("612430", "陕西旬阳"),
]
DISPUTE_SUMMARIES = {
    Dispute.Category.NEIGHBOURS: "邻里因{}发生纠纷",
    Dispute.Category.FAMILY: "家庭成员因{}产生矛盾",
    Dispute.Category.LAND: "村民之间因{}发生争议",
    Dispute.Category.LABOUR: "务工人员与企业因{}发生纠纷",
    Dispute.Category.PROPERTY: "业主与物业因{}产生矛盾",
    Dispute.Category.OTHER: "群众反映{}问题",
}
DISPUTE_CAUSES = ["宅基地界线", "排水沟堵塞", "噪音扰民", "拖欠工资", "赡养老人", "停车位占用", "房屋漏水", "租金押金"]
HAZARD_DESCRIPTIONS = {
    Hazard.Category.FIRE: ["电动车楼道充电", "灭火器过期", "安全出口堵塞", "住人与仓储混合", "未设置逃生窗"],
    Hazard.Category.GAS: ["燃气软管老化", "液化气瓶放置室内", "未安装燃气报警器"],
    Hazard.Category.ELECTRICITY: ["私拉乱接电线", "漏电保护器缺失", "插座超负荷"],
    Hazard.Category.TRAFFIC: ["路口视线遮挡", "电动车违规改装"],
    Hazard.Category.OTHER: ["防盗窗封死", "楼梯扶手松动"],
}
# Which demo cadre works each village (the kernel's cast); the others fall to the data admin.
CADRE_OF = {
    "sifang": "li",
    "feifeng": "wang",
    "zhoutang": "zhou",
    "huaxi": "wu",
    "qiancun": "wu",
    "shanxia": "zheng",
    "huxi": "zheng",
    "tongzhai": "chen",
    "shengli": "chen",
}


@dataclass
class VillagePlan:
    village: Area
    grids: list[Area]
    weight: float
    worker: Any
    houses: list[RentalHouse]


class IdNumbers:
    """Valid, distinct 18-digit ID numbers: place code, a birth date and a sequence from a counter."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.counter = 0

    def next(self) -> tuple[str, str]:
        n = self.counter
        self.counter += 1
        place, origin = ORIGINS[n % len(ORIGINS)]
        # (n // 1000, n % 1000) is one-to-one, and 211 is prime to 13,000: distinct days, distinct numbers.
        born = date(1968, 1, 1) + timedelta(days=(n // 1000) * 211 % 13000)
        first17 = f"{place}{born:%Y%m%d}{n % 1000:03d}"
        return first17 + id_check_digit(first17), origin


def seed(ctx: DemoContext) -> None:
    ids = IdNumbers(ctx.rng)
    # Read the subdistricts afresh: inserting a sorted sibling (东城 before 西城) moves paths, so
    # the Area objects the kernel kept from the tree's creation may hold stale paths.
    for subdistrict in Area.objects.filter(pk__in=[s.pk for s in ctx.subdistricts]).order_by("path"):
        if RentalHouse.objects.filter(area__path__startswith=subdistrict.path).exists():
            continue
        _seed_subdistrict(ctx, subdistrict, ids)
    _say_figures(ctx)


def _seed_subdistrict(ctx: DemoContext, subdistrict: Area, ids: IdNumbers) -> None:
    rng = ctx.rng
    plans = []
    for village in ctx.villages(subdistrict):
        base_code, _, copy = village.code.partition("-s")
        cadre = CADRE_OF.get(base_code)
        if cadre is None:
            worker = ctx.users["admin"]
        elif copy:
            worker = _double(ctx, cadre, copy)
        else:
            worker = ctx.users[cadre]
        plans.append(VillagePlan(village, ctx.grids(village), rng.uniform(0.6, 1.4), worker, []))
    plans = [p for p in plans if p.grids]
    _houses(ctx, plans)
    h2_share = _h2_share(ctx)
    _inspections(ctx, plans, h2_share)
    _migrants(ctx, plans, h2_share, ids)
    _hazards(ctx, plans, h2_share)
    _disputes(ctx, plans, h2_share)
    _zero_reports(ctx, plans)


def _double(ctx: DemoContext, username: str, copy: str) -> Any:
    """The cadre who does `username`'s work in copy `copy` of `seed_demo --scale N` (li-s2 serves
    四方 of 第2副本): each subdistrict's rows are its own cadres', so a cadre's lists hold her own
    subdistrict's rows whatever the scale, as in a real city."""
    double = f"{username}-s{copy}"
    if double in ctx.users:  # a cadre of two villages is made once
        return ctx.users[double]
    original = ctx.users[username].cadre
    codes = [f"{code}-s{copy}" for code in original.areas.values_list("code", flat=True)]
    return ensure_user(ctx, double, f"{original.name}{copy}", original.position, Role.CADRE, codes)


def _h2_share(ctx: DemoContext) -> float:
    """How much of the second half has passed by today (0 before it starts)."""
    if ctx.today < ctx.h2.start:
        return 0.0
    return min(((ctx.today - ctx.h2.start).days + 1) / ctx.h2.days, 1.0)


def _spread(total: int, plans: list[VillagePlan]) -> list[int]:
    """Split a total over villages by weight, in whole units."""
    weights = sum(p.weight for p in plans)
    counts = [int(total * p.weight / weights) for p in plans]
    counts[0] += total - sum(counts)
    return counts


def _day_in(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randrange((end - start).days + 1))


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"


def _houses(ctx: DemoContext, plans: list[VillagePlan]) -> None:
    rng = ctx.rng
    rows = []
    for plan, count in zip(plans, _spread(HOUSES, plans), strict=True):
        for i in range(count):
            grid = plan.grids[i % len(plan.grids)]
            rows.append(
                {
                    "area_id": grid.pk,
                    "address": f"{plan.village.name}{rng.randrange(1, 40)}弄{i + 1}号",
                    "landlord": _name(rng),
                    "landlord_phone": _phone(rng),
                    "rooms": rng.randint(2, 12),
                }
            )
    insert_rows(RentalHouse, rows)
    by_grid: dict[int, list[RentalHouse]] = {}
    grids = [g for p in plans for g in p.grids]
    for house in RentalHouse.objects.filter(area__in=grids).order_by("pk").only("pk", "area_id"):
        by_grid.setdefault(house.area_id, []).append(house)
    for plan in plans:
        plan.houses = [h for g in plan.grids for h in by_grid.get(g.pk, [])]


def _forces(rng: random.Random) -> dict[str, bool]:
    chosen = {Force.GRID, Force.VILLAGE} | {f for f in Force.values if rng.random() < 0.45}
    return {field: force in chosen for force, field in FORCE_FIELDS.items()}


def _inspections(ctx: DemoContext, plans: list[VillagePlan], h2_share: float) -> None:
    rng = ctx.rng
    rows = []
    h2_target, pace = H2["houses"]
    h2_total = int(h2_target * h2_share * pace)
    for plan, first, again, later in zip(
        plans,
        _spread(H1_HOUSES_INSPECTED, plans),
        _spread(H1_REVISITS, plans),
        _spread(h2_total, plans),
        strict=True,
    ):
        houses = plan.houses[:]
        rng.shuffle(houses)
        visits = [(h, ctx.h1) for h in houses[:first]] + [(rng.choice(houses[:first]), ctx.h1) for _ in range(again)]
        if h2_total:
            h2_end = min(ctx.h2.end, ctx.today)
            visits += [(h, Period(ctx.h2.start, h2_end)) for h in houses[: min(later, len(houses))]]
        for house, period in visits:
            rows.append(
                {
                    "house_id": house.pk,
                    "inspected_on": _day_in(rng, period.start, period.end),
                    "inspector_id": plan.worker.pk,
                    "note": "",
                    **_forces(rng),
                }
            )
    insert_rows(Inspection, rows)


def _migrants(ctx: DemoContext, plans: list[VillagePlan], h2_share: float, ids: IdNumbers) -> None:
    rng = ctx.rng
    rows: list[dict[str, Any]] = []
    h2_target, pace = H2["migrants"]
    h2_total = int(h2_target * h2_share * pace)
    h2_end = min(ctx.h2.end, ctx.today)
    for plan, h1_count, h2_count in zip(plans, _spread(H1_MIGRANTS, plans), _spread(h2_total, plans), strict=True):
        for period_start, period_end, count in ((ctx.h1.start, ctx.h1.end, h1_count), (ctx.h2.start, h2_end, h2_count)):
            for _ in range(count):
                number, origin = ids.next()
                registered = _day_in(rng, period_start, period_end)
                left = None
                if rng.random() < 0.15:
                    left = registered + timedelta(days=rng.randint(20, 150))
                    left = left if left < ctx.today else None
                rows.append(
                    {
                        "house_id": rng.choice(plan.houses).pk,
                        "name": _name(rng),
                        "id_number": number,
                        "id_number_index": blind_index(number),
                        "phone": _phone(rng),
                        "origin": origin,
                        "registered_on": registered,
                        "left_on": left,
                    }
                )
    # A few people registered at a second house while still staying at the first: the
    # data-quality list shows them.
    staying = [m for m in rows[:500] if m["left_on"] is None][:6]
    for migrant in staying:
        other = rng.choice([h for p in plans for h in p.houses[:50] if h.pk != migrant["house_id"]])
        rows.append(
            {
                **migrant,
                "house_id": other.pk,
                "registered_on": migrant["registered_on"] + timedelta(days=rng.randint(1, 20)),
                "left_on": None,
            }
        )
    insert_rows(Migrant, rows)


def _hazard(
    rng: random.Random, plan: VillagePlan, category: str, found: date, deadline_days: int, rectified: date | None
) -> dict[str, Any]:
    house = rng.choice(plan.houses)
    return {
        "house_id": house.pk,
        "area_id": house.area_id,
        "category": category,
        "description": rng.choice(HAZARD_DESCRIPTIONS[Hazard.Category(category)]),
        "found_on": found,
        "deadline": found + timedelta(days=deadline_days),
        "rectified_on": rectified,
        "reported_by_id": plan.worker.pk,
    }


def _hazards(ctx: DemoContext, plans: list[VillagePlan], h2_share: float) -> None:
    rng = ctx.rng
    rows = []
    others = [c for c in Hazard.Category.values if c != Hazard.Category.FIRE]
    h2_target, pace = H2["fire"]
    h2_fire = int(h2_target * h2_share * pace)
    h2_other = int(h2_fire * 0.55)
    last_h2 = min(ctx.h2.end, ctx.today)
    for plan, fire, other, fire2, other2, overdue in zip(
        plans,
        _spread(H1_FIRE_RECTIFIED, plans),
        _spread(H1_OTHER_RECTIFIED, plans),
        _spread(h2_fire, plans),
        _spread(h2_other, plans),
        _spread(OVERDUE_HAZARDS, plans),
        strict=True,
    ):
        # Found and rectified within the first half.
        for n in range(fire + other):
            category = Hazard.Category.FIRE if n < fire else rng.choice(others)
            found = _day_in(rng, ctx.h1.start, ctx.h1.end - timedelta(days=35))
            fixed = found + timedelta(days=rng.randint(1, 34))
            rows.append(_hazard(rng, plan, category, found, rng.randint(15, 45), fixed))
        if h2_share:
            # Rectified in the second half, up to yesterday.
            for n in range(fire2 + other2):
                category = Hazard.Category.FIRE if n < fire2 else rng.choice(others)
                found = _day_in(rng, ctx.h2.start, max(last_h2 - timedelta(days=3), ctx.h2.start))
                fixed = min(found + timedelta(days=rng.randint(1, 30)), last_h2)
                rows.append(_hazard(rng, plan, category, found, rng.randint(15, 45), fixed))
            # Still open: some within their deadline, some past it.
            for _ in range(max(overdue // 2, 1)):
                found = _day_in(rng, ctx.h2.start, last_h2)
                rows.append(_hazard(rng, plan, rng.choice(Hazard.Category.values), found, rng.randint(10, 40), None))
        for _ in range(overdue):
            deadline_days = rng.randint(7, 30)
            latest = ctx.today - timedelta(days=deadline_days + 1)
            earliest = max(latest - timedelta(days=60), ctx.h1.start)
            if latest < ctx.h1.start:
                continue
            found = _day_in(rng, earliest, latest)
            rows.append(_hazard(rng, plan, rng.choice(Hazard.Category.values), found, deadline_days, None))
    insert_rows(Hazard, rows)


def _dispute(rng: random.Random, plan: VillagePlan, received: date, fate: str, step: date | None) -> Dispute:
    category = rng.choice(Dispute.Category.values)
    summary = DISPUTE_SUMMARIES[Dispute.Category(category)].format(rng.choice(DISPUTE_CAUSES))
    dispute = Dispute(
        category=category, area=rng.choice(plan.grids), summary=summary, mediator=plan.worker, received_on=received
    )
    if fate != Dispute.Status.RECEIVED and step is not None:
        dispute.mediating_on = received + timedelta(days=min(2, (step - received).days))
        dispute.status = Dispute.Status.MEDIATING
    if fate == Dispute.Status.RESOLVED:
        dispute.status, dispute.resolved_on = fate, step
    elif fate == Dispute.Status.ESCALATED:
        dispute.status, dispute.escalated_on = fate, step
    return dispute


def _disputes(ctx: DemoContext, plans: list[VillagePlan], h2_share: float) -> None:
    rng = ctx.rng
    rows = []
    h2_target, pace = H2["disputes"]
    h2_resolved = int(h2_target * h2_share * pace)
    last_h2 = min(ctx.h2.end, ctx.today)
    for plan, resolved, resolved2 in zip(
        plans, _spread(H1_DISPUTES_RESOLVED, plans), _spread(h2_resolved, plans), strict=True
    ):
        for _ in range(resolved):
            received = _day_in(rng, ctx.h1.start, ctx.h1.end - timedelta(days=20))
            rows.append(
                _dispute(rng, plan, received, Dispute.Status.RESOLVED, received + timedelta(days=rng.randint(2, 20)))
            )
        rows.append(
            _dispute(
                rng,
                plan,
                _day_in(rng, ctx.h1.start, ctx.h1.end - timedelta(days=30)),
                Dispute.Status.ESCALATED,
                ctx.h1.end,
            )
        )
        if h2_share:
            for _ in range(resolved2):
                received = _day_in(rng, ctx.h2.start, max(last_h2 - timedelta(days=3), ctx.h2.start))
                step = min(received + timedelta(days=rng.randint(1, 20)), last_h2)
                rows.append(_dispute(rng, plan, received, Dispute.Status.RESOLVED, step))
            # Open ones: one fresh, and every third village one open for more than 30 days.
            rows.append(
                _dispute(
                    rng,
                    plan,
                    _day_in(rng, max(last_h2 - timedelta(days=10), ctx.h2.start), last_h2),
                    Dispute.Status.RECEIVED,
                    None,
                )
            )
            if rng.random() < 0.35 and last_h2 - timedelta(days=40) >= ctx.h2.start:
                received = _day_in(rng, ctx.h2.start, last_h2 - timedelta(days=40))
                rows.append(_dispute(rng, plan, received, Dispute.Status.MEDIATING, received + timedelta(days=2)))
    # A step never lies in the future.
    for dispute in rows:
        if dispute.mediating_on and dispute.mediating_on > ctx.today:
            dispute.mediating_on = dispute.received_on
    Dispute.objects.bulk_create(rows, batch_size=BATCH)


def _zero_reports(ctx: DemoContext, plans: list[VillagePlan]) -> None:
    """Every village every day since New Year, but for the odd missed day and a few villages today."""
    rng = ctx.rng
    missing_today = {p.village.pk for p in rng.sample(plans, min(VILLAGES_MISSING_TODAY, len(plans)))}
    rows = []
    day = ctx.h1.start
    while day <= ctx.today:
        for plan in plans:
            if day == ctx.today and plan.village.pk in missing_today:
                continue
            if day < ctx.today and rng.random() < 0.015:
                continue
            incidents = 0 if rng.random() < 0.93 else rng.randint(1, 2)
            rows.append(
                {
                    "village_id": plan.village.pk,
                    "day": day,
                    "incidents": incidents,
                    "note": "" if not incidents else "已按程序处置",
                    "reported_by_id": plan.worker.pk,
                }
            )
        day += timedelta(days=1)
    insert_rows(ZeroReport, rows)


def _say_figures(ctx: DemoContext) -> None:
    from xicheng import facts, metrics

    root = Area.objects.get(pk=ctx.areas["xicheng"].pk)
    keys = [
        "governance.rental_houses_inspected",
        "governance.migrants_registered",
        "governance.fire_hazards_rectified",
        "governance.disputes_resolved",
        "governance.hazards_overdue",
    ]
    # The rows went in in bulk, without signals: their facts are counted before they are read.
    facts.rebuild([key for key in keys if facts.kept(metrics.registry.get(key))])
    for period in (ctx.h1, ctx.h2):
        figures = [
            f"{key.split('.')[1]}={metrics.value_for(metrics.registry.get(key), period, root, ctx.today):.0f}"
            for key in keys
        ]
        ctx.say(f"Governance {period.label} (西城街道): " + ", ".join(figures) + "\n")
