"""Demo key projects: 周塘区块旧城区改建 with its eleven 1+1+N squads and several hundred households,
the other projects at their published stages, 木长降's houses cleared for the enclave, and an
investment pipeline. Deterministic (ctx.rng), idempotent (skips what exists), bulk inserts."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User

from projects.models import Household, InvestmentLead, Milestone, Project, ProjectIssue, Squad
from xicheng.demo import DemoContext, ensure_user
from xicheng.models import Area, Cadre
from xicheng.roles import Role

ZHOUTANG = "周塘区块旧城区改建"
HOUSEHOLDS_PER_SQUAD = 40

RENEWAL_STAGES = ["前期摸底调查", "评估入户", "规划方案设计", "签约", "腾空", "拆除"]
WORKS_STAGES = ["前期摸底调查", "政策处理完成", "开工", "竣工"]

# More leading cadres (班子领导) for the squads, beside zhao, qian and sun.
EXTRA_LEADERS = [("feng", "冯国强"), ("chu", "褚志远"), ("wei", "卫建华")]
HEADS = ["蒋", "沈", "韩", "杨", "朱", "秦", "尤", "许", "何", "吕", "施"]
GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明", "超", "霞", "平", "刚", "桂英"]
SURNAMES = ["应", "胡", "周", "吕", "楼", "陈", "徐", "朱", "程", "李", "王", "金", "施", "章", "卢"]
SQUAD_NAMES = ["第一", "第二", "第三", "第四", "第五", "第六", "第七", "第八", "第九", "第十", "第十一"]

# name, category, area code, lead leader, unit, stages, done stages, status, note on the current stage
OTHER_PROJECTS: list[tuple[str, str, str, str, str, list[str], int, str, str]] = [
    (
        "老四方区块",
        "urban_renewal",
        "laosifang",
        "qian",
        "四方社区",
        RENEWAL_STAGES[:1] + RENEWAL_STAGES[2:],
        1,
        "planning",
        "规划方案设计中",
    ),
    (
        "胜利街区块",
        "urban_renewal",
        "shenglijie",
        "sun",
        "胜利社区",
        RENEWAL_STAGES[:1] + RENEWAL_STAGES[2:],
        1,
        "planning",
        "方案调整中",
    ),
    ("永武产业飞地科创中心", "industrial", "muchangjiang", "zhao", "花溪村", WORKS_STAGES, 2, "in_progress", ""),
    ("林草科创园林草地块", "industrial", "huaxi-hamlet", "qian", "花溪村", WORKS_STAGES, 2, "in_progress", ""),
    ("五金技师学院二期", "public_works", "xiayuanzhu", "sun", "下园朱村", WORKS_STAGES, 2, "in_progress", ""),
    ("章店初中", "public_works", "zhangdian", "zhao", "章店村", WORKS_STAGES, 1, "in_progress", "政策处理推进中"),
    ("九里山", "culture_tourism", "jiulishan", "qian", "九里山村", WORKS_STAGES, 1, "in_progress", "政策处理推进中"),
    (
        "永丰区块城中村改造",
        "urban_renewal",
        "yongfeng-block",
        "zhao",
        "永丰村",
        RENEWAL_STAGES,
        0,
        "planning",
        "谋划中",
    ),
]

# company, industry, amount (万元), village code, stage
LEADS: list[tuple[str, str, int, str, str]] = [
    ("永康市恒信五金制品有限公司", "hardware", 12000, "zhoutang", "producing"),
    ("浙江锐锋工具有限公司", "hardware", 8500, "xixi", "landed"),
    ("永康欧迈智能门业有限公司", "hardware", 15000, "tangtou", "landed"),
    ("金华市精工厨具有限公司", "hardware", 6000, "huxi", "signed"),
    ("浙江华顺杯壶有限公司", "hardware", 4200, "shanxia", "talks"),
    ("浙江晶科储能科技有限公司", "new_energy", 30000, "huaxi", "landed"),
    ("永康绿驰新能源汽车部件有限公司", "new_energy", 22000, "qiancun", "signed"),
    ("浙江光合光伏科技有限公司", "new_energy", 18000, "yongfeng", "talks"),
    ("永康氢源动力科技有限公司", "new_energy", 9000, "zhangdian", "talks"),
    ("浙江博远智能装备有限公司", "equipment", 26000, "jiulishan", "producing"),
    ("永康市精密数控机床有限公司", "equipment", 14000, "xiayuanzhu", "landed"),
    ("浙江力拓液压装备有限公司", "equipment", 11000, "tongzhai", "signed"),
    ("金华迅达机器人有限公司", "equipment", 16000, "huaxi", "talks"),
]

ISSUES = [
    ("产权不清：继承房屋未析产", "title"),
    ("抵押贷款需转贷后方可签约", "loan"),
    ("安置房源户型诉求协调", "other"),
    ("老人赡养与安置分户问题", "other"),
    ("违建认定争议", "title"),
    ("银行转贷审批进度慢", "loan"),
]


def seed(ctx: DemoContext) -> None:
    people = _people(ctx)
    for k in range(1, len(ctx.subdistricts) + 1):
        suffix = "" if k == 1 else f"-s{k}"
        prefix = "" if k == 1 else f"第{k}副本"
        if Project.objects.filter(name=prefix + ZHOUTANG).exists():
            continue
        _seed_zhoutang(ctx, people, suffix, prefix)
        _seed_other_projects(ctx, suffix, prefix)
        _seed_leads(ctx, suffix, prefix)
    zhoutang = Project.objects.get(name=ZHOUTANG)
    ctx.say(
        f"Projects: {Project.objects.count()} projects, {Squad.objects.filter(project=zhoutang).count()} squads "
        f"and {Household.objects.filter(project=zhoutang).count()} households on {ZHOUTANG}, "
        f"{InvestmentLead.objects.count()} investment leads.\n"
    )


def _people(ctx: DemoContext) -> dict[str, Any]:
    """Leaders, group heads (中层正职) and members for the eleven squads."""
    leaders = [ctx.users["zhao"], ctx.users["qian"], ctx.users["sun"]]
    for username, name in EXTRA_LEADERS:
        leaders.append(ensure_user(ctx, username, name, Cadre.Position.LEADER, Role.LEADER, ["xicheng"]))
    heads = [
        ensure_user(
            ctx,
            f"head{n:02d}",
            f"{surname}卫东" if n % 2 else f"{surname}海燕",
            Cadre.Position.DIVISION_HEAD,
            Role.CADRE,
            ["zhoutang"],
        )
        for n, surname in enumerate(HEADS, start=1)
    ]
    members = [
        ensure_user(
            ctx,
            f"zt{n:02d}",
            SURNAMES[n % len(SURNAMES)] + GIVEN[n % len(GIVEN)],
            Cadre.Position.STAFF,
            Role.CADRE,
            ["zhoutang"],
        )
        for n in range(1, 23)
    ]
    return {"leaders": leaders, "heads": heads, "members": members}


def _campaign_start(today: date) -> date:
    """The Zhoutang campaign began in the first half of this year."""
    start = date(today.year, 4, 8)
    return start if today >= start + timedelta(days=60) else today - timedelta(days=120)


def _milestones(
    project: Project, names: list[str], done: int, today: date, note: str, overdue: bool
) -> list[Milestone]:
    """Stages done up to a month ago, the current one under way (past its planned end if `overdue`),
    the rest planned one after another."""
    start = project.planned_start
    finished_by = max(today - timedelta(days=30), start + timedelta(days=done))
    span = max((finished_by - start).days // max(done, 1), 1)
    rows = []
    day = start
    for i, name in enumerate(names):
        if i < done:
            planned_start, planned_end = day, day + timedelta(days=span - 1)
        elif i == done:
            planned_start = day
            planned_end = today - timedelta(days=20) if overdue else today + timedelta(days=90)
            planned_end = max(planned_end, planned_start)
        else:
            planned_start, planned_end = day, day + timedelta(days=89)
        rows.append(
            Milestone(
                project=project,
                order=i + 1,
                name=name,
                planned_start=planned_start,
                planned_end=planned_end,
                actual_start=planned_start if i <= done and planned_start <= today else None,
                actual_end=planned_end if i < done else None,
                note=note if i == done else "",
            )
        )
        day = planned_end + timedelta(days=1)
    return rows


def _seed_zhoutang(ctx: DemoContext, people: dict[str, Any], suffix: str, prefix: str) -> None:
    rng, today = ctx.rng, ctx.today
    start = _campaign_start(today)
    block = ctx.areas["zhoutang-block" + suffix]
    project = Project.objects.create(
        name=prefix + ZHOUTANG,
        category=Project.Category.URBAN_RENEWAL,
        area=block,
        lead_leader=ctx.users["zhao"],
        responsible_unit="周塘区块旧城区改建指挥部",
        planned_start=start - timedelta(days=30),
        planned_end=date(today.year + 1, 12, 31),
        status=Project.Status.IN_PROGRESS,
        description="11个“1+1+N”攻坚小组包户推进，评估入户半个月内全部完成，签约攻坚进行中。",
    )
    stages = [
        ("前期摸底调查", start - timedelta(days=30), start - timedelta(days=1), start - timedelta(days=3)),
        ("评估入户", start, start + timedelta(days=14), start + timedelta(days=14)),
        ("规划方案设计", start + timedelta(days=15), start + timedelta(days=45), start + timedelta(days=44)),
        ("签约", start + timedelta(days=30), date(today.year, 12, 31), None),
        ("腾空", date(today.year + 1, 1, 1), date(today.year + 1, 4, 30), None),
        ("拆除", date(today.year + 1, 5, 1), date(today.year + 1, 12, 31), None),
    ]
    Milestone.objects.bulk_create(
        Milestone(
            project=project,
            order=i,
            name=name,
            planned_start=ps,
            planned_end=pe,
            actual_start=ps if ps <= today else None,
            actual_end=ae if ae is not None and ae <= today else None,
        )
        for i, (name, ps, pe, ae) in enumerate(stages, start=1)
    )

    leaders, heads, members = people["leaders"], people["heads"], people["members"]
    squads = []
    for i, label in enumerate(SQUAD_NAMES):
        squad = Squad.objects.create(
            project=project, name=f"{label}攻坚小组", leader=leaders[i % len(leaders)], head=heads[i]
        )
        chosen = [members[(2 * i) % len(members)], members[(2 * i + 1) % len(members)]]
        if i == 0:
            chosen.append(ctx.users["zhou"])
        if i == 1:
            chosen.append(ctx.users["li"])
        squad.members.set(chosen)
        squads.append(squad)

    signing_days = max((today - (start + timedelta(days=30))).days, 1)
    households = []
    n = 0
    for squad_index, squad in enumerate(squads):
        # Squads sign at different paces, so the ranking has something to say.
        pace = 0.45 + 0.04 * ((squad_index * 7) % 11)
        for _h in range(HOUSEHOLDS_PER_SQUAD):
            n += 1
            listed = start - timedelta(days=5)
            evaluated = start + timedelta(days=rng.randrange(0, 15))
            fields: dict[str, Any] = {"status": Household.Status.EVALUATED, "evaluated_on": min(evaluated, today)}
            title, loan = rng.random() < 0.08, rng.random() < 0.06
            if rng.random() < pace and not (title or loan):
                signed = start + timedelta(days=30 + rng.randrange(0, signing_days))
                fields.update(status=Household.Status.SIGNED, signed_on=min(signed, today))
                if rng.random() < 0.35:
                    vacated = fields["signed_on"] + timedelta(days=rng.randrange(5, 40))
                    if vacated <= today:
                        fields.update(status=Household.Status.VACATED, vacated_on=vacated)
                        if rng.random() < 0.3:
                            demolished = vacated + timedelta(days=rng.randrange(10, 40))
                            if demolished <= today:
                                fields.update(status=Household.Status.DEMOLISHED, demolished_on=demolished)
            steps = [fields.get(f) for f in Household.step_date_fields]
            households.append(
                Household(
                    project=project,
                    squad=squad,
                    area=block,
                    address=f"周塘村{(n - 1) // 40 + 1}区{(n - 1) % 40 + 1}号",
                    owner_name=SURNAMES[rng.randrange(len(SURNAMES))] + GIVEN[rng.randrange(len(GIVEN))],
                    owner_phone=f"13{rng.randrange(100000000, 999999999)}",
                    floor_area=Decimal(rng.randrange(6000, 32000)) / 100,
                    problem_title=title,
                    problem_loan=loan,
                    problem_other=rng.random() < 0.03,
                    problem_note="继承未析产，需公证" if title else ("抵押贷款待转贷" if loan else ""),
                    created_on=listed,
                    last_step_on=max(d for d in steps if d is not None),
                    **fields,
                )
            )
    Household.objects.bulk_create(households, batch_size=500)

    # The issue list: blockers raised by the squads, worked through 问需 → 算账 → 代跑.
    with_problems = list(
        Household.objects.filter(project=project).exclude(problem_note="").order_by("pk")[: len(ISSUES) * 2]
    )
    issues = []
    for i, household in enumerate(with_problems):
        issue_title, _kind = ISSUES[i % len(ISSUES)]
        raised = household.evaluated_on or start
        status = [ProjectIssue.Status.ASKING, ProjectIssue.Status.RECKONING, ProjectIssue.Status.RUNNING][i % 3]
        resolved = i % 4 == 3
        due = raised + timedelta(days=45 + 20 * (i % 5))
        issues.append(
            ProjectIssue(
                project=project,
                household=household,
                title=f"{household.address}：{issue_title}",
                owner=household.squad.head if household.squad else ctx.users["zhou"],
                due_on=due,
                status=ProjectIssue.Status.RESOLVED if resolved else status,
                resolution="已协调不动产登记中心办理，群众满意" if resolved else "",
                created_on=raised,
                resolved_on=min(due - timedelta(days=5), today) if resolved else None,
            )
        )
    ProjectIssue.objects.bulk_create(issues)


def _seed_other_projects(ctx: DemoContext, suffix: str, prefix: str) -> None:
    today, year = ctx.today, ctx.today.year
    for name, category, area_code, leader, unit, stage_names, done, status, note in OTHER_PROJECTS:
        start, end = min(date(year, 1, 10), today - timedelta(days=120)), date(year + 1, 12, 31)
        project = Project.objects.create(
            name=prefix + name,
            category=category,
            area=ctx.areas[area_code + suffix],
            lead_leader=ctx.users[leader],
            responsible_unit=unit,
            planned_start=start,
            planned_end=end,
            status=status,
        )
        milestones = _milestones(project, stage_names, done, today, note, overdue=name == "胜利街区块")
        Milestone.objects.bulk_create(milestones)
        if name == "永武产业飞地科创中心":
            _seed_muchangjiang(ctx, project, ctx.areas[area_code + suffix])
        if name == "章店初中":
            ProjectIssue.objects.create(
                project=project,
                title="青苗补偿标准争议",
                owner=ctx.users["zhao"],
                due_on=today - timedelta(days=10),
                status=ProjectIssue.Status.RECKONING,
                created_on=today - timedelta(days=60),
            )


def _seed_muchangjiang(ctx: DemoContext, project: Project, area: Area) -> None:
    """花溪村木长降: every house cleared for the enclave in the first half."""
    rng, year = ctx.rng, ctx.today.year
    rows = []
    for n in range(1, 37):
        evaluated = min(date(year, 2, 20) + timedelta(days=rng.randrange(0, 10)), ctx.today)
        signed = min(evaluated + timedelta(days=rng.randrange(5, 30)), ctx.today)
        vacated = min(signed + timedelta(days=rng.randrange(5, 20)), ctx.today)
        demolished = min(vacated + timedelta(days=rng.randrange(5, 20)), ctx.today)
        rows.append(
            Household(
                project=project,
                area=area,
                address=f"木长降{n}号",
                owner_name=SURNAMES[rng.randrange(len(SURNAMES))] + GIVEN[rng.randrange(len(GIVEN))],
                owner_phone=f"13{rng.randrange(100000000, 999999999)}",
                floor_area=Decimal(rng.randrange(8000, 26000)) / 100,
                status=Household.Status.DEMOLISHED,
                evaluated_on=evaluated,
                signed_on=signed,
                vacated_on=vacated,
                demolished_on=demolished,
                last_step_on=demolished,
                created_on=date(year, 2, 15) if date(year, 2, 15) <= evaluated else evaluated,
            )
        )
    Household.objects.bulk_create(rows)


def _seed_leads(ctx: DemoContext, suffix: str, prefix: str) -> None:
    rng, today = ctx.rng, ctx.today
    owners: list[User] = [ctx.users["qian"], ctx.users["zhou"], ctx.users["wu"], ctx.users["chen"]]
    rows = []
    order = ["talks", "signed", "landed", "producing"]
    for i, (company, industry, amount, village, stage) in enumerate(LEADS):
        talks = today - timedelta(days=200 + 11 * i)
        dates: dict[str, date | None] = {"signed_on": None, "landed_on": None, "producing_on": None}
        day = talks
        for step, field in zip(order[1:], ("signed_on", "landed_on", "producing_on"), strict=True):
            if order.index(stage) >= order.index(step):
                day = min(day + timedelta(days=rng.randrange(25, 60)), today)
                dates[field] = day
        rows.append(
            InvestmentLead(
                company=prefix + company,
                industry=industry,
                amount=Decimal(amount),
                area=ctx.areas[village + suffix],
                owner=owners[i % len(owners)],
                stage=stage,
                talks_on=talks,
                **dates,
            )
        )
    InvestmentLead.objects.bulk_create(rows)
