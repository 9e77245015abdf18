"""The 督办 engine's data: cases and their steps, notifications and their deliveries, chat robots,
and each user's choice of how to be told."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.validators import FileExtensionValidator, URLValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from xicheng import clock
from xicheng.history import audited_history
from xicheng.models import Area
from xicheng.people import field_worker_field, version_field
from xicheng.personal import EncryptedCharField
from xicheng.scope import ScopedQuerySet, ScopeRule
from xicheng.validators import NOTE_LENGTH, PLAN_DATE, note_validators

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def end_of_day(day: date) -> datetime:
    """The moment a day is over in the site's time zone: a case due on the 10th is overdue from
    midnight on the 11th."""
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


class Light(models.TextChoices):
    ON_TIME = "on_time", _("On time")
    DUE_SOON = "due_soon", _("Due soon")
    OVERDUE = "overdue", _("Overdue")
    ESCALATED = "escalated", _("Escalated")
    CLOSED = "closed", _("Closed")


class CaseQuerySet(ScopedQuerySet):
    # A cadre sees the cases in her areas' subtrees and those she answers for, is chased up the
    # ladder about, or issued; leaders read them all.
    scope_rule = ScopeRule(area="area", responsible=("owner", "issuer", "head", "leader", "secretary"))

    def open(self) -> CaseQuerySet:
        return self.exclude(status=Case.Status.CLOSED)

    def overdue(self, as_of: date) -> CaseQuerySet:
        return self.open().filter(due_on__lt=as_of)

    def with_light(self, as_of: date | None = None) -> CaseQuerySet:
        """Each case with its `light` (Light), in the same query: what `Case.light()` says."""
        today = as_of or clock.today()
        soon = today + timedelta(days=settings.SUPERVISION_DUE_SOON_DAYS)
        return self.annotate(
            light=models.Case(
                models.When(status=Case.Status.CLOSED, then=models.Value(Light.CLOSED)),
                models.When(escalation__gt=0, then=models.Value(Light.ESCALATED)),
                models.When(due_on__lt=today, then=models.Value(Light.OVERDUE)),
                models.When(due_on__lte=soon, then=models.Value(Light.DUE_SOON)),
                default=models.Value(Light.ON_TIME),
                output_field=models.CharField(),
            )
        )


class Case(models.Model):
    """A supervision case (督办单): a leader's instruction (批示) on a record, given to an owner with
    a due day, and every step taken on it until the leader accepts it as done."""

    class Level(models.TextChoices):
        GENERAL = "general", _("General")
        KEY = "key", pgettext_lazy("level of a supervision case", "Key")  # 重点, not a key (密钥)
        SPECIAL = "special", _("Special")

    class Status(models.TextChoices):
        OPENED = "opened", _("Awaiting acknowledgement")
        ACKNOWLEDGED = "acknowledged", _("In hand")
        REPORTED = "reported", _("Awaiting acceptance")
        CLOSED = "closed", _("Closed")

    class Rung(models.IntegerChoices):
        NONE = 0, _("Not escalated")
        HEAD = 1, _("Squad or unit head")
        LEADER = 2, _("Responsible leader")
        SECRETARY = 3, _("Secretary")

    # The record supervised: a kind the kernel or a domain declares (xicheng.plugins.Supervisable)
    # and the record's id. Its area is kept here, so that scope reads the case alone.
    kind = models.CharField(_("kind of record"), max_length=60)
    object_id = models.PositiveBigIntegerField(_("record number"))
    area = models.ForeignKey(Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("title"), max_length=200)
    instruction = models.TextField(_("instruction"), max_length=NOTE_LENGTH, validators=note_validators())
    level = models.CharField(_("level"), max_length=10, choices=Level.choices, default=Level.GENERAL)
    issuer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("issued by"), on_delete=models.PROTECT, related_name="+"
    )
    owner = field_worker_field(_("owner"))
    owner_unit = models.CharField(_("owner's unit"), max_length=100, blank=True)
    # The ladder, named when the case is opened: who hears of it at each rung.
    head = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("squad or unit head"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("responsible leader"), on_delete=models.PROTECT, related_name="+"
    )
    secretary = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("secretary"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    due_on = models.DateField(_("due date"), validators=PLAN_DATE)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.OPENED)
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    ack_due_at = models.DateTimeField(_("to be acknowledged by"))
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    reported_at = models.DateTimeField(_("reported done at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    escalation = models.PositiveSmallIntegerField(_("escalated to"), choices=Rung.choices, default=Rung.NONE)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    # An extension the owner asked for and the issuer has not yet decided on.
    extension_requested_to = models.DateField(_("extension asked until"), null=True, blank=True)
    version = version_field()

    history = audited_history()
    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("supervision case")
        verbose_name_plural = _("supervision cases")
        ordering = ["due_on", "pk"]
        indexes = [
            models.Index(fields=["status", "due_on"]),
            models.Index(fields=["kind", "object_id"]),
            models.Index(fields=["due_on", "id"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(escalation__gte=0, escalation__lte=3),
                name="supervision_case_escalation_a_rung",
                violation_error_message=_("A case climbs at most three rungs."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def due_at(self) -> datetime:
        """When the case becomes overdue: the end of its due day."""
        return end_of_day(self.due_on)

    @property
    def escalation_chain(self) -> list[tuple[int, User | None]]:
        """(rung, who holds it) from the first rung to the last; a rung nobody holds is None."""
        return [(Case.Rung.HEAD, self.head), (Case.Rung.LEADER, self.leader), (Case.Rung.SECRETARY, self.secretary)]

    def holder(self, rung: int) -> User | None:
        return dict(self.escalation_chain).get(rung)

    def light(self, as_of: date | None = None) -> str:
        """On time, due soon, overdue, escalated (or closed): the same rule as `with_light`."""
        today = as_of or clock.today()
        if self.status == Case.Status.CLOSED:
            return Light.CLOSED
        if self.escalation > 0:
            return Light.ESCALATED
        if self.due_on < today:
            return Light.OVERDUE
        if self.due_on <= today + timedelta(days=settings.SUPERVISION_DUE_SOON_DAYS):
            return Light.DUE_SOON
        return Light.ON_TIME


class CaseStepQuerySet(ScopedQuerySet):
    scope_rule = ScopeRule(
        area="case__area",
        responsible=("case__owner", "case__issuer", "case__head", "case__leader", "case__secretary"),
    )


ATTACHMENT_EXTENSIONS = ["pdf", "jpg", "jpeg", "png", "doc", "docx", "xls", "xlsx", "txt"]


class CaseStep(models.Model):
    """One step on a case: who took it, when, and what they said. Written only by the services,
    never changed."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("Opened")
        REMINDED = "reminded", _("Reminded")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        REPLIED = "replied", _("Progress reported")
        EXTENSION_REQUESTED = "extension_requested", _("Extension requested")
        EXTENSION_APPROVED = "extension_approved", _("Extension approved")
        EXTENSION_REFUSED = "extension_refused", _("Extension refused")
        REPORTED = "reported", _("Reported done")
        SENT_BACK = "sent_back", _("Sent back")
        ACCEPTED = "accepted", _("Accepted")
        ESCALATED = "escalated", _("Escalated")

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="steps")
    kind = models.CharField(_("step"), max_length=30, choices=Kind.choices)
    # Nobody when the system took the step (a reminder, an escalation).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    text = models.TextField(_("text"), blank=True, max_length=NOTE_LENGTH, validators=note_validators())
    # An extension request: the due day asked for. An extension approved: the new due day.
    due_on = models.DateField(_("due date"), null=True, blank=True)
    # A reminder or an escalation: the rung reached and who was told.
    rung = models.PositiveSmallIntegerField(_("rung"), choices=Case.Rung.choices, null=True, blank=True)
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent to"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    attachment = models.FileField(
        _("attachment"),
        upload_to="supervision/%Y/%m/",
        blank=True,
        validators=[FileExtensionValidator(ATTACHMENT_EXTENSIONS)],
    )

    history = audited_history()
    objects = CaseStepQuerySet.as_manager()

    class Meta:
        verbose_name = _("case step")
        verbose_name_plural = _("case steps")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.case} · {self.get_kind_display()}"


