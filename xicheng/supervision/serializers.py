"""The API's cases (with their steps) and notifications, and the bodies of the steps' actions."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from xicheng.schema import TypedJSON
from xicheng.serializers import PersonSerializer, VersionField
from xicheng.supervision.models import Case, CaseStep, Light, Notification
from xicheng.validators import NOTE_LENGTH


class CaseStepSerializer(serializers.ModelSerializer[CaseStep]):
    actor = PersonSerializer(read_only=True, allow_null=True)
    to_user = PersonSerializer(read_only=True, allow_null=True)

    class Meta:
        model = CaseStep
        fields = ["id", "kind", "actor", "at", "text", "due_on", "rung", "to_user", "attachment"]
        read_only_fields = fields


class CaseSerializer(serializers.ModelSerializer[Case]):
    area_name = serializers.CharField(source="area.name", read_only=True)
    issuer = PersonSerializer(read_only=True)
    owner = PersonSerializer(read_only=True)
    head = PersonSerializer(read_only=True, allow_null=True)
    leader = PersonSerializer(read_only=True)
    secretary = PersonSerializer(read_only=True, allow_null=True)
    light = serializers.ChoiceField(
        choices=Light.choices, read_only=True, help_text="on time, due soon, overdue, escalated, closed"
    )
    steps = CaseStepSerializer(many=True, read_only=True)

    class Meta:
        model = Case
        fields = [
            "id",
            "kind",
            "object_id",
            "area",
            "area_name",
            "title",
            "instruction",
            "level",
            "status",
            "light",
            "issuer",
            "owner",
            "owner_unit",
            "head",
            "leader",
            "secretary",
            "due_on",
            "opened_at",
            "ack_due_at",
            "acknowledged_at",
            "reminded_at",
            "reported_at",
            "closed_at",
            "escalation",
            "escalated_at",
            "extension_requested_to",
            "version",
            "steps",
        ]
        read_only_fields = fields


# The bodies of the steps. `version` is the case's version you read (or send If-Match).


class NoteBody(TypedJSON, serializers.Serializer[Any]):
    text = serializers.CharField(required=False, allow_blank=True, max_length=NOTE_LENGTH, default="")
    version = VersionField()


class ReplyBody(TypedJSON, serializers.Serializer[Any]):
    text = serializers.CharField(max_length=NOTE_LENGTH)


class TextBody(TypedJSON, serializers.Serializer[Any]):
    text = serializers.CharField(max_length=NOTE_LENGTH)
    version = VersionField()


class ExtensionBody(TypedJSON, serializers.Serializer[Any]):
    due_on = serializers.DateField()
    reason = serializers.CharField(max_length=NOTE_LENGTH)
    version = VersionField()


class DecisionBody(TypedJSON, serializers.Serializer[Any]):
    approve = serializers.BooleanField()
    text = serializers.CharField(required=False, allow_blank=True, max_length=NOTE_LENGTH, default="")
    version = VersionField()


class NotificationSerializer(serializers.ModelSerializer[Notification]):
    read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "case", "title", "body", "link", "created_at", "read_at", "read"]
        read_only_fields = fields

    def get_read(self, notification: Notification) -> bool:
        return notification.read_at is not None


class ReadAllSerializer(serializers.Serializer[Any]):
    marked = serializers.IntegerField(help_text="How many notifications were unread.")
