"""/api/v1/cases/ (with their steps; each step an action calling its service) and
/api/v1/notifications/ (one's own; mark read)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from xicheng.api import ReadOnlyScopedViewSet, StrictQuery, router
from xicheng.roles import has_role, reads_domain
from xicheng.supervision import serializers as s
from xicheng.supervision import services
from xicheng.supervision.filters import CaseFilter
from xicheng.supervision.models import Case, CaseQuerySet, Notification
from xicheng.supervision.notifications import notification_mark_read, notifications_mark_all_read
from xicheng.supervision.selectors import PEOPLE

if TYPE_CHECKING:
    from rest_framework import serializers

    from xicheng.roles import AuthenticatedRequest


def step_action(body: type[serializers.Serializer[Any]], **kwargs: Any) -> Callable[[Any], Any]:
    """A POST action taking one step on a case: its body (with the case's `version` where the
    step changes the case), the case as it is now in the answer."""

    def wrap(method: Any) -> Any:
        documented = extend_schema(request=body, responses=s.CaseSerializer)(method)
        return action(detail=True, methods=["post"], **kwargs)(documented)

    return wrap


class CaseViewSet(ReadOnlyScopedViewSet):
    """Supervision cases (督办单) the caller may see, each with every step taken on it. The owner
    and the issuer take their steps by POSTing to the actions; those that change the case take
    the `version` read (the ETag of the case's GET): a stale one is a 409 with the current one."""

    queryset = Case.objects.select_related("area", *PEOPLE).prefetch_related(
        "steps__actor__cadre", "steps__to_user__cadre"
    )
    serializer_class = s.CaseSerializer
    filterset_class = CaseFilter
    search_fields = ["title"]
    ordering_fields = ["due_on", "opened_at", "level", "status"]
    ordering = ["due_on", "id"]
    # Every step is a change of the case: the owner's and the issuer's alike (the services say whose).
    action_permissions = dict.fromkeys(
        ["acknowledge", "reply", "request_extension", "report_done", "decide_extension", "send_back", "accept"],
        "change",
    )

    def get_queryset(self) -> Any:
        # The scoped cases (a CaseQuerySet, which DRF's types cannot say), each with its light.
        return cast(CaseQuerySet, super().get_queryset()).with_light()

    def _take(self, service: Callable[..., Any], body: type[serializers.Serializer[Any]]) -> Response:
        case = self.get_object()
        data = body(data=self.request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        if "version" in data.fields:
            # Left out, the service answers that the version read is needed (400).
            fields.setdefault("version", None)
        service(case=case, acting_user=self.request.user, **fields)
        return Response(self.get_serializer(self.get_queryset().get(pk=case.pk)).data)

    @step_action(s.NoteBody)
    def acknowledge(self, request: AuthenticatedRequest, pk: str | None = None) -> Response:
        """签收: the owner acknowledges the case."""
        return self._take(services.case_acknowledge, s.NoteBody)

    @step_action(s.ReplyBody)
    def reply(self, request: AuthenticatedRequest, pk: str | None = None) -> Response:
        """办理情况: the owner says how the work stands (added, never conflicting: no version)."""
        return self._take(services.case_reply, s.ReplyBody)

    @step_action(s.ExtensionBody, url_path="request-extension")
    def request_extension(self, request: AuthenticatedRequest, pk: str | None = None) -> Response:
        """延期申请: the owner asks for a later due day, saying why."""
        return self._take(services.case_request_extension, s.ExtensionBody)

    @step_action(s.TextBody, url_path="report-done")
    def report_done(self, request: AuthenticatedRequest, pk: str | None = None) -> Response:
        """办结: the owner reports the work done."""
        return self._take(services.case_report_done, s.TextBody)

    @step_action(s.DecisionBody, url_path="decide-extension")
    def decide_extension(self, request: AuthenticatedRequest, pk: str | None = None) -> Response:
        """The issuer approves (`approve: true`) or refuses the extension asked for."""
        return self._take(services.case_decide_extension, s.DecisionBody)

    @step_action(s.TextBody, url_path="send-back")
    def send_back(self, request: AuthenticatedRequest, pk: str | None = None) -> Response:
        """退回重办: the issuer sends the report back, saying what is still to be done."""
        return self._take(services.case_send_back, s.TextBody)

    @step_action(s.NoteBody)
    def accept(self, request: AuthenticatedRequest, pk: str | None = None) -> Response:
        """验收: the issuer accepts the work; the case closes."""
        return self._take(services.case_accept, s.NoteBody)


class OwnNotificationsPermission(permissions.BasePermission):
    """Anyone who reads the domain reads their own notifications (no model right: they are theirs)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and has_role(user) and reads_domain(user))


class NotificationViewSet(StrictQuery, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The caller's own notifications, newest first; someone else's do not exist (404)."""

    queryset = Notification.objects.all()
    serializer_class = s.NotificationSerializer
    permission_classes = [OwnNotificationsPermission]
    filter_backends: list[Any] = []
    if TYPE_CHECKING:
        request: AuthenticatedRequest

    def get_queryset(self) -> Any:
        return Notification.objects.filter(recipient=self.request.user).order_by("-created_at", "-pk")

    @extend_schema(request=None, responses=s.NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request: AuthenticatedRequest, pk: str | None = None) -> Response:
        """Mark one notification read."""
        notification = notification_mark_read(notification=self.get_object(), acting_user=request.user)
        return Response(self.get_serializer(notification).data)

    @extend_schema(request=None, responses={200: s.ReadAllSerializer})
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: AuthenticatedRequest) -> Response:
        """Mark every unread notification read."""
        return Response({"marked": notifications_mark_all_read(acting_user=request.user)}, status=status.HTTP_200_OK)


router.register("cases", CaseViewSet)
router.register("notifications", NotificationViewSet)
