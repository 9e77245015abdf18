"""The API's webhooks (the secret write-only) and their deliveries (read-only)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers

from xicheng.events import Event
from xicheng.schema import TypedJSON
from xicheng.webhooks.models import SECRET_MIN_LENGTH, Webhook, WebhookDelivery


class WebhookSerializer(TypedJSON, serializers.ModelSerializer[Webhook]):
    secret = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=500,
        help_text=(
            f"At least {SECRET_MIN_LENGTH} characters; the receiver checks each post's X-Xicheng-Signature with it. "
            "Required on create; never returned. Left out (or empty) on a change, the one stored stays."
        ),
    )
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=Event.choices),
        allow_empty=False,
        help_text="The events posted to this address.",
    )
    created_by = serializers.IntegerField(source="created_by_id", read_only=True, allow_null=True)

    class Meta:
        model = Webhook
        fields = ["id", "name", "url", "secret", "events", "active", "created_by", "created_at"]
        read_only_fields = ["id", "created_by", "created_at"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is None and not (attrs.get("secret") or "").strip():
            raise serializers.ValidationError({"secret": [_("Give the signing secret.")]})
        return attrs


class WebhookDeliverySerializer(serializers.ModelSerializer[WebhookDelivery]):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
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
        ]
        read_only_fields = fields
