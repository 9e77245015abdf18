"""Demo data of the kernel: the Xicheng area tree, one user per role, work lines, the second-half
tasks, the manual indicators and their H1 / H2 targets. Deterministic and idempotent. Domain apps
declare (in their DomainConfig) the indicators their metrics feed, created here with the kernel's,
and a `seed(ctx)` for their records, called after this in app order; the month of 督办 cases on
their red items comes last (xicheng/supervision/demo.py)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from xicheng import facts, plugins
from xicheng.models import (
    Area,
    Cadre,
    Indicator,
    ManualReading,
    Target,
    Task,
    TaskUpdate,
    WorkLine,
)
from xicheng.overview_cache import forget_all
from xicheng.periods import Period
from xicheng.roles import Role
from xicheng.supervision import demo as supervision_demo

DEMO_PASSWORD = "xicheng2026"

# The demo administrators' second factor: one TOTP secret, published here and printed by
# seed_demo, so that a newcomer can add it to an authenticator app (or compute a code with
# `oathtool --totp -b KEY`). A real install never uses it: create_admin makes each administrator
# set up their own.
DEMO_TOTP_KEY = "XICHENGDEMOTOTPKEYFORADMINS23456"
DEMO_ADMINS = ["admin", "sysadmin", "audit"]


def demo_recovery_codes(username: str) -> list[str]:
    """Three single-use recovery codes per demo administrator; seed_demo restores used ones."""
    return [f"{username}-demo-{n}" for n in range(1, 4)]


# (code, name, level, children). Codes are stable: domain demo data finds areas by code.
TREE: tuple[Any, ...] = (
    "yongkang",
    "永康市",
    Area.Level.CITY,
    [
        (
            "xicheng",
            "西城街道",
            Area.Level.SUBDISTRICT,
            [
                (
                    "tongzhai-zone",
                    "童宅片区",
                    Area.Level.ZONE,
                    [
                        ("tongzhai", "童宅村", Area.Level.VILLAGE, []),
                        (
                            "sifang",
                            "四方社区",
                            Area.Level.VILLAGE,
                            [
                                ("yuehongwan", "悦虹湾小区", Area.Level.HAMLET, []),
                                ("laosifang", "老四方区块", Area.Level.HAMLET, []),
                            ],
                        ),
                        (
                            "feifeng",
                            "飞凤社区",
                            Area.Level.VILLAGE,
                            [
                                ("feifeng-estate", "飞凤小区", Area.Level.HAMLET, []),
                            ],
                        ),
                        (
                            "shengli",
                            "胜利社区",
                            Area.Level.VILLAGE,
                            [
                                ("shenglijie", "胜利街区块", Area.Level.HAMLET, []),
                            ],
                        ),
                    ],
                ),
                (
                    "chengxi-zone",
                    "城西片区",
                    Area.Level.ZONE,
                    [
                        (
                            "huaxi",
                            "花溪村",
                            Area.Level.VILLAGE,
                            [
                                ("muchangjiang", "木长降", Area.Level.HAMLET, []),
                                ("huaxi-hamlet", "花溪自然村", Area.Level.HAMLET, []),
                            ],
                        ),
                        (
                            "qiancun",
                            "潜村",
                            Area.Level.VILLAGE,
                            [
                                ("yingzhai", "应宅", Area.Level.HAMLET, []),
                                ("qiancun-hamlet", "潜村自然村", Area.Level.HAMLET, []),
                            ],
                        ),
                        ("shanxia", "山下村", Area.Level.VILLAGE, []),
                        ("huxi", "湖西村", Area.Level.VILLAGE, []),
                    ],
                ),
                (
                    "yongfeng-zone",
                    "永丰片区",
                    Area.Level.ZONE,
                    [
                        (
                            "yongfeng",
                            "永丰村",
                            Area.Level.VILLAGE,
                            [
                                ("yongfeng-block", "永丰区块", Area.Level.HAMLET, []),
                            ],
                        ),
                        (
                            "zhoutang",
                            "周塘村",
                            Area.Level.VILLAGE,
                            [
                                ("zhoutang-block", "周塘区块", Area.Level.HAMLET, []),
                            ],
                        ),
                        ("xixi", "西溪村", Area.Level.VILLAGE, []),
                        ("tangtou", "塘头村", Area.Level.VILLAGE, []),
                    ],
                ),
                (
                    "jiuli-zone",
                    "九里片区",
                    Area.Level.ZONE,
                    [
                        ("zhangdian", "章店村", Area.Level.VILLAGE, []),
                        ("jiulishan", "九里山村", Area.Level.VILLAGE, []),
                        ("xiayuanzhu", "下园朱村", Area.Level.VILLAGE, []),
                    ],
                ),
            ],
        ),
        (
            "dongcheng",
            "东城街道",
            Area.Level.SUBDISTRICT,
            [
                (
                    "dongcheng-zone",
                    "东城片区",
                    Area.Level.ZONE,
                    [
                        ("dongfang", "东方社区", Area.Level.VILLAGE, []),
                    ],
                ),
            ],
        ),
    ],
)

GRIDS_PER_VILLAGE = 2

# username, name, position, role, area codes served
PEOPLE: list[tuple[str, str, str, str, list[str]]] = [
    ("zhao", "赵建国", Cadre.Position.LEADER, Role.LEADER, ["xicheng"]),
    ("qian", "钱立新", Cadre.Position.LEADER, Role.LEADER, ["xicheng"]),
    ("sun", "孙海峰", Cadre.Position.LEADER, Role.LEADER, ["xicheng"]),
    ("li", "李晓燕", Cadre.Position.VILLAGE_CADRE, Role.CADRE, ["sifang"]),
    ("wang", "王志强", Cadre.Position.VILLAGE_CADRE, Role.CADRE, ["feifeng"]),
    ("zhou", "周明", Cadre.Position.DIVISION_HEAD, Role.CADRE, ["zhoutang"]),
    ("wu", "吴丽华", Cadre.Position.STAFF, Role.CADRE, ["huaxi", "qiancun"]),
    ("zheng", "郑伟", Cadre.Position.GRID_WORKER, Role.CADRE, ["shanxia", "huxi"]),
    ("chen", "陈静", Cadre.Position.VILLAGE_CADRE, Role.CADRE, ["tongzhai", "shengli"]),
    ("admin", "数据管理员", Cadre.Position.STAFF, Role.DATA_ADMIN, ["xicheng"]),
    ("sysadmin", "系统管理员", Cadre.Position.STAFF, Role.SYSTEM_ADMIN, []),
    ("audit", "审计员", Cadre.Position.STAFF, Role.AUDITOR, []),
    ("api", "数据接口", Cadre.Position.STAFF, Role.API_CLIENT, []),
]

# Only with `--scale N` (N > 1): the leader of 永康市 the benchmark times beside Xicheng's.
CITY_LEADER = ("city", "钱永康", Cadre.Position.LEADER, Role.LEADER, ["yongkang"])

WORK_LINES = ["抓党建", "强发展", "保民生", "优作风"]


@dataclass(frozen=True)
class DemoIndicator:
    """A demo indicator with its Xicheng targets for the two halves of the year. `order` places it
    among every app's indicators on the dashboard; `metric` is a metric key, or "" for manual readings."""

    order: int
    code: str
    name: str
    unit: str
    work_line: str
    metric: str
    h1: int
    h2: int
    headline: bool = True


