from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from xicheng.models import Task


class TaskUpdateForm(forms.Form):
    note = forms.CharField(
        label=_("Progress note"), widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("What was done today?")})
    )
    status = forms.ChoiceField(label=_("Status"), choices=Task.Status.choices)
    version = forms.IntegerField(widget=forms.HiddenInput)
