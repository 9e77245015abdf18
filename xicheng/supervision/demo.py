"""The demo's month of 督办: the cases 赵建国 (zhao, the demo leader) opened over the last month on
red items of the dashboard, given to the demo's cadres and worked through the real services.

Run by `xicheng.demo.seed` after the domains' demo, on what their red-light lists show: the record
of each case is a red item of zhao's overview (an overdue task, a red target, an overdue hazard, a
long-open dispute, a stalled household, an overdue project stage…), chosen among those its owner
can see, so the kernel names no domain model. The cases live on the real clock, as the ladder does
(celery beat escalates them from here on): the month is the one before the moment of seeding.

Each step is the service's own, taken with the moment it happened (`now=`), in time order across
all cases, and the ladder (`cases_escalate_due`) runs at the moments celery beat would have run it,
so the reminders (催办) and escalations are the ladder's, not the demo's. The result:

- closed on time, one closed late after its escalation to the squad head;
- acknowledged late, each after its reminder; one awaiting acknowledgement after its reminder;
- two escalated: one to the squad head, one on to the responsible leader;
- one sent back (退回重办) and reported again, awaiting acceptance;
- one with an extension approved; one due soon; the rest in hand and on time.

Only in-app notifications: nothing is sent outside the system (robots, e-mail, SMS). Idempotent:
when any case exists, the demo opens none."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.models import User
from django.utils import timezone

from xicheng.models import Cadre
from xicheng.supervision import services
from xicheng.supervision.kinds import alert_record, supervisable_kinds
from xicheng.supervision.models import Case, CaseStep, Channel, Delivery, Notification

if TYPE_CHECKING:
    from xicheng.demo import DemoContext

Level = Case.Level

# What celery beat waits after a reminder or an escalation comes due before it takes it (it runs
# every ten minutes).
BEAT_LAG = timedelta(minutes=7)


@dataclass(frozen=True)
class Step:
    """One step an owner or the issuer takes: `at` a moment, or a time after the case was opened."""

    action: str  # acknowledge, reply, extend, approve, report, send_back, accept
    at: datetime | timedelta
    text: str = ""
    due_on: date | None = None  # extend: the day asked for


@dataclass
class Plan:
    """One case of the month: what it is opened on, by whom it is worked, and how."""

    kinds: tuple[str, ...]  # the kinds of record it may be opened on, preferred first
    owner: str
    level: str
    instruction: str
    opened: datetime
    due_on: date
    steps: list[Step] = field(default_factory=list)
    # Whose scope the record is chosen in (the owner's by default): a squad member's household
    # is one of her squad's, which only a member serving no area of the project sees alone.
    chosen_by: str = ""
    # Filled in by the demo: the record (kind, id, the red item's title) and the case opened on it.
    record: tuple[str, int, str] | None = None
    case: Case | None = None


class Month:
    """The moments of the month before `now`: `day(k, h, m)` is k days ago at h:m (never later
    than a few minutes ago), `due(n)` the day n days from today."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.today = timezone.localdate(now)
        ack = timedelta(hours=settings.SUPERVISION_ACK_HOURS)
        # Acknowledged well within the window, and late: four hours after the reminder.
        self.soon = min(timedelta(minutes=95), ack / 2)
        self.late = ack + timedelta(hours=4)

    def day(self, days_ago: int, hour: int, minute: int = 0) -> datetime:
        moment = timezone.make_aware(datetime.combine(self.today - timedelta(days=days_ago), time(hour, minute)))
        return min(moment, self.now - timedelta(minutes=5))

    def due(self, days: int) -> date:
        return self.today + timedelta(days=days)

    def due_at_rung(self, rung: int) -> date:
        """The due day that has the ladder at `rung` now (and not higher): the most overdue such day."""
        delays = [timedelta(hours=hours) for hours in settings.SUPERVISION_ESCALATION_DELAYS_HOURS]
        for days_ago in range(30, 0, -1):
            due = self.due(-days_ago)
            over = timezone.make_aware(datetime.combine(due + timedelta(days=1), time.min))
            reached = over + delays[rung - 1] + BEAT_LAG <= self.now
            if reached and (rung == len(delays) or over + delays[rung] > self.now):
                return due
        return self.due(-1)


