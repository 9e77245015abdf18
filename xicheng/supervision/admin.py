"""The admin's side of supervision. Cases are read here (the data admin sees each with its steps
and history; every step is taken through the services, never in a form). The chat robots and the
delivery log are the system admin's: how notifications go out, not what they say."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from xicheng.admin import ReadOnlyInline, ScopedAdmin
from xicheng.admin_actions import ReadOnlyAdminMixin, VersionedAdminMixin
from xicheng.supervision.models import Case, CaseStep, Delivery, RobotGroup


class CaseStepInline(ReadOnlyInline):
    model = CaseStep
    fields = ["at", "kind", "actor", "text", "due_on", "rung", "to_user", "attachment"]


@admin.register(Case)
class CaseAdmin(ReadOnlyAdminMixin, ScopedAdmin):
    fields = [
        "title",
        "instruction",
        "level",
        "kind",
        "object_id",
        "area",
        "issuer",
        "owner",
        "owner_unit",
        "head",
        "leader",
        "secretary",
        "due_on",
        "status",
        "opened_at",
        "ack_due_at",
        "acknowledged_at",
        "reminded_at",
        "reported_at",
        "closed_at",
        "escalation",
        "escalated_at",
        "extension_requested_to",
    ]
    list_display = ["title", "level", "status", "owner", "due_on", "escalation", "area"]
    list_filter = ["status", "level", "escalation"]
    search_fields = ["title", "owner_unit"]
    date_hierarchy = "due_on"
    inlines = [CaseStepInline]
    list_select_related = ["owner__cadre", "area"]


class RobotGroupForm(forms.ModelForm):
    """The secret is written, never shown again: left empty, the one stored stays."""

    webhook_url = forms.URLField(label=_("webhook address"), max_length=500, assume_scheme="https")
    secret = forms.CharField(
        label=_("signing secret"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("DingTalk's signing secret (SEC…). Leave empty to keep the one stored; WeCom robots have none."),
    )

    class Meta:
        model = RobotGroup
        fields = ["name", "kind", "webhook_url", "secret", "members", "active"]

    def clean_secret(self) -> str:
        secret: str = self.cleaned_data.get("secret") or ""
        return secret.strip() or (self.instance.secret if self.instance.pk else "")


@admin.register(RobotGroup)
class RobotGroupAdmin(VersionedAdminMixin, SimpleHistoryAdmin):
    form = RobotGroupForm
    list_display = ["name", "kind", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["name"]
    filter_horizontal = ["members"]

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        # A robot no longer wanted is switched off: the deliveries it made keep naming it.
        return False


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """What went out over which channel, and why it did not: no title, no text (domain data)."""

    list_display = ["pk", "recipient", "channel", "status", "attempts", "last_attempt_at", "sent_at", "last_error"]
    list_filter = ["channel", "status"]
    fields = ["recipient", "channel", "status", "attempts", "created_at", "last_attempt_at", "sent_at", "last_error"]
    readonly_fields = [
        "recipient",
        "channel",
        "status",
        "attempts",
        "created_at",
        "last_attempt_at",
        "sent_at",
        "last_error",
    ]
    list_select_related = ["notification__recipient"]
    ordering = ["-created_at", "-pk"]

    @admin.display(description=_("recipient"))
    def recipient(self, delivery: Delivery) -> Any:
        return delivery.notification.recipient