# The kernel's own: manual indicators. The domains declare the ones their metrics feed.
INDICATORS = [
    DemoIndicator(5, "market-entities-added", "新增市场主体", "家", "强发展", "", 389, 400),
    DemoIndicator(6, "live-streaming-sales", "直播电商销售额", "万元", "强发展", "", 25000, 26000),
]

# Who types each manual indicator's readings from 我的填报 (for the villages she serves).
READING_OWNERS = {"market-entities-added": "li", "live-streaming-sales": "li"}

# title, work line, area code, lead leader, responsible, due (month, day) in the second half
TASKS: list[tuple[str, str, str, str, str, tuple[int, int]]] = [
    ("永丰区块城中村改造谋划", "强发展", "yongfeng-block", "zhao", "zhou", (12, 31)),
    ("“企小二”助企服务", "强发展", "xicheng", "qian", "li", (12, 31)),
    ("稻虾共养基地建设", "强发展", "shanxia", "sun", "zheng", (10, 31)),
    ("厕所革命：农村公厕改造提升", "保民生", "huaxi", "sun", "wu", (11, 15)),
    ("农村污水处理设施运维", "保民生", "qiancun", "sun", "wu", (12, 20)),
    ("永义古道修复", "强发展", "qiancun", "qian", "wu", (12, 31)),
    ("应宅梯田景观打造", "强发展", "yingzhai", "qian", "wu", (11, 30)),
    ("胡长孺文旅品牌打造", "强发展", "huxi", "qian", "zheng", (12, 31)),
    ("安全生产大排查大整治", "保民生", "xicheng", "zhao", "li", (12, 31)),
    ("信访“五包一”化解", "抓党建", "xicheng", "zhao", "wang", (12, 15)),
    ("最美巷道评选", "优作风", "sifang", "sun", "li", (10, 31)),
    ("美丽庭院创建", "优作风", "feifeng", "sun", "wang", (11, 30)),
    ("乡村振兴大数据信息系统", "抓党建", "xicheng", "zhao", "chen", (12, 31)),
    ("食品安全“守护”行动", "保民生", "xicheng", "qian", "chen", (12, 31)),
    ("老旧小区加装电梯", "保民生", "sifang", "sun", "li", (12, 31)),
    ("周塘区块签约攻坚", "强发展", "zhoutang-block", "zhao", "zhou", (12, 31)),
]