# Notifications --------------------------------------------------------------------------------


class Channel(models.TextChoices):
    IN_APP = "in_app", _("In the system")
    DINGTALK = "dingtalk", _("DingTalk group robot")
    WECOM = "wecom", _("WeCom group robot")
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")


def notification_kinds() -> list[tuple[str, Any]]:
    """Every kind of notification with its name: a case's own, every kind of reminder the kernel
    and the domains declare (xicheng.supervision.reminders), the daily digest. The fields' choices
    are this function, so a domain's new kind of reminder needs no migration of the kernel."""
    from xicheng.supervision.reminders import reminder_kinds

    Kind = Notification.Kind
    cases = [(value, label) for value, label in Kind.choices if value != Kind.DIGEST]
    reminders = [(reminder.kind, reminder.label) for reminder in reminder_kinds().values()]
    return [*cases, *reminders, (Kind.DIGEST.value, Kind.DIGEST.label)]


KIND_LENGTH = 60


class Notification(models.Model):
    """A message to one person (in the in-app centre), delivered over each channel they chose."""

    # The kernel's own kinds; the kinds of reminder are declared (xicheng.plugins.Reminder).
    class Kind(models.TextChoices):
        CASE_OPENED = "case_opened", _("A case given to me")
        CASE_REMINDER = "case_reminder", _("A reminder to acknowledge a case")
        CASE_ESCALATED = "case_escalated", _("A case escalated")
        CASE_UPDATE = "case_update", _("A step on a case I follow")
        DIGEST = "digest", _("Daily digest of unread notifications")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=KIND_LENGTH, choices=notification_kinds)
    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="notifications", null=True, blank=True
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    # Where it leads when it names no case: the page of the thing a reminder is about.
    link = models.CharField(_("link"), max_length=300, blank=True)
    # A reminder's thing and day ("hazard:12@2026-03-02"): a person is told of it once.
    key = models.CharField(_("key"), max_length=120, blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "read_at", "created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "kind", "key"],
                condition=~Q(key=""),
                name="supervision_notification_once_per_key",
                violation_error_message=_("This person was already told of this."),
            )
        ]

    def __str__(self) -> str:
        return self.title


