"""A webhook (an address, a secret, the events it wants), each delivery of an event to it, and the
light each target showed when last looked at."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinLengthValidator, URLValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xicheng.events import Event
from xicheng.history import audited_history
from xicheng.models import Target
from xicheng.personal import EncryptedCharField
from xicheng.progress import Light

# An HMAC key shorter than this is guessable.
SECRET_MIN_LENGTH = 16


def validate_events(value: Any) -> None:
    """A list of one or more of the events `xicheng.events.Event` names, each once."""
    if not isinstance(value, list) or not value or not all(isinstance(item, str) for item in value):
        raise ValidationError(_("Choose at least one event."), code="no_events")
    unknown = sorted(set(value) - set(Event.values))
    if unknown:
        raise ValidationError(
            _("Unknown events: %(events)s. Choose from %(known)s.")
            % {"events": ", ".join(unknown), "known": ", ".join(Event.values)},
            code="unknown_event",
        )
    if len(set(value)) != len(value):
        raise ValidationError(_("Name each event once."), code="duplicate_event")


class WebhookQuerySet(models.QuerySet["Webhook"]):
    def live(self) -> WebhookQuerySet:
        """Those not deleted (archived): the API's list."""
        return self.filter(archived_at__isnull=True)

    def subscribed_to(self, event: str) -> list[Webhook]:
        """The active webhooks that want `event`: one query (a JSON list is filtered here, as
        SQLite cannot look inside it)."""
        return [hook for hook in self.live().filter(active=True).only("pk", "events") if event in hook.events]


class Webhook(models.Model):
    """Where a REST client wants events posted. Kept by the system admin; the secret that signs
    each post is encrypted at rest and never shown again once written."""

    name = models.CharField(_("name"), max_length=100)
    url = models.CharField(
        _("address"),
        max_length=500,
        validators=[
            URLValidator(schemes=["http", "https"], message=_("Enter an address starting with http:// or https://."))
        ],
    )
    secret = EncryptedCharField(_("signing secret"), validators=[MinLengthValidator(SECRET_MIN_LENGTH)])
    events = models.JSONField(_("events"), default=list, validators=[validate_events])
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # Deleted through the API: kept, so that its deliveries still name it, and sent nothing more.
    archived_at = models.DateTimeField(_("deleted at"), null=True, blank=True)

    history = audited_history()
    objects = WebhookQuerySet.as_manager()

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class WebhookDelivery(models.Model):
    """One event posted to one webhook: sent at most once, retried with back-off, each failure's
    answer kept."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    webhook = models.ForeignKey(Webhook, verbose_name=_("webhook"), on_delete=models.PROTECT, related_name="deliveries")
    event = models.CharField(_("event"), max_length=40, choices=Event.choices)
    # The event's id (X-Xicheng-Delivery): the same for every webhook told of it and every retry,
    # so that a receiver can ignore one it has already had.
    event_id = models.UUIDField(_("event id"))
    payload = models.JSONField(_("payload"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next try at"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("last HTTP status"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["webhook", "event_id"],
                name="webhooks_delivery_once_per_webhook",
                violation_error_message=_("An event goes to each webhook once."),
            )
        ]
        indexes = [
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["event", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.event}: {self.get_status_display()}"


class TargetLight(models.Model):
    """The light a target showed when celery beat last looked (lights are computed, never stored
    elsewhere): a different one now is a target.light_changed event."""

    target = models.OneToOneField(Target, verbose_name=_("target"), on_delete=models.CASCADE, related_name="+")
    light = models.CharField(_("light"), max_length=10, choices=Light.choices)
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)

    class Meta:
        verbose_name = _("target light")
        verbose_name_plural = _("target lights")

    def __str__(self) -> str:
        return f"{self.target_id}: {self.light}"
