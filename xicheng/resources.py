"""The one base of every register's Excel resource (django-import-export).

An import obeys the same rules as the pages, the API and the admin: it is all or nothing (one
transaction; any refused row and nothing is written); a row it updates is locked for the whole
import, must be in the importer's scope, and gets its version bumped, so an edit made from a page
meanwhile is refused as stale instead of being overwritten; and the fields a register moves only
through its services (a household's step and its dates, a lead's stage) may be set on a new row
but never changed on an existing one. An export shows personal data masked unless the user holds
the right, and never writes text a spreadsheet would run as a formula."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, ClassVar

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import connection, models
from django.utils.translation import gettext as _
from import_export import resources, widgets

from xicheng.models import Area
from xicheng.personal import may_see_personal_data, personal_kind, shown
from xicheng.roles import AnyUser
from xicheng.scope import ScopedQuerySet, area_of, can_change, may_file

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def defuse_formula(value: Any) -> Any:
    """Text a spreadsheet would run as a formula gets a leading apostrophe, so it stays text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class LookupWidget(widgets.ForeignKeyWidget):
    """A row named in the sheet by one of its fields (`field`), looked up among `queryset` (by
    default all the model's rows); a name that finds none is refused with `missing(value)`, a
    message the data admin can act on, instead of import-export's bare DoesNotExist."""

    def __init__(
        self, model: Any, field: str, *, missing: Callable[[Any], str], queryset: models.QuerySet[Any] | None = None
    ) -> None:
        super().__init__(model, field)
        self.missing = missing
        self.queryset = queryset

    def get_queryset(self, value: Any, row: Any, *args: Any, **kwargs: Any) -> Any:
        if self.queryset is not None:
            return self.queryset
        return super().get_queryset(value, row, *args, **kwargs)

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Any:
        try:
            return super().clean(value, row, **kwargs)
        except self.model.DoesNotExist:
            raise ValueError(self.missing(value)) from None


# A path of area names: 童宅片区/童宅村 (also with ／, > or › between the names).
PATH_SEPARATORS = re.compile(r"\s*[/／>›]\s*")


def area_missing(value: Any) -> str:
    return _("Area “%(value)s” does not exist.") % {"value": value}


class AreaWidget(LookupWidget):
    """An area as the data admin writes it: its name (四方社区), the path of names down to it from
    any level (童宅片区/童宅村第1网格), or its code (sifang-grid-1), or a program's key. Exported by its name, which an
    import reads back. A name that several areas bear asks for the path."""

    def __init__(
        self, *, queryset: models.QuerySet[Any] | None = None, missing: Callable[[Any], str] = area_missing
    ) -> None:
        super().__init__(Area, "code", missing=missing, queryset=queryset)
        # The same area recurs on many rows of a sheet: each text is looked up once.
        self._found: dict[str, Area] = {}

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Any:
        text = "" if value is None else str(value).strip()
        if not text:
            return None
        if text not in self._found:
            self._found[text] = self._lookup(text, row)
        return self._found[text]

    def _lookup(self, text: str, row: Any) -> Area:
        areas = self.get_queryset(text, row)
        by_code = areas.filter(code=text).first()
        if by_code is not None:
            return by_code
        names = [name for name in PATH_SEPARATORS.split(text) if name]
        candidates = list(areas.filter(name=names[-1]).order_by("path")) if names else []
        if len(names) > 1:
            candidates = [area for area in candidates if _ends_with(area, names)]
        if not candidates and text.isdigit():
            # The key a sheet made by a program may carry (the kernel's targets were so exported).
            candidates = list(areas.filter(pk=int(text)))
        if not candidates:
            raise ValueError(self.missing(text))
        if len(candidates) > 1:
            raise ValueError(
                _("Several areas are called “%(value)s”: write the path down to it, e.g. %(example)s.")
                % {"value": text, "example": "/".join(_names_down_to(candidates[0])[-2:])}
            )
        return candidates[0]

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> Any:
        return "" if value is None else value.name


def _names_down_to(area: Area) -> list[str]:
    paths = area.ancestor_paths()
    names = dict(Area.objects.filter(path__in=paths).values_list("path", "name"))
    return [names.get(path, "") for path in paths]


def _ends_with(area: Area, names: list[str]) -> bool:
    return _names_down_to(area)[-len(names) :] == names


