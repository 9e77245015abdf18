from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from xicheng.models import Task
from xicheng.scope import can_change
from xicheng.validators import NOTE_LENGTH

if TYPE_CHECKING:
    from xicheng.roles import AuthenticatedHttpRequest

T = TypeVar("T")


class TaskUpdateForm(forms.Form):
    note = forms.CharField(
        label=_("Progress note"),
        max_length=NOTE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("What was done today?")}),
    )
    status = forms.ChoiceField(label=_("Status"), choices=Task.Status.choices)
    version = forms.IntegerField(widget=forms.HiddenInput)


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
    except ValidationError as e:
        add_service_error(form, e)
        return None
