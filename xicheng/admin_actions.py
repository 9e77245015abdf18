"""The admin obeys the services (DESIGN.md: the admin is a face, not a back door).

- `VersionedAdminMixin` (part of every `ScopedAdmin`): the change form of a versioned row carries
  the version it was read at; saving locks the row, refuses a stale version with the one Chinese
  conflict message (keeping what was typed), bumps the version and saves only what changed.
- `service_action`: an admin action that runs a service on each selected row, as the user, with
  the version just read; each refusal is reported with the row it concerns, the rest go through.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _

from xicheng.locking import conflict_message, is_versioned, thing

if TYPE_CHECKING:
    # What the mixin below is mixed into (django-simple-history is untyped: mypy reads it as Any).
    from simple_history.admin import SimpleHistoryAdmin as _HistoryAdmin

    from xicheng.roles import AuthenticatedHttpRequest
else:
    _HistoryAdmin = object


class ReadOnlyAdminMixin:
    """An admin page that shows and never changes: nothing added, edited or deleted here (records
    written only by their services, the audit trail, account bookkeeping)."""

    actions: Any = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class VersionedAdminMixin(_HistoryAdmin):
    """Optimistic locking for the admin's change form of a model with a `version` field."""

    def revert_disabled(self, request: HttpRequest, obj: Model | None = None) -> bool:
        # The history is read, never replayed: reverting would put a household back two steps, or
        # a version back to an old number, with none of the services' rules.
        return True

    def history_form_view(self, request: HttpRequest, object_id: str, version_id: str, **kwargs: Any) -> Any:
        # django-simple-history hides the revert button but would still save a posted old version.
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, **kwargs)

    def _versioned_change(self, obj: Model | None) -> bool:
        return obj is not None and obj.pk is not None and is_versioned(self.model)

    def get_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        fields = list(super().get_fields(request, obj))
        if self._versioned_change(obj) and "version" not in fields:
            fields.append("version")
        return fields

    def get_form(self, request: HttpRequest, obj: Model | None = None, change: bool = False, **kwargs: Any) -> Any:
        if not self._versioned_change(obj):
            return super().get_form(request, obj, change=change, **kwargs)
        fields = kwargs.pop("fields", None)
        if fields is None:
            fields = flatten_fieldsets(self.get_fieldsets(request, obj))
        # `version` is not editable on the model: the form declares it, hidden, itself.
        fields = [f for f in fields if f != "version"]
        base = super().get_form(request, obj, change=change, fields=fields, **kwargs)
        return type(
            base.__name__, (VersionedFormMixin, base), {"version": forms.IntegerField(widget=forms.HiddenInput)}
        )

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not (change and self._versioned_change(obj) and "version" in getattr(form, "cleaned_data", {})):
            super().save_model(request, obj, form, change)
            return
        # The form's clean() holds the row's lock for the rest of the admin's transaction.
        names = {f.name for f in obj._meta.concrete_fields}
        changed = [name for name in form.changed_data if name in names and name != "version"]
        obj.version = form.cleaned_data["version"] + 1
        obj.save(update_fields=[*changed, "version"])

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        # A versioned row changed in an inline (a project's stages, its squads) moves on a version
        # too, so that a change read before it is refused.
        if is_versioned(formset.model):
            deleted = set(getattr(formset, "deleted_forms", []))
            for inline in formset.forms:
                if inline.instance.pk is not None and inline.has_changed() and inline not in deleted:
                    inline.instance.version += 1
        super().save_formset(request, form, formset, change)


class VersionedFormMixin(forms.ModelForm):
    """Locks the row while the form is judged; a version other than the one read is refused."""

    version: forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "version" in self.fields:
            self.fields["version"].initial = getattr(self.instance, "version", None)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        sent = data.get("version")
        if self.instance.pk is not None and sent is not None:
            manager = type(self.instance)._default_manager
            current = manager.select_for_update().filter(pk=self.instance.pk).values_list("version", flat=True).first()
            if current is not None and current != sent:
                raise forms.ValidationError(conflict_message(thing(self.instance), current, sent), code="conflict")
        return data


def service_action(
    description: Any,
    run: Callable[[AuthenticatedHttpRequest, Any], Any],
    *,
    done: Any,
    name: str,
    permissions: tuple[str, ...] = ("change",),
) -> Callable[..., None]:
    """An admin action that runs `run(request, row)` (a service call) on each selected row.

    Each row is its own transaction: one refusal does not undo the others, and each is reported
    with the row it concerns. `done` is the message for the rows that went through (%(count)s)."""

    def action(modeladmin: admin.ModelAdmin[Any], request: HttpRequest, queryset: QuerySet[Any]) -> None:
        count = 0
        for row in queryset:
            try:
                with transaction.atomic():
                    run(cast("AuthenticatedHttpRequest", request), row)  # the admin lets no anonymous user in
                count += 1
            except (ValidationError, PermissionDenied) as e:
                text = " ".join(e.messages) if isinstance(e, ValidationError) else str(e)
                messages.error(request, _("%(row)s: %(error)s") % {"row": row, "error": text})
        if count:
            messages.success(request, done % {"count": count})

    action.__name__ = name
    decorated: Callable[..., None] = admin.action(description=description, permissions=list(permissions))(action)
    return decorated
