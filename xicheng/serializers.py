from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, cast

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from xicheng.models import Area, Indicator, ManualReading, Target, Task, TaskUpdate, WorkLine
from xicheng.personal import MASKS, may_see_personal_data, personal_kind
from xicheng.progress import Light
from xicheng.schema import TypedJSON
from xicheng.scope import areas_changeable_by
from xicheng.selectors import target_progress

# The mixins below are mixed into serializers; mypy is told so (at run time they stand alone).
if TYPE_CHECKING:
    _Serializer = serializers.Serializer[Any]
else:
    _Serializer = object


class AreaSerializer(serializers.ModelSerializer[Area]):
    # The metaclass takes declared fields off the class, so this does not shadow Field.parent.
    parent = serializers.SerializerMethodField()  # type: ignore[assignment]  # a field, not Field.parent

    class Meta:
        model = Area
        fields = ["id", "name", "code", "level", "depth", "path", "parent"]

    def get_parent(self, area: Area) -> int | None:
        # Parents are looked up in one map the view builds, not one query per area.
        parents: dict[str, int] = self.context.get("area_ids_by_path", {})
        return parents.get(area.parent_path) if area.depth > 1 else None


# Mixed into a ModelSerializer: every field whose source is a declared personal field
# (`xicheng.personal`: the model's own, or across a relation like `elder.name`) reads masked by its
# kind unless the caller holds the personal-data right. Writes take the value whole. The viewset
# logs the whole reads (`xicheng.api.LogsPersonalDataReads`). A comment, not a docstring: the
# schema would show a docstring as the description of every serializer that has none of its own.
class MasksPersonalData(_Serializer):
    def sees_personal_data(self) -> bool:
        request = self.context.get("request")
        return request is not None and may_see_personal_data(request.user)

    def _personal_fields(self, instance: Any) -> list[tuple[str, Any]]:
        if not hasattr(self, "_personal"):
            model = getattr(getattr(self, "Meta", None), "model", None) or type(instance)
            fields = self.fields.items()
            # A bound field's source is its dotted path (DRF types it as a callable too).
            found = [(name, personal_kind(model, cast(str, f.source))) for name, f in fields if not f.write_only]
            self._personal = [(name, kind) for name, kind in found if kind is not None]
        return self._personal

    def to_representation(self, instance: Any) -> Any:
        data = super().to_representation(instance)
        if not self.sees_personal_data():
            for name, kind in self._personal_fields(instance):
                if name in data:
                    data[name] = MASKS[kind](data[name] or "")
        return data


# Mixed into a serializer that writes: each field named in `scoped_choices` offers only what the
# writer may file under — areas they serve (`areas_changeable_by`), or rows of a scoped model they
# may change (`changeable_by`) — so a write pointing elsewhere is a 400 naming the field. (A
# comment, not a docstring, for the reason above.)
class ScopedChoices(_Serializer):
    scoped_choices: ClassVar[tuple[str, ...]] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is None:
            return
        for name in self.scoped_choices:
            field = self.fields.get(name)
            if field is None or field.read_only:
                continue
            related = cast("serializers.PrimaryKeyRelatedField[Any]", field)
            rows = cast("QuerySet[Any]", related.queryset)
            if rows.model is Area:
                related.queryset = areas_changeable_by(request.user)
            else:
                related.queryset = cast(Any, rows).changeable_by(request.user)


class PersonSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.SerializerMethodField()

    def get_name(self, user: Any) -> str:
        cadre = getattr(user, "cadre", None)
        return cadre.name if cadre else user.get_username()