@dataclass
class DemoContext:
    today: date
    scale: int
    rng: random.Random
    out: Any
    areas: dict[str, Area] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    subdistricts: list[Area] = field(default_factory=list)
    # The demo password hashed once: every demo account has the same published password, and
    # hashing it fifty times (PBKDF2, on purpose slow) took longer than seeding a subdistrict.
    password_hash: str = ""

    @property
    def h1(self) -> Period:
        return Period.half_year(self.today.year, 1)

    @property
    def h2(self) -> Period:
        return Period.half_year(self.today.year, 2)

    def villages(self, subdistrict: Area | None = None) -> list[Area]:
        root = subdistrict or self.areas["xicheng"]
        return list(Area.objects.within(root).filter(level=Area.Level.VILLAGE).order_by("path"))

    def grids(self, village: Area) -> list[Area]:
        return list(Area.objects.within(village).filter(level=Area.Level.GRID).order_by("path"))

    def say(self, text: str) -> None:
        self.out.write(text)


def demo_today() -> date:
    if settings.DEMO_TODAY:
        return date.fromisoformat(settings.DEMO_TODAY)
    return timezone.localdate()


def _ensure_area(code: str, name: str, level: int, parent: Area | None) -> Area:
    existing = Area.objects.filter(code=code).first()
    if existing is not None:
        return existing
    if parent is None:
        return Area.objects.add_root(create_kwargs={"code": code, "name": name, "level": level})
    parent.refresh_from_db()
    return Area.objects.add_child(parent, create_kwargs={"code": code, "name": name, "level": level})


