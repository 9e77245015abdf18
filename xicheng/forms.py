from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from xicheng.models import Task
from xicheng.validators import NOTE_LENGTH


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
