"""API conventions every app reuses: the router, the role permission, the scoped base viewset,
pagination and the exception handler. Domain apps register their viewsets on `router` from their
own `api.py`."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar, cast

import django_filters
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from drf_spectacular.views import SpectacularAPIView
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.views import APIView

from xicheng import filters as kernel_filters
from xicheng import serializers as kernel_serializers
from xicheng.drf import Pagination, RolePermission
from xicheng.models import Area, Indicator, ManualReading, Target, Task, WorkLine
from xicheng.overview import build_overview, overview_as_dict
from xicheng.params import ParamError, read_as_of, read_dates
from xicheng.personal import reveal
from xicheng.schema import AS_OF, PERIOD_PARAMETERS, DashboardSerializer
from xicheng.services import task_add_update, task_create, task_edit

router = DefaultRouter()

F = TypeVar("F", bound=Callable[..., Any])

# The methods that only read. A register's list and rows also take POST (create, actions) and,
# for a versioned row, PATCH; never PUT (a change names only what changes) and never DELETE.
READ_METHODS = ["get", "head", "options"]

# The mixins below are mixed into views and viewsets; mypy is told so (at run time they stand alone).
if TYPE_CHECKING:
    from xicheng.roles import AuthenticatedRequest
    from xicheng.scope import ScopedQuerySet

    _APIView = APIView
    _ViewSet = viewsets.GenericViewSet[Any]
else:
    _APIView = object
    _ViewSet = object


class StrictQuery(_APIView):
    """Query parameters read strictly, on every endpoint: each given at most once, and a typed one
    (a date, a number, a choice, true/false) never empty. `area=1&area=2` or `as_of=` would
    otherwise be read as one of the values or as no filter at all, and the caller would never know."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        method = (request.method or "").lower()
        if method not in self.http_method_names or not hasattr(self, method):
            return  # the method is not allowed: that is the answer (405), whatever the parameters
        free_text = {"search"}
        filterset = getattr(self, "filterset_class", None)
        if filterset is not None:
            free_text |= {name for name, f in filterset.base_filters.items() if type(f) is django_filters.CharFilter}
        errors: dict[str, list[str]] = {}
        for name, values in request.query_params.lists():
            if len(values) > 1:
                errors[name] = [_("%(name)s is given more than once; give it once.") % {"name": name}]
            elif values[0] == "" and name not in free_text:
                errors[name] = [_("%(name)s is empty; give a value or leave the parameter out.") % {"name": name}]
        if errors:
            raise ValidationError(errors)


class ScopedViewSet(StrictQuery, viewsets.GenericViewSet):
    """Base of every viewset: the queryset is the user's scope, so a row outside it is a 404.

    Subclasses set `queryset` (a ScopedQuerySet), `serializer_class`, `filterset_class`, and write
    through services in `perform_create` / `perform_update` / `@action`s. Nothing is deleted.
    A versioned row answers with its version as an ETag, for an If-Match on the next change.

    A write is checked once, here, before the service runs (`RolePermission`): the model
    permission for the method, or the one `action_permissions` names for an action (a verb on this
    model, e.g. `{"advance": "change"}`, or a whole permission, `"app.codename"`); then, when the
    action fetches its row with `get_object()`, whether the user may change that row (scope). An
    action or `perform_*` does not check again; the service holds the domain's rules.
    """

    # Reference data every role reads whole (the area tree, work lines, indicators) sets this
    # False; a register never does.
    scoped = True
    action_permissions: dict[str, str] = {}
    if TYPE_CHECKING:
        request: AuthenticatedRequest  # RolePermission lets no anonymous user this far

    def get_queryset(self) -> QuerySet[Any]:
        queryset = super().get_queryset()
        # A scoped viewset's `queryset` is a ScopedQuerySet (the class says so, DRF cannot).
        return cast("ScopedQuerySet[Any]", queryset).visible_to(self.request.user) if self.scoped else queryset

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        data = getattr(response, "data", None)
        if (
            getattr(self, "detail", False)
            and response.status_code in (200, 201)
            and isinstance(data, dict)
            and isinstance(data.get("version"), int)
        ):
            response["ETag"] = etag(data["version"])
        return super().finalize_response(request, response, *args, **kwargs)

    def act_on_row(self, service: Callable[..., Any], body: type[serializers.Serializer[Any]], *, row: str) -> Response:
        """A write action on one row, whole: the row (its scope and permission checked, once, by
        `get_object`), the body read by its serializer, the service called with the row as `row`,
        the row answered as it is now. A rule the service finds broken is a 400 (409 if stale)."""
        instance = self.get_object()
        data = body(data=self.request.data)
        data.is_valid(raise_exception=True)
        instance = service(**{row: instance}, acting_user=self.request.user, **data.validated_data)
        return Response(self.get_serializer(instance).data)