def _build_tree(
    ctx: DemoContext, node: tuple[Any, ...], parent: Area | None, suffix: str = "", prefix: str = ""
) -> None:
    code, name, level, children = node
    area = _ensure_area(code + suffix, prefix + name if level == Area.Level.SUBDISTRICT else name, level, parent)
    ctx.areas[code + suffix] = area
    for child in children:
        _build_tree(ctx, child, area, suffix, prefix)
    if level == Area.Level.VILLAGE:
        for n in range(1, GRIDS_PER_VILLAGE + 1):
            grid_code = f"{code}{suffix}-grid-{n}"
            ctx.areas[grid_code] = _ensure_area(grid_code, f"{name}第{n}网格", Area.Level.GRID, area)


def ensure_user(ctx: DemoContext, username: str, name: str, position: str, role: str, area_codes: list[str]) -> User:
    """A demo user with a cadre profile and one role; the password is the printed demo one."""
    user, created = User.objects.get_or_create(username=username)
    if created:
        if not ctx.password_hash:
            ctx.password_hash = make_password(DEMO_PASSWORD)
        user.password = ctx.password_hash
        user.is_staff = role in (Role.DATA_ADMIN, Role.SYSTEM_ADMIN, Role.AUDITOR)
        user.save()
        user.groups.add(Group.objects.get(name=role))
        cadre = Cadre.objects.create(
            user=user, name=name, position=position, phone=f"13{ctx.rng.randrange(100000000, 999999999)}"
        )
        cadre.areas.set([ctx.areas[code] for code in area_codes])
    ctx.users[username] = user
    return user


def ensure_demo_second_factor(user: User) -> None:
    """The published demo TOTP key and recovery codes for a demo administrator."""
    from base64 import b32decode

    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
    from django_otp.plugins.otp_totp.models import TOTPDevice

    key = b32decode(DEMO_TOTP_KEY).hex()
    if not TOTPDevice.objects.filter(user=user, confirmed=True, key=key).exists():
        TOTPDevice.objects.filter(user=user).delete()
        TOTPDevice.objects.create(user=user, name="demo", key=key, confirmed=True)
    static, _created = StaticDevice.objects.get_or_create(user=user, name="recovery", defaults={"confirmed": True})
    present = set(static.token_set.values_list("token", flat=True))
    StaticToken.objects.bulk_create(
        [StaticToken(device=static, token=code) for code in demo_recovery_codes(user.username) if code not in present]
    )


def seed_kernel(ctx: DemoContext) -> None:
    _build_tree(ctx, TREE, None)
    ctx.subdistricts = [ctx.areas["xicheng"]]
    city = ctx.areas["yongkang"]
    xicheng_node = TREE[3][0]
    for k in range(2, ctx.scale + 1):
        # Benchmark copies of Xicheng: the same villages under another subdistrict.
        _build_tree(ctx, xicheng_node, city, suffix=f"-s{k}", prefix=f"第{k}副本")
        ctx.subdistricts.append(ctx.areas[f"xicheng-s{k}"])

    for person in PEOPLE:
        ensure_user(ctx, *person)
    if ctx.scale > 1:
        # A leader of the whole city, whose dashboard reads every copy: what a city's overview costs.
        ensure_user(ctx, *CITY_LEADER)
    for username in DEMO_ADMINS:
        ensure_demo_second_factor(ctx.users[username])

    lines = {}
    for order, name in enumerate(WORK_LINES, start=1):
        lines[name], _ = WorkLine.objects.get_or_create(name=name, defaults={"order": order})

    h1, h2 = ctx.h1, ctx.h2
    xicheng = ctx.areas["xicheng"]
    declared = [*INDICATORS, *(item for domain in plugins.domains() for item in domain.declared("demo_indicators"))]
    for item in sorted(declared, key=lambda item: item.order):
        indicator, _ = Indicator.objects.get_or_create(
            code=item.code,
            defaults={
                "name": item.name,
                "unit": item.unit,
                "work_line": lines[item.work_line],
                "source": Indicator.Source.METRIC if item.metric else Indicator.Source.MANUAL,
                "metric": item.metric,
                "headline": item.headline,
                "order": item.order,
                "owner": ctx.users.get(READING_OWNERS.get(item.code, "")),
            },
        )
        for period, value in ((h1, item.h1), (h2, item.h2)):
            Target.objects.get_or_create(
                indicator=indicator,
                area=xicheng,
                period_start=period.start,
                period_end=period.end,
                defaults={"value": Decimal(value)},
            )
    _seed_manual_readings(ctx)
    _seed_tasks(ctx, lines)


