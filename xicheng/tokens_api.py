"""`/api/v1/tokens/`: an API user lists the tokens issued to them and revokes one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from knox.models import AuthToken
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.request import Request

from xicheng.api import router
from xicheng.authentication import token_revoke
from xicheng.roles import has_role

if TYPE_CHECKING:
    from xicheng.roles import AuthenticatedRequest


class TokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuthToken
        fields = ["token_key", "created", "expiry"]
        read_only_fields = fields


class OwnTokensOnly(permissions.BasePermission):
    """Any signed-in user with a role; the queryset holds their own tokens only."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.is_authenticated and has_role(request.user))


@extend_schema_view(
    list=extend_schema(summary="The caller's own live API tokens (key prefix, issued, expiry)."),
    destroy=extend_schema(summary="Revoke one of the caller's own tokens; it answers 401 from then on."),
)
class TokenViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    serializer_class = TokenSerializer
    permission_classes = [OwnTokensOnly]
    lookup_field = "token_key"
    queryset = AuthToken.objects.none()
    if TYPE_CHECKING:
        request: AuthenticatedRequest  # OwnTokensOnly lets no anonymous user this far

    def get_queryset(self) -> QuerySet[AuthToken]:
        return AuthToken.objects.filter(user=self.request.user).exclude(expiry__lt=timezone.now()).order_by("-created")

    def perform_destroy(self, instance: AuthToken) -> None:
        token_revoke(token=instance, acting_user=self.request.user, request=self.request, source="api")


router.register("tokens", TokenViewSet, basename="token")
