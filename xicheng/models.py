"""The kernel's data: areas, cadres, the work plan, indicators and targets, the audit log."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node, MP_NodeManager, MP_NodeQuerySet

from xicheng.history import audited_history
from xicheng.people import entered_by_field, field_worker_field, leader_field, version_field
from xicheng.personal import EncryptedCharField, Kind
from xicheng.scope import ScopedQuerySet, ScopeRule
from xicheng.validators import (
    EVENT_DATE,
    NOTE_LENGTH,
    PLAN_DATE,
    note_validators,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class AreaQuerySet(MP_NodeQuerySet):
    def within(self, area: Area) -> AreaQuerySet:
        """The area and everything below it: one indexed prefix match on the materialised path."""
        return self.filter(path__startswith=area.path)


class AreaManager(MP_NodeManager):
    def get_queryset(self) -> AreaQuerySet:
        return AreaQuerySet(self.model, using=self._db).order_by("path")

    def within(self, area: Area) -> AreaQuerySet:
        return self.get_queryset().within(area)


class Area(MP_Node):
    """A node of the place tree: city → subdistrict → zone → village → natural village → grid."""

    class Level(models.IntegerChoices):
        CITY = 1, _("City")
        SUBDISTRICT = 2, _("Subdistrict")
        ZONE = 3, _("Zone")
        VILLAGE = 4, _("Village / community")
        HAMLET = 5, _("Natural village / estate")
        GRID = 6, _("Grid")

    name: models.CharField[str, str] = models.CharField(_("name"), max_length=100)
    level: models.PositiveSmallIntegerField[int, int] = models.PositiveSmallIntegerField(
        _("level"), choices=Level.choices
    )
    code: models.SlugField[str, str] = models.SlugField(_("code"), max_length=60, unique=True)

    history = audited_history()
    objects = AreaManager()

    # No node_order_by: children keep the order they were added in, so a node's path never
    # changes when a sibling is added (sorted insertion would renumber the paths of its siblings).

    class Meta:
        verbose_name = _("area")
        verbose_name_plural = _("areas")

    def __str__(self) -> str:
        return self.name

    def subtree(self) -> AreaQuerySet:
        return Area.objects.within(self)

    @property
    def parent_path(self) -> str:
        return self.path[: -self.steplen]

    def ancestor_paths(self) -> list[str]:
        """Paths of this area and every area above it, nearest last."""
        return [self.path[:end] for end in range(self.steplen, len(self.path) + 1, self.steplen)]


class Cadre(models.Model):
    """The profile that makes a user one of the subdistrict's people."""

    class Position(models.TextChoices):
        LEADER = "leader", _("Leading cadre")
        DIVISION_HEAD = "division_head", _("Division head")
        STAFF = "staff", _("Staff cadre")
        VILLAGE_CADRE = "village_cadre", _("Village cadre")
        GRID_WORKER = "grid_worker", _("Grid worker")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cadre")
    name = models.CharField(_("name"), max_length=50)
    # Personal data under PIPL: encrypted at rest here and in the history table, shown masked.
    phone = EncryptedCharField(_("phone"), blank=True, kind=Kind.PHONE)
    position = models.CharField(_("position"), max_length=20, choices=Position.choices)
    areas: models.ManyToManyField[Area, Any] = models.ManyToManyField(
        Area, verbose_name=_("areas served"), related_name="cadres", blank=True
    )

    history = audited_history(m2m_fields=[areas])

    class Meta:
        verbose_name = _("cadre")
        verbose_name_plural = _("cadres")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class WorkLine(models.Model):
    """A line of work (工作条线); the subdistrict's four pillars by default."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    history = audited_history()

    class Meta:
        verbose_name = _("work line")
        verbose_name_plural = _("work lines")
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class Indicator(models.Model):
    """Something countable whose actual value comes from a metric or from manual readings."""

    class Source(models.TextChoices):
        METRIC = "metric", _("Metric")
        MANUAL = "manual", _("Manual reading")

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=100)
    unit = models.CharField(_("unit"), max_length=20)
    work_line = models.ForeignKey(
        WorkLine, verbose_name=_("work line"), on_delete=models.PROTECT, related_name="indicators"
    )
    lower_is_better = models.BooleanField(_("lower is better"), default=False)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.MANUAL)
    metric = models.CharField(_("metric"), max_length=60, blank=True, help_text=_("Key of a registered metric."))
    headline = models.BooleanField(
        _("headline"), default=False, help_text=_("Shown as a trend chart on the dashboard.")
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    # A manual indicator's figures are typed by the cadre who owns it, from 我的填报.
    owner = field_worker_field(_("reading owner"), optional=True)

    history = audited_history()

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["work_line__order", "order", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(source="manual", metric="") | (Q(source="metric") & ~Q(metric="")),
                name="indicator_metric_matches_source",
                violation_error_message=_("A metric indicator names its metric; a manual one names none."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.unit}）"


class TargetQuerySet(ScopedQuerySet):
    scope_rule = ScopeRule(area="area")

    def for_period(self, start: date, end: date) -> TargetQuerySet:
        return self.filter(period_start=start, period_end=end)


class Target(models.Model):
    """An indicator's target value for an area over a period, e.g. 2026 H1."""

    indicator = models.ForeignKey(
        Indicator, verbose_name=_("indicator"), on_delete=models.PROTECT, related_name="targets"
    )
    area = models.ForeignKey(Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="targets")
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    value = models.DecimalField(_("target value"), max_digits=14, decimal_places=2)

    history = audited_history()
    objects = TargetQuerySet.as_manager()

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["indicator__work_line__order", "indicator__order", "period_start", "area__path"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "area", "period_start", "period_end"],
                name="target_one_per_indicator_area_period",
                violation_error_message=_("This indicator already has a target for this area and period."),
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="target_period_ends_after_start",
                violation_error_message=_("The period must end on or after its start."),
            ),
            models.CheckConstraint(
                condition=Q(value__gte=0),
                name="target_value_not_negative",
                violation_error_message=_("A target cannot be negative."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator.name} · {self.area} · {self.period_label}"

    @property
    def period_label(self) -> str:
        from xicheng.periods import Period

        return Period(self.period_start, self.period_end).label


class ManualReadingQuerySet(ScopedQuerySet):
    scope_rule = ScopeRule(area="area", responsible=("entered_by",))


class ManualReading(models.Model):
    """A figure entered by hand for an indicator without a metric: the increase since the last one."""

    indicator = models.ForeignKey(
        Indicator, verbose_name=_("indicator"), on_delete=models.PROTECT, related_name="readings"
    )
    area = models.ForeignKey(Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="readings")
    on = models.DateField(_("date"), validators=EVENT_DATE)
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=2)
    note = models.CharField(_("note"), max_length=200, blank=True)
    entered_by = entered_by_field(_("entered by"))

    history = audited_history()
    objects = ManualReadingQuerySet.as_manager()

    class Meta:
        verbose_name = _("manual reading")
        verbose_name_plural = _("manual readings")
        ordering = ["-on", "indicator"]

    def __str__(self) -> str:
        return f"{self.indicator.name} {self.on}: {self.value}"


