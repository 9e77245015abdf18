"""The OpenAPI schema tells the truth: every answer an operation can give is documented, the
dashboard included, so that a client generated from the schema (and schemathesis in CI) meets no
surprise.

- `AutoSchema` adds the error answers to every operation: 400 where it reads parameters or a body,
  401 and 403 everywhere, 404 where a row is named in the path or a list is cut into pages, 409 on
  writes (the row changed meanwhile), 429 when the throttle says wait, and gunicorn's own 414 for a
  request line longer than it reads.
- `TypedJSON` holds a JSON body to the types the schema gives; `LocalTimeField` documents a time
  of day as what it is (OpenAPI's `format: time` would demand an offset).
- The dashboard's serializers describe the overview (`xicheng.overview.overview_as_dict`) as typed
  components; the API answers through them, so the figures and their schema cannot drift apart.
- The shared query parameters (`as_of`, the period) are declared once here.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from django.http import QueryDict
from django.utils.translation import gettext as _
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema_field
from rest_framework import serializers

from xicheng.params import LATEST_DAY, PERIOD_KINDS
from xicheng.progress import Light
from xicheng.validators import earliest_record_date

# Error bodies ---------------------------------------------------------------------------------

MESSAGE = {"type": "string", "description": "What went wrong, in the caller's language."}
MESSAGES = {"type": "array", "items": {"type": "string"}}

ERROR_COMPONENTS: dict[str, dict[str, Any]] = {
    "Error": {
        "type": "object",
        "description": "A request refused as a whole: not signed in, not allowed, not found, throttled.",
        "properties": {"detail": MESSAGE},
        "required": ["detail"],
    },
    "ValidationError": {
        "type": "object",
        "description": (
            "A request that breaks a rule: each parameter or field named maps to its messages; "
            "`detail` carries the messages that belong to no one field. A field of a nested object "
            "or list maps to the same shape, nested."
        ),
        "properties": {"detail": {"anyOf": [MESSAGE, MESSAGES]}},
        "additionalProperties": {},
    },
    "Conflict": {
        "type": "object",
        "description": (
            "The row was changed by someone else since it was read: nothing was saved. `version` is the "
            "row's version now (also sent as the ETag); reload it and try again."
        ),
        "properties": {
            "detail": {"anyOf": [MESSAGE, MESSAGES]},
            "version": {"type": "integer", "description": "The row's version now."},
        },
        "additionalProperties": {},
    },
}

ERRORS = {
    "400": ("ValidationError", "The parameters or the body break a rule; each is named with its message."),
    "401": ("Error", "No valid session or token."),
    "403": ("Error", "The caller's role does not allow this, or the row is not the caller's to change."),
    "404": ("Error", "No such row in the caller's scope, or no such page."),
    "409": ("Conflict", "The row changed since it was read."),
    "412": ("Conflict", "The If-Match version is no longer the row's: nothing was saved."),
    "429": ("Error", "Too many requests: wait the seconds Retry-After gives."),
}
WRITES = ("POST", "PUT", "PATCH", "DELETE")


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's AutoSchema, with each operation's error answers documented."""

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code in self._error_codes():
            if code in responses:
                continue
            name, description = ERRORS[code]
            component = ResolvedComponent(
                name=name, type=ResolvedComponent.SCHEMA, object=f"xicheng.schema.{name}", schema=ERROR_COMPONENTS[name]
            )
            self.registry.register_on_missing(component)
            responses[code] = {"description": description, "content": {"application/json": {"schema": component.ref}}}
        if any(p["in"] == "query" for p in self._get_parameters()):
            responses["414"] = {
                "description": "The request line is longer than the server reads (gunicorn: 4,094 bytes).",
                "content": {"text/html": {"schema": {"type": "string"}}},
            }
        return dict(sorted(responses.items()))

    def _error_codes(self) -> list[str]:
        codes = ["401", "403", "429"]
        parameters = self._get_parameters()
        if any(p["in"] == "query" for p in parameters) or self.method in WRITES:
            codes.append("400")
        is_page = self._is_list_view() and self._get_paginator() is not None and self.method == "GET"
        if any(p["in"] == "path" for p in parameters) or is_page:
            codes.append("404")
        # A POST that only reads (an exact-number search) changes no row, so it cannot conflict.
        reads = getattr(self.view, "action_permissions", {}).get(getattr(self.view, "action", None)) == "view"
        if self.method in WRITES and not reads:
            codes.append("409")
        if self.method in ("PUT", "PATCH") and getattr(self.view, "takes_if_match", False):
            codes.append("412")
        return codes