def plans(m: Month) -> list[Plan]:
    """The month's cases, oldest first."""
    task, target = ("xicheng.task",), ("xicheng.target",)
    hazard, dispute, check = ("governance.hazard",), ("governance.dispute",), ("welfare.safety_check",)
    household, stage, issue = ("projects.household",), ("projects.milestone",), ("projects.issue",)
    escalated_head, escalated_leader = m.due_at_rung(1), m.due_at_rung(2)
    return [
        Plan(
            task,
            "li",
            Level.KEY,
            "已逾期，请本周内拿出整改方案，明确时间节点，每周报送进展。",
            m.day(29, 9, 30),
            m.due(-15),
            [
                Step("acknowledge", m.soon, "收到，马上落实。"),
                Step("reply", m.day(24, 16, 20), "已召开专题会议，整改方案已形成，分三步推进。"),
                Step("report", m.day(17, 15, 0), "整改已完成，附现场照片和验收单。"),
                Step("accept", m.day(16, 9, 10), "同意办结。"),
            ],
        ),
        Plan(
            hazard,
            "wang",
            Level.GENERAL,
            "隐患超期未整改，请立即督促业主整改到位，整改前落实临时防范措施。",
            m.day(27, 10, 0),
            m.due(-13),
            [
                Step("acknowledge", timedelta(hours=3), "已签收，下午去现场。"),
                Step("reply", m.day(21, 17, 40), "已约谈业主，消防器材已配齐，电线正在重新布线。"),
                Step("report", m.day(14, 16, 0), "隐患已整改完毕，社区复查通过。"),
                Step("accept", m.day(13, 9, 0), "整改到位，办结。"),
            ],
        ),
        Plan(
            dispute,
            "chen",
            Level.GENERAL,
            "纠纷已超过30天未化解，请牵头再次调解，必要时请司法所参与。",
            m.day(26, 15, 0),
            m.due(-9),
            [
                Step("acknowledge", m.late, "抱歉签收晚了，这两天在外培训，已安排调解。"),
                Step("reply", m.day(20, 11, 30), "已组织双方第二次调解，司法所派员参加。"),
                Step("report", m.day(10, 10, 0), "双方已签订调解协议，纠纷化解。"),
                Step("accept", m.day(9, 8, 45), "办结。"),
            ],
        ),
        Plan(
            stage,
            "chen",
            Level.KEY,
            "项目阶段滞后，请指挥部排出倒排计划，逐项销号。",
            m.day(24, 9, 0),
            m.due(-10),
            [
                Step("acknowledge", m.soon, "收到。"),
                Step("reply", m.day(18, 18, 10), "倒排计划已排出，已协调设计单位加班。"),
                Step("report", m.day(11, 17, 30), "本阶段工作已完成，进入下一阶段。"),
                Step("accept", m.day(10, 8, 30), "同意办结，下一阶段继续盯紧。"),
            ],
        ),
        Plan(
            household,
            "zt04",
            Level.GENERAL,
            "该户长期未推进，请包户干部上门做工作，摸清诉求。",
            m.day(21, 11, 0),
            m.due(-12),
            [
                Step("acknowledge", m.late, "已签收，前两天在外协调，晚了。"),
                Step("reply", m.day(15, 19, 0), "已上门两次，户主对评估价有异议。"),
                Step("reply", m.day(11, 20, 0), "组长带队上门，已重新核算补偿，户主基本同意。"),
                Step("report", m.day(10, 16, 0), "已签约，附协议扫描件。"),
                Step("accept", m.day(9, 9, 30), "办结，但超期，下次要提前。"),
            ],
            chosen_by="li",
        ),
        Plan(
            target,
            "li",
            Level.SPECIAL,
            "指标进度落后于时间进度，请分析原因，拿出追赶措施，确保年底完成目标。",
            m.day(20, 9, 0),
            m.due(3),
            [
                Step("acknowledge", m.soon, "收到，马上组织分析。"),
                Step("reply", m.day(15, 17, 0), "已走访重点企业，落后主要在两家企业。"),
                Step("report", m.day(8, 16, 30), "已制定追赶措施，企业已承诺四季度补上。"),
                Step("send_back", m.day(7, 9, 0), "措施不够具体，请细化到每家企业、每周目标，退回重办。"),
                Step("reply", m.day(4, 18, 0), "已细化到每家企业每周目标，并安排专人盯办。"),
                Step("report", m.day(1, 10, 0), "追赶措施已细化，附分解表，前两周均已完成目标。"),
            ],
        ),
        Plan(
            issue,
            "zhou",
            Level.KEY,
            "问题清单事项超期，请指挥部协调相关部门限期解决。",
            m.day(18, 10, 30),
            m.due(-6),
            [
                Step("acknowledge", m.soon, "收到。"),
                Step("reply", m.day(13, 15, 0), "已协调不动产登记中心，材料已补齐。"),
                Step("report", m.day(8, 11, 0), "问题已解决，群众满意。"),
                Step("accept", m.day(7, 8, 40), "办结。"),
            ],
        ),
        Plan(
            task,
            "wu",
            Level.GENERAL,
            "进度滞后，请加快推进，每周五报进展。",
            m.day(19, 14, 0),
            m.due(-5),
            [
                Step("acknowledge", m.soon, "收到。"),
                Step("reply", m.day(14, 17, 0), "已完成选址，正在征求村民意见。"),
                Step(
                    "extend",
                    m.day(8, 10, 0),
                    "村民对选址意见分歧，需重新公示七天，申请延期。",
                    due_on=m.due(10),
                ),
                Step("approve", m.day(7, 16, 0), "同意延期，请按新的时间节点推进。"),
                Step("reply", m.day(2, 17, 30), "公示已结束，无异议，已开始施工。"),
            ],
        ),
        Plan(
            household,
            "zt03",
            Level.KEY,
            "该户久拖未决，影响整体签约进度，请小组集中攻坚。",
            m.day(16, 9, 0),
            escalated_leader,
            [
                Step("acknowledge", m.late, "签收晚了，在处理另一户。"),
                Step("reply", m.day(11, 19, 30), "户主子女意见不一致，正在做工作。"),
                Step("reply", m.day(2, 20, 0), "已请村两委协助，仍未谈拢。"),
            ],
            chosen_by="li",
        ),
        Plan(
            target,
            "wang",
            Level.KEY,
            "指标亮红灯，请分析原因并提出整改措施。",
            m.day(14, 10, 0),
            m.due(12),
            [
                Step("acknowledge", m.late, "抱歉，签收晚了。已着手分析。"),
                Step("reply", m.day(5, 16, 0), "已梳理落后原因，正在逐项整改。"),
            ],
        ),
        Plan(
            household,
            "li",
            Level.GENERAL,
            "该户一个多月没有进展，请包户干部上门，摸清症结。",
            m.day(12, 10, 0),
            escalated_head,
            [
                Step("acknowledge", m.soon, "收到，今晚上门。"),
                Step("reply", m.day(9, 21, 0), "户主在外地打工，已电话联系，约定周末面谈。"),
                Step("reply", m.day(0, 9, 0), "面谈后户主提出安置房楼层诉求，正在请示。"),
            ],
        ),
        Plan(
            household,
            "zhou",
            Level.SPECIAL,
            "该户是签约攻坚的难点户，请每三天报一次进展，年底前完成签约。",
            m.day(11, 8, 30),
            m.due(14),
            [
                Step("acknowledge", m.soon, "收到，坚决完成任务。"),
                Step("reply", m.day(6, 18, 0), "已和户主见面两次，诉求集中在过渡安置费。"),
                Step("reply", m.day(2, 18, 0), "已请指挥部政策组算账，户主态度松动。"),
            ],
        ),
        Plan(
            hazard,
            "wu",
            Level.KEY,
            "隐患超期，请立即整改，消除安全风险。",
            m.day(9, 15, 0),
            m.due(6),
            [
                Step("acknowledge", m.soon, "已签收，明天现场核查。"),
                Step("reply", m.day(5, 17, 0), "已现场核查，整改方案已报业主，正在采购材料。"),
            ],
        ),
        Plan(
            dispute,
            "wang",
            Level.SPECIAL,
            "矛盾长期未化解，有上访苗头，请务必在两天内稳控到位并报结果。",
            m.day(6, 9, 0),
            m.due(1),
            [
                Step("acknowledge", m.soon, "收到，马上落实稳控。"),
                Step("reply", m.day(3, 20, 0), "已和双方当事人见面，情绪已稳定，正在调解。"),
            ],
        ),
        Plan(
            check,
            "li",
            Level.GENERAL,
            "独居老人未联系上，请立即上门确认老人安全，并落实结对关爱。",
            m.day(3, 10, 0),
            m.due(4),
            [
                Step("acknowledge", m.soon, "收到，马上上门。"),
                Step("reply", m.day(2, 16, 0), "已上门，老人在女儿家，平安；已落实结对干部每日电话。"),
            ],
        ),
        Plan(
            hazard,
            "chen",
            Level.GENERAL,
            "隐患超期未整改，请督促整改。",
            m.now - timedelta(hours=settings.SUPERVISION_ACK_HOURS + 6),
            m.due(7),
        ),
        Plan(
            task,
            "zheng",
            Level.GENERAL,
            "进度滞后，请排出计划，下周报进展。",
            m.now - timedelta(hours=3),
            m.due(10),
        ),
    ]


