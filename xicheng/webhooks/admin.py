"""The system admin's side of webhooks: the webhooks (the secret written, never shown again) and
the log of what went out to them."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from xicheng.admin_actions import ReadOnlyAdminMixin, VersionedAdminMixin
from xicheng.events import Event
from xicheng.webhooks.models import SECRET_MIN_LENGTH, Webhook, WebhookDelivery


class WebhookForm(forms.ModelForm):
    """The secret is written, never shown again: left empty on a change, the one stored stays."""

    url = forms.URLField(label=_("address"), max_length=500, assume_scheme="https")
    secret = forms.CharField(
        label=_("signing secret"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_(
            "At least %(length)s characters, shared with the receiver to check each post. Leave empty to keep the one stored."
        )
        % {"length": SECRET_MIN_LENGTH},
    )
    events = forms.MultipleChoiceField(label=_("events"), choices=Event.choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = Webhook
        fields = ["name", "url", "secret", "events", "active"]

    def clean_secret(self) -> str:
        secret: str = (self.cleaned_data.get("secret") or "").strip()
        if secret:
            return secret
        if self.instance.pk:
            return str(self.instance.secret)
        raise forms.ValidationError(_("Give the signing secret."), code="required")

    def clean_events(self) -> list[str]:
        return list(self.cleaned_data.get("events") or [])


@admin.register(Webhook)
class WebhookAdmin(VersionedAdminMixin, SimpleHistoryAdmin):
    form = WebhookForm
    list_display = ["name", "url", "active", "archived_at", "created_at"]
    list_filter = ["active"]
    search_fields = ["name", "url"]
    readonly_fields = ["created_by", "created_at", "archived_at"]

    def get_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        fields = ["name", "url", "secret", "events", "active"]
        return fields if obj is None else [*fields, "created_by", "created_at", "archived_at"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        # A webhook no longer wanted is switched off (or deleted through the API, which archives
        # it): its deliveries keep naming it.
        return False


# The delivery log's page: all of it, read-only.
DELIVERY_FIELDS = (
    "webhook",
    "event",
    "event_id",
    "status",
    "attempts",
    "last_status_code",
    "last_error",
    "created_at",
    "next_attempt_at",
    "sent_at",
    "payload",
)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """What went out to which webhook, and what it answered."""

    list_display = ["pk", "webhook", "event", "status", "attempts", "last_status_code", "created_at", "sent_at"]
    list_filter = ["status", "event", "webhook"]
    fields = DELIVERY_FIELDS
    readonly_fields = DELIVERY_FIELDS
    list_select_related = ["webhook"]
    ordering = ["-created_at", "-pk"]