class Delivery(models.Model):
    """One notification over one channel: sent once, retried with back-off, its failures kept."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    notification = models.ForeignKey(
        Notification, verbose_name=_("notification"), on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    last_attempt_at = models.DateTimeField(_("last tried at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "channel"],
                name="supervision_delivery_once_per_channel",
                violation_error_message=_("A notification goes over each channel once."),
            )
        ]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        # No title: the delivery log is the system admin's, who reads no domain data.
        return f"#{self.pk} {self.get_channel_display()}: {self.get_status_display()}"


class RobotGroup(models.Model):
    """A chat group's robot (DingTalk or WeCom): notifications to its members are posted there.
    Kept by the system admin; the webhook address and the signing secret are encrypted at rest."""

    class Kind(models.TextChoices):
        DINGTALK = Channel.DINGTALK.value, _("DingTalk group robot")
        WECOM = Channel.WECOM.value, _("WeCom group robot")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # DingTalk: https://oapi.dingtalk.com/robot/send?access_token=…; WeCom:
    # https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=… (the key is the credential).
    webhook_url = EncryptedCharField(_("webhook address"), validators=[URLValidator(schemes=["http", "https"])])
    # DingTalk's 加签 secret (SEC…); WeCom's robots sign nothing.
    secret = EncryptedCharField(_("signing secret"), blank=True)
    members: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=pgettext_lazy("people in a chat group", "members"),
        related_name="+",
        blank=True,
    )
    active = models.BooleanField(_("active"), default=True)

    history = audited_history(m2m_fields=[members])

    class Meta:
        verbose_name = _("robot group")
        verbose_name_plural = _("robot groups")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class NotificationPreference(models.Model):
    """How one person wants one kind of notification: whether at all (a case's notices cannot be
    turned off) and over which channels beyond the in-app centre."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=KIND_LENGTH, choices=notification_kinds)
    enabled = models.BooleanField(_("wanted"), default=True)
    channels = models.JSONField(_("channels"), default=list, blank=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind"],
                name="supervision_preference_one_per_kind",
                violation_error_message=_("Each kind of notification has one preference per person."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_kind_display()}"