def seed(ctx: DemoContext) -> None:
    if Case.objects.exists():
        ctx.say("Supervision: cases exist already, the demo opens none.\n")
        return
    leader = ctx.users.get("zhao")
    if leader is None:
        return
    month = Month(timezone.now())
    chosen = _choose_records(ctx, leader, plans(month))
    notified = Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    for at, action in _timeline(month, chosen, leader, ctx):
        latest = Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        action()
        _date_notifications(after=latest, at=at)
    _read_what_was_acted_on(after=notified)
    cases = Case.objects.filter(pk__in=[plan.case.pk for plan in chosen if plan.case is not None])
    ctx.say(
        f"Supervision: {cases.count()} cases opened by {leader.username} over the month to "
        f"{month.today:%Y-%m-%d}, {cases.filter(status=Case.Status.CLOSED).count()} closed, "
        f"{cases.exclude(status=Case.Status.CLOSED).filter(escalation__gt=0).count()} escalated.\n"
    )


def _red_items(ctx: DemoContext, leader: User) -> list[tuple[str, int, str]]:
    """(kind, record id, title) of each red item on the leader's dashboard that a case can be
    opened on, in the list's order (the most urgent first)."""
    from xicheng.overview import compute_overview

    period = ctx.h2 if ctx.today >= ctx.h2.start else ctx.h1
    overview = compute_overview(leader, period, ctx.today)
    items = []
    for alert in overview.alerts:
        named = alert_record(alert)
        if named is not None:
            items.append((*named, str(alert.title)))
    return items