# Fields whose schema needs saying ------------------------------------------------------------

LOCAL_TIME = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$")


@extend_schema_field(
    {
        "type": "string",
        "pattern": LOCAL_TIME.pattern,
        "example": "10:18:00",
        "description": "A time of day in Beijing time (Asia/Shanghai), HH:MM or HH:MM:SS, no offset.",
    }
)
class LocalTimeField(serializers.TimeField):
    """A wall-clock time such as a meal's delivery. OpenAPI's `format: time` is RFC 3339's, which
    demands an offset ("10:18:00+08:00"); these times have none, so the schema gives the pattern
    they really follow, and input is held to the same pattern."""

    def to_internal_value(self, value: Any) -> Any:
        if not isinstance(value, str) or not LOCAL_TIME.match(value):
            raise serializers.ValidationError(_("Give a time of day as HH:MM, e.g. 10:30."), code="invalid")
        return super().to_internal_value(value)


# Mixed into serializers; mypy is told so (at run time it stands alone).
if TYPE_CHECKING:
    _Serializer = serializers.Serializer[Any]
else:
    _Serializer = object


class TypedJSON(_Serializer):
    """A JSON body is read with the types the schema gives it: 0 is not a text, "5" is not a
    number and "yes" is not true. DRF's fields coerce all three, which suits a form post, where
    every value arrives as text, but breaks the schema's promise for JSON. Serializers that read
    request bodies mix this in first."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict) and not isinstance(data, QueryDict):
            errors = {}
            for name, field in self.fields.items():
                if not field.read_only and name in data and data[name] is not None:
                    problem = _json_type_problem(field, data[name])
                    if problem:
                        errors[name] = [problem]
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


def _json_type_problem(field: serializers.Field, value: Any) -> str | None:
    """What is wrong with the JSON type of a value for a field, or None."""
    if isinstance(field, serializers.ChoiceField | serializers.DecimalField):
        return None  # a choice is checked against its choices, a decimal may be written either way
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if isinstance(field, serializers.BooleanField):
        return None if isinstance(value, bool) else _("Give true or false.")
    if isinstance(field, serializers.IntegerField | serializers.RelatedField):
        return None if number and float(value).is_integer() else _("Give a whole number.")
    if isinstance(field, serializers.FloatField):
        return None if number else _("Give a number.")
    if isinstance(field, serializers.ListField | serializers.ManyRelatedField):
        return None if isinstance(value, list) else _("Give a list.")
    if isinstance(field, serializers.CharField | serializers.DateField | serializers.TimeField):
        return None if isinstance(value, str) else _("Give a text.")
    if isinstance(field, serializers.DateTimeField):
        return None if isinstance(value, str) else _("Give a text.")
    return None


# Shared query parameters ----------------------------------------------------------------------


def _day_parameter(name: str, description: str) -> OpenApiParameter:
    return OpenApiParameter(
        name,
        OpenApiTypes.DATE,
        description=f"{description} YYYY-MM-DD, from {earliest_record_date():%Y-%m-%d} to {LATEST_DAY:%Y-%m-%d}.",
    )


AS_OF = _day_parameter("as_of", "Compute figures as of this day; today by default.")

PERIOD_PARAMETERS = [
    _day_parameter("start", "First day of the period (with `end`); `start`/`end` win over `period`/`year`."),
    _day_parameter("end", "Last day of the period (with `start`), at most ten years after it."),
    OpenApiParameter(
        "period",
        str,
        enum=PERIOD_KINDS,
        description="Half-year, quarter, month or the whole `year`; this half-year when neither is given.",
    ),
    OpenApiParameter(
        "year",
        {"type": "integer", "minimum": earliest_record_date().year, "maximum": LATEST_DAY.year},
        description="The year of `period` (this year by default); alone, the whole year.",
    ),
    AS_OF,
]


# The dashboard ---------------------------------------------------------------------------------


@extend_schema_field({"anyOf": [{"type": "string"}, {"type": "number"}]})
class CellField(serializers.Field):
    """A table cell: a number stays a number (so a client can sum it), anything else is text."""

    def to_representation(self, value: Any) -> Any:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
        return str(value)


@extend_schema_field({"type": "number"})
class NumberField(serializers.Field):
    """A figure as the overview computed it: whole numbers stay whole."""

    def to_representation(self, value: Any) -> Any:
        return value


class PeriodOutSerializer(serializers.Serializer[Any]):
    start = serializers.DateField()
    end = serializers.DateField()
    # The metaclass takes declared fields off the class, so this does not shadow Field.label.
    label = serializers.CharField()  # type: ignore[assignment]  # a field, not Field.label (see above)


class LightCountsSerializer(serializers.Serializer[Any]):
    """How many targets carry each light."""

    done = serializers.IntegerField()
    green = serializers.IntegerField()
    yellow = serializers.IntegerField()
    red = serializers.IntegerField()


class DashboardTargetSerializer(serializers.Serializer[Any]):
    """A target with its progress as of the day asked (the same contract as /api/v1/targets/)."""

    id = serializers.IntegerField()
    work_line = serializers.CharField()
    indicator = serializers.CharField()
    indicator_code = serializers.CharField()
    unit = serializers.CharField(allow_blank=True)
    area = serializers.CharField()
    period = serializers.CharField()
    actual = NumberField()
    target = NumberField()
    percent = NumberField(help_text="Actual as a share of the target, in percent.")
    expected = NumberField(help_text="What the pro-rata pace asks for by `as_of`.")
    gap = NumberField(help_text="Percentage points ahead (+) or behind (-) the pace.")
    light = serializers.ChoiceField(choices=Light.choices)


class TableSerializer(serializers.Serializer[Any]):
    key = serializers.CharField()
    title = serializers.CharField()
    columns = serializers.ListField(child=serializers.CharField())
    rows = serializers.ListField(child=serializers.ListField(child=CellField()), help_text="One list of cells a row.")


class SectionSerializer(serializers.Serializer[Any]):
    """A part of the dashboard a domain app contributes: key projects, squad or village rankings, meals."""

    key = serializers.CharField()
    title = serializers.CharField()
    tables = TableSerializer(many=True)


class AlertSerializer(serializers.Serializer[Any]):
    """One line of the red-light list."""

    kind = serializers.CharField(help_text="e.g. target_red, task_overdue, hazard_overdue.")
    kind_label = serializers.CharField()
    title = serializers.CharField()
    area = serializers.CharField()
    due = serializers.DateField(allow_null=True, help_text="The deadline that passed, or the day it happened.")
    severity = serializers.IntegerField(help_text="3 a red target, 2 urgent, 1 needs attention.")
    url = serializers.CharField(help_text="The page that shows it.")


class TrendSerializer(serializers.Serializer[Any]):
    """A headline target's cumulative actual at each week's end, beside the pace it asks for."""

    target = serializers.IntegerField()
    indicator = serializers.CharField()
    weeks = serializers.ListField(child=serializers.DateField())
    actual = serializers.ListField(child=NumberField())
    pace = serializers.ListField(child=NumberField())


class DashboardSerializer(serializers.Serializer[Any]):
    """The leaders' overview: the same figures as /dashboard/ and its workbook."""

    period = PeriodOutSerializer()
    as_of = serializers.DateField()
    lights = LightCountsSerializer()
    targets = DashboardTargetSerializer(many=True)
    sections = SectionSerializer(many=True)
    alerts = AlertSerializer(many=True)
    trends = TrendSerializer(many=True)