class TaskQuerySet(ScopedQuerySet):
    scope_rule = ScopeRule(area="area", responsible=("responsible", "lead_leader"))

    def open(self) -> TaskQuerySet:
        return self.exclude(status=Task.Status.DONE)

    def overdue(self, as_of: date) -> TaskQuerySet:
        return self.open().filter(due_on__lt=as_of)

    def assigned_to(self, user: User) -> TaskQuerySet:
        return self.filter(Q(responsible=user) | Q(lead_leader=user))

    def with_last_note(self) -> TaskQuerySet:
        """Each task with its latest progress note and when it was written (`last_note`,
        `last_note_at`), in the same query."""
        latest = TaskUpdate.objects.filter(task=models.OuterRef("pk")).order_by("-created_at", "-pk")
        return self.annotate(
            last_note=models.Subquery(latest.values("note")[:1]),
            last_note_at=models.Subquery(latest.values("created_at")[:1]),
        )


class Task(models.Model):
    """A piece of work (重点工作任务) with a lead leader, a responsible cadre and progress notes."""

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", _("Not started")
        IN_PROGRESS = "in_progress", _("In progress")
        BLOCKED = "blocked", _("Blocked")
        DONE = "done", _("Done")

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=NOTE_LENGTH, validators=note_validators())
    work_line = models.ForeignKey(WorkLine, verbose_name=_("work line"), on_delete=models.PROTECT, related_name="tasks")
    area = models.ForeignKey(Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="tasks")
    lead_leader = leader_field(_("lead leader"), related_name="led_tasks")
    responsible = field_worker_field(_("responsible cadre"), related_name="tasks")
    due_on = models.DateField(_("due date"), validators=PLAN_DATE)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NOT_STARTED)
    target = models.ForeignKey(
        Target, verbose_name=_("target"), on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks"
    )
    created_on = models.DateField(_("created on"), default=timezone.localdate)
    version = version_field()

    history = audited_history()
    objects = TaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["due_on", "pk"]
        # due_on with id: the list's order, so a page is read from the index in order.
        indexes = [models.Index(fields=["status", "due_on"]), models.Index(fields=["due_on", "id"])]

    def __str__(self) -> str:
        return self.title

    @staticmethod
    def overdue_q(as_of: date) -> Q:
        """Listed by the day, not done and past its due day: for rows read as they stood (xicheng.asof)."""
        return Q(created_on__lte=as_of, due_on__lt=as_of) & ~Q(status=Task.Status.DONE)

    def is_overdue(self, as_of: date | None = None) -> bool:
        return self.status != self.Status.DONE and self.due_on < (as_of or timezone.localdate())