def row_action(body: type[serializers.Serializer[Any]], *, answer: Any, **kwargs: Any) -> Callable[[F], Any]:
    """`@row_action(BodySerializer, answer=RowSerializer)`: a POST action on one row, its body
    read by `body` and its answer the row (the method returns `self.act_on_row(...)`), documented
    so in the schema. `kwargs` go to DRF's `@action` (e.g. `url_path`)."""

    def wrap(method: F) -> Any:
        return extend_schema(request=body, responses=answer)(action(detail=True, methods=["post"], **kwargs)(method))

    return wrap


def etag(version: int) -> str:
    return f'"{version}"'


def version_from_if_match(request: Request) -> int | None:
    """The version an If-Match header names (`"3"`, `W/"3"` or `3`); None without the header."""
    raw = request.headers.get("If-Match", "").strip()
    if not raw:
        return None
    value = raw.split(",")[0].strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise ValidationError({"version": [_('If-Match carries the ETag the row was read with, e.g. "3".')]})
    return int(value)


IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    description='The ETag of the row as read (e.g. `"3"`); an alternative to `version` in the body.',
)
ETAG = OpenApiParameter(
    "ETag",
    str,
    OpenApiParameter.HEADER,
    response=[200],
    description="The row's version, for an If-Match on the next change.",
)


def versioned_update_schema(serializer: Any) -> Any:
    """The schema of a PATCH of a versioned row: the If-Match it takes and the ETag it answers; its
    refusals (400 without a version, 409 and 412 with the current one) come from xicheng.schema."""
    return extend_schema(parameters=[IF_MATCH, ETAG], responses={200: serializer})


