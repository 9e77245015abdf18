"""/api/v1/webhooks/ (register, change, delete) and /api/v1/webhook-deliveries/ (what went out):
the system admin's, like the chat robots and the notifications' delivery log. The model
permissions say who (xicheng.roles.SYSTEM_MODELS); a webhook lies in no area, so there is no
scope beyond them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Model
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.request import Request

from xicheng.api import READ_METHODS, StrictQuery, router
from xicheng.drf import OrderingFilter, RolePermission
from xicheng.webhooks import services
from xicheng.webhooks.filters import WebhookDeliveryFilter
from xicheng.webhooks.models import Webhook, WebhookDelivery
from xicheng.webhooks.serializers import WebhookDeliverySerializer, WebhookSerializer

if TYPE_CHECKING:
    from rest_framework.serializers import BaseSerializer

    from xicheng.roles import AuthenticatedRequest


class SystemRecordPermission(RolePermission):
    """The model permission for the method, and nothing more: a webhook is no domain record, so
    no area scope applies to it."""

    def has_object_permission(self, request: Request, view: Any, obj: Model) -> bool:
        return True


@extend_schema_view(
    list=extend_schema(summary="The webhooks registered (deleted ones left out); the secret is never returned."),
    create=extend_schema(summary="Register an address, its signing secret and the events to post to it."),
    partial_update=extend_schema(summary="Change a webhook; a secret left out keeps the one stored."),
    destroy=extend_schema(summary="Delete a webhook: it is sent nothing more; its deliveries stay in the log."),
)
class WebhookViewSet(
    StrictQuery,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    queryset = Webhook.objects.live()
    serializer_class = WebhookSerializer
    permission_classes = [SystemRecordPermission]
    filter_backends: list[Any] = []
    http_method_names = [*READ_METHODS, "post", "patch", "delete"]
    if TYPE_CHECKING:
        request: AuthenticatedRequest

    def perform_create(self, serializer: BaseSerializer[Any]) -> None:
        serializer.instance = services.webhook_create(acting_user=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer: BaseSerializer[Any]) -> None:
        serializer.instance = services.webhook_update(
            webhook=self.get_object(), acting_user=self.request.user, **serializer.validated_data
        )

    def perform_destroy(self, instance: Webhook) -> None:
        services.webhook_archive(webhook=instance, acting_user=self.request.user)


class WebhookDeliveryViewSet(StrictQuery, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Each event posted to each webhook, newest first: its status, attempts, the last answer
    (HTTP status, error) and the payload sent. Filter by `webhook`, `event`, `status`."""

    queryset = WebhookDelivery.objects.all()
    serializer_class = WebhookDeliverySerializer
    permission_classes = [SystemRecordPermission]
    filterset_class = WebhookDeliveryFilter
    # Filtered and ordered; nothing in a delivery is text to search.
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    ordering_fields = ["created_at", "sent_at", "attempts"]
    ordering = ["-created_at", "-id"]


router.register("webhooks", WebhookViewSet)
router.register("webhook-deliveries", WebhookDeliveryViewSet)