class TaskUpdateQuerySet(ScopedQuerySet):
    scope_rule = ScopeRule(area="task__area", responsible=("author", "task__responsible", "task__lead_leader"))


class TaskUpdate(models.Model):
    """A progress note (进展情况) a cadre writes on a task."""

    task = models.ForeignKey(Task, verbose_name=_("task"), on_delete=models.CASCADE, related_name="updates")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(_("progress note"), max_length=NOTE_LENGTH, validators=note_validators())
    status = models.CharField(_("status after"), max_length=20, choices=Task.Status.choices)
    created_at = models.DateTimeField(_("written at"), default=timezone.now)

    history = audited_history()
    objects = TaskUpdateQuerySet.as_manager()

    class Meta:
        verbose_name = _("progress note")
        verbose_name_plural = _("progress notes")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.note[:40]


class AuditEvent(models.Model):
    """What the history tables cannot see: sign-ins, account and role changes, tokens, exports,
    imports and views of unmasked personal data. Append-only: no page, admin or API changes one,
    and on PostgreSQL a trigger refuses UPDATE and DELETE but for the retention purge."""

    class Action(models.TextChoices):
        LOGIN = "login", _("Logged in")
        LOGOUT = "logout", _("Logged out")
        LOGIN_FAILED = "login_failed", _("Failed login")
        LOCKOUT = "lockout", _("Account locked out")
        UNLOCK = "unlock", _("Account unlocked")
        PASSWORD_CHANGE = "password_change", _("Password changed")
        PASSWORD_RESET = "password_reset", _("Password reset by an administrator")
        OTP_ENROL = "otp_enrol", _("Second factor enrolled")
        OTP_REMOVE = "otp_remove", _("Second factor removed")
        TOKEN = "token", _("API token issued")
        TOKEN_REVOKE = "token_revoke", _("API token revoked")
        USER_CHANGE = "user_change", _("Account changed")
        ROLE_CHANGE = "role_change", _("Roles changed")
        PERMISSION_CHANGE = "permission_change", _("Permissions changed")
        SUPERUSER = "superuser", _("Superuser action")
        DENIED = "denied", _("Access refused")
        EXPORT = "export", _("Export")
        IMPORT = "import", _("Import")
        VIEW_PERSONAL = "view_personal", _("Viewed personal data")
        AUDIT_PURGE = "audit_purge", _("Audit records purged")

    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    action = models.CharField(_("action"), max_length=20, choices=Action.choices, db_index=True)
    subject = models.CharField(_("subject"), max_length=200)
    # Whom an account event concerns (the user whose roles changed, whose token was revoked).
    target_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("concerning"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # What changed, as {"field": [before, after]}.
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    # Where the event came from: web, api, admin, or a management command and its host.
    source = models.CharField(_("request source"), max_length=100, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at"]
        permissions = [
            ("view_audit_trail", "Can read the audit trail"),
            ("view_all_records", "Can read every record"),
            ("view_personal_data", "Can see unmasked personal data"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user} {self.action} {self.subject}"


class AccountSecurity(models.Model):
    """What the login flow must know about an account beyond Django's user: whether its password
    was set by someone else (an administrator's reset, a new account) and must be changed before
    anything else. No row means nothing is pending."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="account_security"
    )
    must_change_password = models.BooleanField(_("must change password"), default=False)
    password_changed_at = models.DateTimeField(_("password changed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("account security")
        verbose_name_plural = _("account security")

    def __str__(self) -> str:
        return str(self.user)


class MetricFact(models.Model):
    """A registered metric's value for one area on one day: the rows that count from that day,
    added up (xicheng.facts). Derived from the registers, which stay the truth: kept with every
    write that changes it, rebuilt by `manage.py rebuild_facts`, and never edited by hand."""

    metric = models.CharField(_("metric"), max_length=100)
    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+", verbose_name=_("area"))
    day = models.DateField(_("day"))
    value = models.DecimalField(_("value"), max_digits=24, decimal_places=4, default=0)

    class Meta:
        verbose_name = _("metric fact")
        verbose_name_plural = _("metric facts")
        constraints = [models.UniqueConstraint(fields=["metric", "area", "day"], name="metric_fact_once_a_day")]
        # A period's sum reads an index alone (on PostgreSQL an index-only scan): by area for a
        # subtree, whatever the number of other subdistricts (Xicheng's migrants at scale 14: 9 →
        # 2 ms), and by day for the whole city, where every area counts (17 ms instead of 24).
        indexes = [
            models.Index(fields=["metric", "area", "day"], include=["value"], name="metric_fact_by_area"),
            models.Index(fields=["metric", "day", "area"], include=["value"], name="metric_fact_by_day"),
        ]

    def __str__(self) -> str:
        return f"{self.metric} {self.area_id} {self.day:%Y-%m-%d} {self.value}"


class MetricMonth(models.Model):
    """A metric's facts for one area added up over a calendar month (xicheng.facts): a half-year's
    sum for a whole city reads six months and this month's days, not a hundred and eighty days.
    Kept with the facts in the same transaction, and rebuilt with them."""

    metric = models.CharField(_("metric"), max_length=100)
    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+", verbose_name=_("area"))
    month = models.DateField(_("month"))  # its first day
    value = models.DecimalField(_("value"), max_digits=24, decimal_places=4, default=0)

    class Meta:
        verbose_name = _("metric month")
        verbose_name_plural = _("metric months")
        # The constraint's index serves a subtree (by area); this one the whole city (by month).
        constraints = [models.UniqueConstraint(fields=["metric", "area", "month"], name="metric_month_once")]
        indexes = [models.Index(fields=["metric", "month", "area"], include=["value"], name="metric_month_by_month")]

    def __str__(self) -> str:
        return f"{self.metric} {self.area_id} {self.month:%Y-%m} {self.value}"


# Import and export jobs live beside their services (xicheng/jobs.py).
from xicheng.jobs import ImportExportJob  # noqa: E402, F401