def _choose_records(ctx: DemoContext, leader: User, month_plans: list[Plan]) -> list[Plan]:
    """Each plan's record: a red item of its kinds that its owner (or `chosen_by`) can see, else
    any red item of its kinds; each record once. A plan whose people or records the demo lacks
    is left out."""
    items = _red_items(ctx, leader)
    kinds = supervisable_kinds()
    used: set[tuple[str, int]] = set()
    chosen = []
    for plan in month_plans:
        owner, chooser = ctx.users.get(plan.owner), ctx.users.get(plan.chosen_by or plan.owner)
        if owner is None or chooser is None:
            continue
        free = [item for item in items if item[0] in plan.kinds and item[:2] not in used]
        seen: set[tuple[str, int]] = set()
        for kind in plan.kinds:
            ids = [pk for k, pk, _title in free if k == kind]
            if ids:
                rows: Any = kinds[kind].model_class()._default_manager.all()
                seen |= {(kind, pk) for pk in rows.visible_to(chooser).filter(pk__in=ids).values_list("pk", flat=True)}
        # The owner's own first, in the order of the plan's kinds, then the list's.
        ranked = sorted(free, key=lambda item: (item[:2] not in seen, plan.kinds.index(item[0])))
        if ranked:
            plan.record = ranked[0]
            used.add(ranked[0][:2])
            chosen.append(plan)
    return chosen


def _unit(user: User) -> str:
    cadre = Cadre.objects.filter(user=user).first()
    area = cadre.areas.order_by("path").first() if cadre is not None else None
    return area.name if area is not None else ""


