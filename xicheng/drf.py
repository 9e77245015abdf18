"""The API policy DRF's settings name: who may call, how pages are cut, how rules broken answer.
Kept apart from `xicheng.api` so that DRF can import it while its own views are loading."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import Paginator
from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _
from rest_framework import filters, permissions, status
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response

from xicheng.pagination import EstimatedPaginator
from xicheng.roles import has_role, reads_domain
from xicheng.scope import can_change

WHOLE_NUMBER = re.compile(r"^[0-9]{1,9}$")


class Pagination(PageNumberPagination):
    """Pages of settings.PAGE_SIZE rows (page_size 1 to 500). A page or size that is not a whole number in range is a
    400 naming it, not quietly the first page or the default size; a page past the last is a 404.

    `count` is exact up to settings.EXACT_COUNT_LIMIT rows; past it (on PostgreSQL) it is the
    planner's estimate and `count_is_estimate` is true (`xicheng.pagination`): `next` is still
    exact, and a page past the estimate's end may be empty."""

    django_paginator_class = EstimatedPaginator
    page_size_query_param = "page_size"
    max_page_size = 500
    last_page_strings = ()

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param or "")
        if raw is None:
            return int(self.page_size or 50)
        if not WHOLE_NUMBER.match(raw) or not 1 <= int(raw) <= int(self.max_page_size or 500):
            message = _("page_size must be a whole number from 1 to %(max)s.") % {"max": self.max_page_size}
            raise ValidationError({"page_size": [message]})
        return int(raw)

    def get_page_number(self, request: Request, paginator: Paginator) -> int:
        raw = request.query_params.get(self.page_query_param)
        if raw is None:
            return 1
        if not WHOLE_NUMBER.match(raw) or int(raw) < 1:
            raise ValidationError({"page": [_("page must be a whole number from 1.")]})
        return int(raw)

    def get_paginated_response(self, data: Any) -> Response:
        response = super().get_paginated_response(data)
        paginator = self.page.paginator if self.page is not None else None
        response.data["count_is_estimate"] = bool(getattr(paginator, "estimated", False))
        return response

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        response: dict[str, Any] = super().get_paginated_response_schema(schema)
        response["properties"]["count"]["description"] = (
            "Rows matched: exact up to 10,000 (settings.EXACT_COUNT_LIMIT), the database's estimate past it."
        )
        response["properties"]["count_is_estimate"] = {
            "type": "boolean",
            "description": "True when `count` is an estimate; `next` is exact either way.",
        }
        response["required"] = [*response.get("required", []), "count_is_estimate"]
        return response

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["maximum"] = self.max_page_size
        return parameters


class SearchFilter(filters.SearchFilter):
    """DRF refuses a search term it cannot read (a NUL character) with a bare list; name the
    parameter, as every other refusal does."""

    def get_search_terms(self, request: Request) -> list[str]:
        try:
            return list(super().get_search_terms(request))
        except ValidationError as error:
            raise ValidationError({self.search_param: error.detail}) from None


class OrderingFilter(filters.OrderingFilter):
    """`ordering=field,-other`: a field the view does not offer is a 400 naming it, not ignored."""

    def remove_invalid_fields(
        self, queryset: QuerySet[Any], fields: Iterable[str], view: Any, request: Request
    ) -> list[str]:
        fields = list(fields)
        valid = {item[0] for item in self.get_valid_fields(queryset, view, {"request": request})}
        unknown = [term for term in fields if term.removeprefix("-") not in valid]
        if unknown:
            message = _("Cannot order by %(unknown)s; choose from %(valid)s, each optionally with a leading -.")
            raise ValidationError(
                {self.ordering_param: [message % {"unknown": ", ".join(unknown), "valid": ", ".join(sorted(valid))}]}
            )
        return fields

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super().get_schema_operation_parameters(view)
        offered = getattr(view, "ordering_fields", None)
        if isinstance(offered, list | tuple):
            for parameter in parameters:
                # A comma-separated list of the fields offered, each optionally descending.
                parameter["schema"] = {
                    "type": "array",
                    "minItems": 1,
                    "items": {"type": "string", "enum": [*offered, *(f"-{f}" for f in offered)]},
                }
                parameter["style"] = "form"
                parameter["explode"] = False
        return parameters


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
        # An action names the verb it needs on the model (`"change"`) or a whole permission
        # (`"xicheng.add_taskupdate"`), in the viewset's `action_permissions`.
        named = getattr(view, "action_permissions", {}).get(getattr(view, "action", None)) or verb
        perm = named if "." in named else f"{model._meta.app_label}.{named}_{model._meta.model_name}"
        return bool(request.user.has_perm(perm))

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
    # Only a caller already authenticated: asking for `request.user` here would authenticate anew,
    # and a bad token would then raise inside the handler (a 500 instead of the answer).
    user = getattr(request, "_user", None)
    if response is not None and response.status_code == 403 and user is not None and user.is_authenticated:
        # A signed-in caller refused is worth the auditor's eye, as on the HTML side.
        from xicheng.models import AuditEvent
        from xicheng.services import audit_log

        audit_log(
            user=user, action=AuditEvent.Action.DENIED, subject=f"{request.method} {request.path}", request=request
        )
    return response