class VersionField(serializers.IntegerField):
    """The version of the row the client read. On a PATCH it may come as If-Match instead, so the
    field itself is optional there and the service answers a missing one with a 400."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault(
            "help_text", "The version you read (or send it as If-Match). A stale one answers 409 with the current one."
        )
        super().__init__(**kwargs)


class TaskUpdateSerializer(TypedJSON, serializers.ModelSerializer[TaskUpdate]):
    author = PersonSerializer(read_only=True)
    version = VersionField(write_only=True, required=True, help_text="The task's version you read.")

    class Meta:
        model = TaskUpdate
        fields = ["id", "note", "status", "author", "created_at", "version"]
        read_only_fields = ["id", "author", "created_at"]


class TaskSerializer(TypedJSON, ScopedChoices, serializers.ModelSerializer[Task]):
    scoped_choices = ("area",)
    lead_leader_name = serializers.SerializerMethodField()
    responsible_name = serializers.SerializerMethodField()
    area_name = serializers.CharField(source="area.name", read_only=True)
    overdue = serializers.SerializerMethodField()
    version = VersionField()

    class Meta:
        model = Task
        fields = [
            "id",
            "title",
            "description",
            "work_line",
            "area",
            "area_name",
            "lead_leader",
            "lead_leader_name",
            "responsible",
            "responsible_name",
            "due_on",
            "status",
            "target",
            "overdue",
            "version",
        ]
        read_only_fields = ["status"]

    def get_lead_leader_name(self, task: Task) -> str:
        return PersonSerializer().get_name(task.lead_leader)

    def get_responsible_name(self, task: Task) -> str:
        return PersonSerializer().get_name(task.responsible)

    def get_overdue(self, task: Task) -> bool:
        return task.is_overdue(timezone.localdate())


class WorkLineSerializer(serializers.ModelSerializer[WorkLine]):
    class Meta:
        model = WorkLine
        fields = ["id", "name", "order"]


class IndicatorSerializer(serializers.ModelSerializer[Indicator]):
    work_line_name = serializers.CharField(source="work_line.name", read_only=True)

    class Meta:
        model = Indicator
        fields = [
            "id",
            "code",
            "name",
            "unit",
            "work_line",
            "work_line_name",
            "lower_is_better",
            "source",
            "metric",
            "headline",
        ]


class ManualReadingSerializer(serializers.ModelSerializer[ManualReading]):
    indicator_code = serializers.CharField(source="indicator.code", read_only=True)
    area_name = serializers.CharField(source="area.name", read_only=True)

    class Meta:
        model = ManualReading
        fields = ["id", "indicator", "indicator_code", "area", "area_name", "on", "value", "note"]


class TargetListSerializer(serializers.ListSerializer[Target]):
    def to_representation(self, data: Any) -> list[Any]:
        items = list(data.all() if isinstance(data, QuerySet) else data)
        as_of = self.context.get("as_of") or timezone.localdate()
        child = cast("TargetSerializer", self.child)  # DRF sets it: this is TargetSerializer's list class
        child.context["progress"] = {row.target.pk: row.progress for row in target_progress(items, as_of)}
        return [child.to_representation(item) for item in items]


class TargetSerializer(serializers.ModelSerializer[Target]):
    """A target with its progress: `actual`, `target`, `percent`, `expected` and `light` are the
    contract REST clients rely on."""

    indicator_name = serializers.CharField(source="indicator.name", read_only=True)
    unit = serializers.CharField(source="indicator.unit", read_only=True)
    area_name = serializers.CharField(source="area.name", read_only=True)
    period = serializers.CharField(source="period_label", read_only=True)
    actual = serializers.SerializerMethodField()
    target = serializers.SerializerMethodField()
    percent = serializers.SerializerMethodField()
    expected = serializers.SerializerMethodField()
    gap = serializers.SerializerMethodField()
    light = serializers.SerializerMethodField()

    class Meta:
        model = Target
        list_serializer_class = TargetListSerializer
        fields = [
            "id",
            "indicator",
            "indicator_name",
            "unit",
            "area",
            "area_name",
            "period_start",
            "period_end",
            "period",
            "actual",
            "target",
            "percent",
            "expected",
            "gap",
            "light",
        ]

    def _progress(self, target: Target) -> Any:
        known = self.context.get("progress", {})
        if target.pk not in known:
            as_of = self.context.get("as_of") or timezone.localdate()
            known[target.pk] = target_progress([target], as_of)[0].progress
            self.context["progress"] = known
        return known[target.pk]

    def get_actual(self, target: Target) -> float:
        return self._progress(target).actual

    def get_target(self, target: Target) -> float:
        return self._progress(target).target

    def get_percent(self, target: Target) -> float:
        return self._progress(target).percent

    def get_expected(self, target: Target) -> float:
        return self._progress(target).expected

    def get_gap(self, target: Target) -> float:
        return self._progress(target).gap

    @extend_schema_field(serializers.ChoiceField(choices=Light.choices))
    def get_light(self, target: Target) -> str:
        return self._progress(target).light.value