def _timeline(
    month: Month, chosen: list[Plan], leader: User, ctx: DemoContext
) -> list[tuple[datetime, Callable[[], None]]]:
    """Every step of every case and every run of the ladder, in time order."""
    events: list[tuple[datetime, int, Callable[[], None]]] = []

    def add(at: datetime, action: Callable[[], None]) -> None:
        events.append((at, len(events), action))

    for plan in chosen:
        add(plan.opened, _opener(plan, leader, ctx))
        for step in plan.steps:
            at = plan.opened + step.at if isinstance(step.at, timedelta) else step.at
            # A step still to come (a long acknowledgement window set in the environment) is not taken.
            if at < month.now:
                add(at, _taker(plan, step, leader, ctx, at))
        # The ladder, when this case's reminder comes due.
        reminder = plan.opened + timedelta(hours=settings.SUPERVISION_ACK_HOURS) + BEAT_LAG
        if reminder < month.now:
            add(reminder, _ladder(reminder))
    # The ladder, whenever an escalation may come due: each rung's hour after a midnight.
    hours = sorted({hours % 24 for hours in settings.SUPERVISION_ESCALATION_DELAYS_HOURS})
    first = min(plan.opened for plan in chosen) if chosen else month.now
    day = timezone.localdate(first)
    while day <= month.today:
        for hour in hours:
            at = timezone.make_aware(datetime.combine(day, time(hour))) + BEAT_LAG
            if first < at < month.now:
                add(at, _ladder(at))
        day += timedelta(days=1)
    add(month.now, _ladder(month.now))
    return [(at, action) for at, _n, action in sorted(events, key=lambda event: (event[0], event[1]))]


def _opener(plan: Plan, leader: User, ctx: DemoContext) -> Callable[[], None]:
    def open_case() -> None:
        assert plan.record is not None
        kind, pk, title = plan.record
        owner = ctx.users[plan.owner]
        plan.case = services.case_open(
            kind=kind,
            object_id=pk,
            title=title[:200],
            instruction=plan.instruction,
            owner=owner,
            due_on=plan.due_on,
            acting_user=leader,
            level=plan.level,
            owner_unit=_unit(owner),
            now=plan.opened,
        )

    return open_case


def _taker(plan: Plan, step: Step, leader: User, ctx: DemoContext, at: datetime) -> Callable[[], None]:
    def take() -> None:
        assert plan.case is not None
        case = Case.objects.get(pk=plan.case.pk)
        owner = ctx.users[plan.owner]
        common: dict[str, Any] = {"case": case, "now": at}
        if step.action == "acknowledge":
            services.case_acknowledge(**common, version=case.version, acting_user=owner, text=step.text)
        elif step.action == "reply":
            services.case_reply(**common, text=step.text, acting_user=owner)
        elif step.action == "extend":
            assert step.due_on is not None
            services.case_request_extension(
                **common, due_on=step.due_on, reason=step.text, version=case.version, acting_user=owner
            )
        elif step.action == "approve":
            services.case_decide_extension(
                **common, approve=True, version=case.version, acting_user=leader, text=step.text
            )
        elif step.action == "report":
            services.case_report_done(**common, text=step.text, version=case.version, acting_user=owner)
        elif step.action == "send_back":
            services.case_send_back(**common, text=step.text, version=case.version, acting_user=leader)
        elif step.action == "accept":
            services.case_accept(**common, version=case.version, acting_user=leader, text=step.text)
        else:
            raise ValueError(f"Unknown demo step {step.action!r}.")

    return take


def _ladder(at: datetime) -> Callable[[], None]:
    def run() -> None:
        services.cases_escalate_due(now=at)

    return run


def _date_notifications(*, after: int, at: datetime) -> None:
    """The notifications a step just wrote, dated when the step was taken (the notification centre
    keeps no history: its dates are set here). Nothing goes outside the system: an outbound
    delivery (a robot, an e-mail, an SMS, should an install reach a demo person that way) is
    dropped before the commit, so the worker finds nothing to send."""
    fresh = Notification.objects.filter(pk__gt=after)
    Delivery.objects.filter(notification__in=fresh).exclude(channel=Channel.IN_APP).delete()
    Delivery.objects.filter(notification__in=fresh).update(created_at=at, last_attempt_at=at, sent_at=at)
    fresh.update(created_at=at)


def _read_what_was_acted_on(*, after: int) -> None:
    """A notification its recipient acted on afterwards (a step of theirs on the same case) was
    read by then; the others stay unread."""
    acted: dict[tuple[int, int], list[datetime]] = {}
    steps = CaseStep.objects.filter(actor__isnull=False, case__notifications__pk__gt=after).distinct()
    for case_id, actor_id, at in steps.values_list("case_id", "actor_id", "at"):
        acted.setdefault((case_id, actor_id), []).append(at)
    read = []
    for notification in Notification.objects.filter(pk__gt=after, case__isnull=False):
        taken = acted.get((notification.case_id or 0, notification.recipient_id), [])
        later = [at for at in taken if at > notification.created_at]
        if later:
            notification.read_at = min(later)
            read.append(notification)
    Notification.objects.bulk_update(read, ["read_at"])
