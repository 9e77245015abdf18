from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from xicheng.locking import Conflict
from xicheng.models import Area, Indicator, Task
from xicheng.scope import can_change, served_areas
from xicheng.validators import EVENT_DATE, NOTE_LENGTH

if TYPE_CHECKING:
    from xicheng.roles import AnyUser, AuthenticatedHttpRequest

T = TypeVar("T")


class TaskUpdateForm(forms.Form):
    note = forms.CharField(
        label=_("Progress note"),
        max_length=NOTE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("What was done today?")}),
        # Spaces alone are stripped to nothing: say what is missing, not just "required".
        error_messages={"required": _("Write what has been done.")},
    )
    status = forms.ChoiceField(label=_("Status"), choices=Task.Status.choices)
    version = forms.IntegerField(widget=forms.HiddenInput)


class ManualReadingForm(forms.Form):
    """A reading of a manual indicator the user owns, for an area she serves (我的填报)."""

    indicator = forms.ModelChoiceField(queryset=Indicator.objects.none(), widget=forms.HiddenInput)
    area = forms.ModelChoiceField(queryset=Area.objects.none(), widget=forms.HiddenInput)
    on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}), validators=EVENT_DATE)
    value = forms.DecimalField(label=_("Increase since the last reading"), max_digits=14, decimal_places=2)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args: object, user: AnyUser, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        indicator_field = self.fields["indicator"]
        area_field = self.fields["area"]
        assert isinstance(indicator_field, forms.ModelChoiceField)
        assert isinstance(area_field, forms.ModelChoiceField)
        indicator_field.queryset = Indicator.objects.filter(owner=user.pk, source=Indicator.Source.MANUAL)
        area_field.queryset = Area.objects.filter(pk__in=[a.pk for a in served_areas(user)])


def add_service_error(form: forms.BaseForm, error: ValidationError) -> None:
    """Show a service's refusal on the form that was sent: a message about one of the form's
    fields beside it, every other one (a stale version, a date the form does not carry) on top.
    The form keeps what was typed."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        messages = [m for e in errors for m in e.messages]
        form.add_error(field if field in form.fields else None, messages)


def submit_form(
    request: AuthenticatedHttpRequest, row: models.Model, form: forms.BaseForm, service: Callable[..., T]
) -> T | None:
    """The write a page posts about one row: a user who may not change `row` gets a 403; a valid
    form's cleaned data go to `service` (the service with its row and acting user already bound);
    a rule the service breaks lands on the form as `add_service_error` puts it.

    Returns what the service returned, or None when the form or the service refused, and then
    `form.errors` says why."""
    if not can_change(request.user, row):
        raise PermissionDenied
    if not form.is_valid():
        return None
    try:
        return service(**form.cleaned_data)
    except Conflict as e:
        add_service_error(form, e)
        refresh_version(form, e.current_version)
        return None
    except ValidationError as e:
        add_service_error(form, e)
        return None


def refresh_version(form: forms.BaseForm, current: int | None) -> None:
    """After a conflict the form comes back holding what was typed and the row's version now, so
    that sending it again (having read the message) is taken, not refused once more."""
    if current is None or "version" not in form.fields or not form.is_bound:
        return
    data = form.data.copy() if isinstance(form.data, QueryDict) else dict(form.data)
    data[form.add_prefix("version")] = str(current)
    form.data = data