# PATCH of a versioned row. The version read comes in the body (`version`) or as If-Match (the
# ETag the GET sent); without one the service answers 400, with a stale one 409 (412 for If-Match)
# and the current version. `perform_update` passes it to the service with the rest.
class VersionedUpdateMixin(mixins.UpdateModelMixin, _ViewSet):
    takes_if_match = True  # the schema documents its 412
    http_method_names: Sequence[str] = [*READ_METHODS, "post", "patch"]

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        partial = kwargs.pop("partial", False)
        instance = self.get_object()
        serializer = self.get_serializer(instance, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        header = version_from_if_match(request)
        if header is not None:
            # A mark on the request for the 412 answer (xicheng.drf), which DRF's Request does not declare.
            request.version_from_if_match = True  # type: ignore[attr-defined]
            serializer.validated_data["version"] = header
        self.perform_update(serializer)
        return Response(serializer.data)


# creates_with and edits_with return a viewset method, typed Any: mypy would check it as a plain
# callable attribute against the base class's method and refuse it.
def creates_with(service: Callable[..., Any]) -> Any:
    """`perform_create = creates_with(service)`: the validated data go to the service with the
    acting user (less any `version`: a new row has none to check), and the row it returns is the
    answer."""

    def perform_create(self: Any, serializer: Any) -> None:
        data = {k: v for k, v in serializer.validated_data.items() if k != "version"}
        serializer.instance = service(acting_user=self.request.user, **data)

    return perform_create


def edits_with(service: Callable[..., Any], *, row: str) -> Any:
    """`perform_update = edits_with(service, row="task")` on a `VersionedUpdateMixin` viewset: the
    row as `row`, the version the caller read and the fields sent go to the service with the
    acting user, and the row it returns is the answer."""

    def perform_update(self: Any, serializer: Any) -> None:
        fields = dict(serializer.validated_data)
        version = fields.pop("version", None)
        serializer.instance = service(
            **{row: serializer.instance}, acting_user=self.request.user, version=version, **fields
        )

    return perform_update


# (Comments, not docstrings: drf-spectacular would show a base class's docstring as the
# description of every endpoint built on it.)


# List and read; writes, if any, are `@action`s.
class ReadOnlyScopedViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    pass


# List, read and create (POST, through a service in `perform_create`).
class CreatingScopedViewSet(mixins.CreateModelMixin, ReadOnlyScopedViewSet):
    http_method_names: Sequence[str] = [*READ_METHODS, "post"]


class LogsPersonalDataReads(_APIView):
    """For viewsets whose answers carry personal data unmasked to users who hold the right: each
    successful read by such a user is logged (DESIGN.md, Personal data). Actions that read by
    POST (an exact-number search) log themselves."""

    personal_data_subject = ""  # e.g. "api migrant"

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        if request.method == "GET" and response.status_code == 200:
            reveal(request.user, subject=f"{self.personal_data_subject} {kwargs.get('pk', 'list')}", request=request)
        return super().finalize_response(request, response, *args, **kwargs)


def as_of_from(request: Request) -> date:
    """The `as_of` of an API request (today by default); a bad one is a 400 naming it."""
    try:
        return read_as_of(request.query_params)
    except ParamError as error:
        raise ValidationError(error.errors) from None


__all__ = [
    "AS_OF",
    "IF_MATCH",
    "READ_METHODS",
    "CreatingScopedViewSet",
    "LogsPersonalDataReads",
    "Pagination",
    "ReadOnlyScopedViewSet",
    "RolePermission",
    "ScopedViewSet",
    "VersionedUpdateMixin",
    "action",
    "as_of_from",
    "creates_with",
    "edits_with",
    "etag",
    "extend_schema",
    "extend_schema_view",
    "router",
    "row_action",
    "serializers",
    "versioned_update_schema",
]


# The kernel's own endpoints -------------------------------------------------------------------


class AreaViewSet(ReadOnlyScopedViewSet):
    """The area tree, read by everyone with a role. `within=<id>` gives a subtree."""

    scoped = False
    queryset = Area.objects.all()
    serializer_class = kernel_serializers.AreaSerializer
    filterset_class = kernel_filters.AreaFilter
    search_fields = ["name", "code"]
    ordering_fields = ["path", "name", "level"]
    ordering = ["path"]

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        context["area_ids_by_path"] = {path: pk for pk, path in Area.objects.values_list("id", "path")}
        return context


class WorkLineViewSet(ReadOnlyScopedViewSet):
    scoped = False
    queryset = WorkLine.objects.all()
    serializer_class = kernel_serializers.WorkLineSerializer
    pagination_class = None
    ordering_fields = ["order", "name"]
    ordering = ["order", "name"]


class IndicatorViewSet(ReadOnlyScopedViewSet):
    scoped = False
    queryset = Indicator.objects.select_related("work_line")
    serializer_class = kernel_serializers.IndicatorSerializer
    filterset_class = kernel_filters.IndicatorFilter
    search_fields = ["name", "code"]
    ordering_fields = ["order", "name"]


class ManualReadingViewSet(ReadOnlyScopedViewSet):
    """Figures entered by hand for the indicators without a metric: what a manual figure adds up."""

    queryset = ManualReading.objects.select_related("indicator", "area")
    serializer_class = kernel_serializers.ManualReadingSerializer
    filterset_class = kernel_filters.ManualReadingFilter
    ordering_fields = ["on", "value"]


@extend_schema_view(list=extend_schema(parameters=[AS_OF]), retrieve=extend_schema(parameters=[AS_OF]))
class TargetViewSet(ReadOnlyScopedViewSet):
    """Targets with their progress as of a day (`as_of`, today by default)."""

    queryset = Target.objects.select_related("indicator__work_line", "area")
    serializer_class = kernel_serializers.TargetSerializer
    filterset_class = kernel_filters.TargetFilter
    ordering_fields = ["period_start", "value"]

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        context["as_of"] = as_of_from(self.request)
        return context


@extend_schema_view(
    partial_update=versioned_update_schema(kernel_serializers.TaskSerializer),
    retrieve=extend_schema(parameters=[ETAG]),
)
class TaskViewSet(VersionedUpdateMixin, CreatingScopedViewSet):
    queryset = Task.objects.select_related("area", "lead_leader__cadre", "responsible__cadre")
    serializer_class = kernel_serializers.TaskSerializer
    filterset_class = kernel_filters.TaskFilter
    search_fields = ["title"]
    ordering_fields = ["due_on", "status", "title"]
    action_permissions = {"add_update": "xicheng.add_taskupdate"}

    perform_create = creates_with(task_create)
    perform_update = edits_with(task_edit, row="task")

    @extend_schema(responses=kernel_serializers.TaskUpdateSerializer(many=True))
    @action(detail=True, methods=["get"], filter_backends=[])
    def updates(self, request: Request, pk: str | None = None) -> Response:
        """Progress notes of a task, newest first, in pages like every list; POST adds one and
        moves the task's status."""
        task = self.get_object()
        updates = task.updates.select_related("author__cadre").order_by("-created_at", "-pk")
        page = self.paginate_queryset(updates)
        return self.get_paginated_response(kernel_serializers.TaskUpdateSerializer(page, many=True).data)

    @extend_schema(
        request=kernel_serializers.TaskUpdateSerializer,
        responses={201: kernel_serializers.TaskUpdateSerializer},
    )
    @updates.mapping.post
    def add_update(self, request: AuthenticatedRequest, pk: str | None = None) -> Response:
        """Progress notes of a task, newest first, in pages like every list; POST adds one and
        moves the task's status."""
        task = self.get_object()
        serializer = kernel_serializers.TaskUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        update = task_add_update(task=task, acting_user=request.user, **serializer.validated_data)
        return Response(kernel_serializers.TaskUpdateSerializer(update).data, status=status.HTTP_201_CREATED)


router.register("areas", AreaViewSet)
router.register("work-lines", WorkLineViewSet)
router.register("indicators", IndicatorViewSet)
router.register("targets", TargetViewSet)
router.register("manual-readings", ManualReadingViewSet)
router.register("tasks", TaskViewSet)


class DashboardAPIView(StrictQuery, APIView):
    """The leaders' overview: the same figures as /dashboard/ and its workbook."""

    @extend_schema(parameters=PERIOD_PARAMETERS, responses=DashboardSerializer)
    def get(self, request: Request) -> Response:
        try:
            asked = read_dates(request.query_params, timezone.localdate())
        except ParamError as error:
            raise ValidationError(error.errors) from None
        overview = build_overview(request.user, asked.period, asked.as_of)
        return Response(DashboardSerializer(overview_as_dict(overview)).data)


_GENERATING = threading.Lock()


class SchemaView(SpectacularAPIView):
    """`/api/schema/`, generated by one thread at a time. drf-spectacular loads its extensions'
    classes lazily, and two threads of a gunicorn worker generating the schema at once could both
    be loading one: the second then read the first's None and answered 500 (drf-spectacular issue
    1122, seen when schemathesis fetched the schema from a fresh worker). The schema is asked for
    rarely and costs every caller the same: they wait their turn instead."""

    def _get_schema_response(self, request: Request) -> Response:
        with _GENERATING:
            return super()._get_schema_response(request)
