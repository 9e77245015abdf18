"""The one base of every register's Excel resource (django-import-export).

An import obeys the same rules as the pages, the API and the admin: it is all or nothing (one
transaction; any refused row and nothing is written); a row it updates is locked for the whole
import, must be in the importer's scope, and gets its version bumped, so an edit made from a page
meanwhile is refused as stale instead of being overwritten; and the fields a register moves only
through its services (a household's step and its dates, a lead's stage) may be set on a new row
but never changed on an existing one. An export shows personal data masked unless the user holds
the right, and never writes text a spreadsheet would run as a formula."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.db import connection, models
from django.utils.translation import gettext as _
from import_export import resources, widgets

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


def _area_field(instance: models.Model) -> str:
    """The field an import's "outside your areas" error belongs to: where the row's area comes from."""
    rows = type(instance)._default_manager.get_queryset()
    area = rows.scope_rule.area if isinstance(rows, ScopedQuerySet) else None
    return area.split("__")[0] if area else "id"


class RegisterResource(resources.ModelResource):
    """Subclasses name their model and fields as django-import-export documents, and list in
    `moved_by_services` the fields that only a service may change on an existing row."""

    moved_by_services: ClassVar[tuple[str, ...]] = ()

    def __init__(self, user: AnyUser | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.user = user

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
        if self.user is not None and area_of(instance) is not None and not may_file(self.user, instance):
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
