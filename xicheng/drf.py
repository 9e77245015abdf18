"""The API policy DRF's settings name: who may call, how pages are cut, how rules broken answer.
Kept apart from `xicheng.api` so that DRF can import it while its own views are loading."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model
from rest_framework import permissions, status
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response

from xicheng.roles import has_role, reads_domain
from xicheng.scope import can_change


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


class RolePermission(permissions.BasePermission):
    """A user with a role, holding the model permission for the method; writes also need the row
    to be in the user's scope (DESIGN.md, Access). Reads outside scope never get this far: they
    are filtered out by `get_queryset` and answer 404."""

    perms_map = {
        "GET": "view",
        "HEAD": "view",
        "OPTIONS": "view",
        "POST": "add",
        "PUT": "change",
        "PATCH": "change",
        "DELETE": "delete",
    }

    def has_permission(self, request: Request, view: Any) -> bool:
        if not (request.user and request.user.is_authenticated and has_role(request.user)):
            return False
        model = _model_of(view)
        if model is None:
            # The API root, the schema, the dashboard: for those who read the domain, not for the
            # system admin or the auditor (三权分立).
            return reads_domain(request.user)
        verb = self.perms_map.get(request.method or "", "change")
        action_verb = getattr(view, "action_permissions", {}).get(getattr(view, "action", None))
        verb = action_verb or verb
        return bool(request.user.has_perm(f"{model._meta.app_label}.{verb}_{model._meta.model_name}"))

    def has_object_permission(self, request: Request, view: Any, obj: Model) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        return can_change(request.user, obj)


def _model_of(view: Any) -> type[Model] | None:
    queryset = getattr(view, "queryset", None)
    return queryset.model if queryset is not None else None


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Rules broken in services raise Django's ValidationError; answer them as a 400 with the
    messages the user can act on. A conflicting concurrent change is a 409 carrying the row's
    current `version` (412 when the stale version came in an If-Match header), so a client can
    re-read and retry."""
    from xicheng.locking import Conflict

    if isinstance(exc, DjangoValidationError):
        detail: Any = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        from rest_framework.views import exception_handler as drf_exception_handler

        response = drf_exception_handler(ValidationError(detail=detail), context)
        if response is not None and isinstance(exc, Conflict):
            via_header = getattr(context.get("request"), "version_from_if_match", False)
            response.status_code = status.HTTP_412_PRECONDITION_FAILED if via_header else status.HTTP_409_CONFLICT
            if exc.current_version is not None:
                response.data["version"] = exc.current_version
                response["ETag"] = f'"{exc.current_version}"'
        return response
    from rest_framework.views import exception_handler as drf_exception_handler

    response = drf_exception_handler(exc, context)
    request: Any = context.get("request")
    user = getattr(request, "user", None)
    if response is not None and response.status_code == 403 and user is not None and user.is_authenticated:
        # A signed-in caller refused is worth the auditor's eye, as on the HTML side.
        from xicheng.models import AuditEvent
        from xicheng.services import audit_log

        audit_log(
            user=user, action=AuditEvent.Action.DENIED, subject=f"{request.method} {request.path}", request=request
        )
    return response