def _area_field(instance: models.Model) -> str:
    """The field an import's "outside your areas" error belongs to: where the row's area comes from."""
    rows = type(instance)._default_manager.get_queryset()
    area = rows.scope_rule.area if isinstance(rows, ScopedQuerySet) else None
    return area.split("__")[0] if area else "id"


def column_label(model: type[models.Model], name: str) -> str:
    """A sheet's header for a resource field: the model field's verbose name."""
    if name == "id":
        return _("Record number")
    try:
        field = model._meta.get_field(name.removesuffix("_id"))
    except FieldDoesNotExist:
        return name
    return str(getattr(field, "verbose_name", name))


class RegisterResource(resources.ModelResource):
    """Subclasses name their model and fields as django-import-export documents, and list in
    `moved_by_services` the fields that only a service may change on an existing row."""

    moved_by_services: ClassVar[tuple[str, ...]] = ()

    def __init__(self, user: AnyUser | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.user = user
        model = self._meta.model
        for name, field in self.fields.items():
            if field.column_name == name:
                # The column a sheet shows and an import reads: the field's name in the users' words.
                field.column_name = column_label(model, name)
            field.column_name = str(field.column_name)
            if type(field.widget) is widgets.ForeignKeyWidget and field.widget.model is Area:
                # An area by name or path, not only by code (and the row's area, not its key).
                field.widget = AreaWidget()
                field.attribute = (field.attribute or name).removesuffix("_id")

    def column_for(self, header: Any) -> str | None:
        """The column a file's header stands for: its Chinese label, or the field's own name (the
        headers of sheets made before the labels)."""
        text = "" if header is None else str(header).strip()
        for name, field in self.fields.items():
            if text in (field.column_name, name):
                return str(field.column_name)
        return None

    def before_import(self, dataset: Any, **kwargs: Any) -> None:
        super().before_import(dataset, **kwargs)
        if dataset.headers:
            dataset.headers = [self.column_for(header) or header for header in dataset.headers]

    def import_data(self, dataset: Any, *args: Any, **kwargs: Any) -> Any:
        kwargs["use_transactions"] = True
        kwargs["rollback_on_validation_errors"] = True
        return super().import_data(dataset, *args, **kwargs)

    def get_queryset(self) -> models.QuerySet[Any]:
        queryset = super().get_queryset()
        # Inside the import's transaction, a row it will update is locked until the import ends.
        if connection.in_atomic_block and connection.features.has_select_for_update:
            return queryset.select_for_update(of=("self",))
        return queryset

    def import_instance(self, instance: Any, row: Any, **kwargs: Any) -> None:
        # A row read from the database is being updated; a new one (even with an id given) is not.
        existing = not instance._state.adding
        before = {name: getattr(instance, name, None) for name in self.moved_by_services} if existing else {}
        errors: dict[str, list[Any]] = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as e:
            errors = e.update_error_dict(errors)
        # may_file first: it answers a data admin without reading the row's area (no query a row).
        if self.user is not None and not may_file(self.user, instance) and area_of(instance) is not None:
            # The row as imported lies outside the importer's areas (a new row, or one moved there).
            errors.setdefault(_area_field(instance), []).append(_("You may not file records for this area."))
        if existing:
            if self.user is not None and not can_change(self.user, instance):
                errors.setdefault("id", []).append(_("You may not change this record."))
            for name, value in before.items():
                if getattr(instance, name, None) != value:
                    errors.setdefault(name, []).append(
                        _("An import cannot change this on an existing record: use the step on its page.")
                    )
        if errors:
            raise ValidationError(errors)

    def save_instance(self, instance: Any, is_create: bool, row: Any, **kwargs: Any) -> None:
        if not is_create and hasattr(instance, "version"):
            instance.version += 1
        super().save_instance(instance, is_create, row, **kwargs)

    def export_field(self, field: Any, instance: Any, **kwargs: Any) -> Any:
        attribute = field.attribute or ""
        if "__" not in attribute and personal_kind(type(instance), attribute) is not None:
            # A personal field (xicheng.personal): whole for a user with the right, else masked.
            return defuse_formula(shown(instance, attribute, may_see_personal_data(self.user)))
        return defuse_formula(super().export_field(field, instance, **kwargs))