def _seed_manual_readings(ctx: DemoContext) -> None:
    """Weekly figures for the manual indicators: H1 reaches its target; H2 runs behind pace."""
    if ManualReading.objects.exists():
        return
    villages = ctx.villages()
    admin = ctx.users["admin"]
    plans = {
        # indicator code: (H1 total, H2 total by today as a share of the H2 target)
        "market-entities-added": (389, 0.75 * 400),
        "live-streaming-sales": (25000, 0.58 * 26000),
    }
    readings = []
    for code, (h1_total, h2_total) in plans.items():
        indicator = Indicator.objects.get(code=code)
        for period, total in ((ctx.h1, h1_total), (ctx.h2, h2_total)):
            last = min(period.end, ctx.today)
            if last < period.start:
                continue
            weeks = [period.start + timedelta(days=7 * i + 4) for i in range(27)]
            weeks = [d for d in weeks if d <= last] or [last]
            # Split the total over weeks and villages in whole units, deterministically.
            shares = [ctx.rng.randint(1, 5) for _ in range(len(weeks) * len(villages))]
            whole = int(total)
            amounts = [whole * s // sum(shares) for s in shares]
            # Hand out what integer division left over one unit at a time, so no week stands out.
            for i in range(whole - sum(amounts)):
                amounts[i % len(amounts)] += 1
            i = 0
            for day in weeks:
                for village in villages:
                    if amounts[i]:
                        readings.append(
                            ManualReading(indicator=indicator, area=village, on=day, value=amounts[i], entered_by=admin)
                        )
                    i += 1
    ManualReading.objects.bulk_create(readings)


def _seed_tasks(ctx: DemoContext, lines: dict[str, WorkLine]) -> None:
    year = ctx.today.year
    notes = ["已召开专题会议部署", "完成现场踏勘", "已形成初步方案", "推进中，协调相关部门", "阶段性目标已完成"]
    for i, (title, line, area_code, leader, responsible, (month, day)) in enumerate(TASKS):
        task, created = Task.objects.get_or_create(
            title=title,
            defaults={
                "work_line": lines[line],
                "area": ctx.areas[area_code],
                "lead_leader": ctx.users[leader],
                "responsible": ctx.users[responsible],
                "due_on": date(year, month, day),
                "created_on": date(year, 7, 1),
                "status": Task.Status.IN_PROGRESS if i % 4 else Task.Status.NOT_STARTED,
            },
        )
        if created and task.status == Task.Status.IN_PROGRESS:
            for n in range(1 + i % 3):
                TaskUpdate.objects.create(
                    task=task,
                    author=ctx.users[responsible],
                    note=notes[(i + n) % len(notes)],
                    status=Task.Status.IN_PROGRESS,
                    created_at=timezone.make_aware(
                        datetime.combine(date(year, 7, 15) + timedelta(days=20 * n + i), time(9))
                    ),
                )


@transaction.atomic
def seed(*, today: date, scale: int, out: Any) -> DemoContext:
    ctx = DemoContext(today=today, scale=scale, rng=random.Random(20260701), out=out)
    seed_kernel(ctx)
    for domain in plugins.domains():
        if domain.demo:
            import_string(domain.demo)(ctx)
    # The demo's rows are written in bulk, without signals: its facts are counted once, at the end.
    facts.rebuild()
    # The month of 督办: cases on the red items of the domains' records, so after them and their facts.
    supervision_demo.seed(ctx)
    # Bulk-written rows send no signals: the overviews cached before the seed are forgotten.
    forget_all()
    return ctx
