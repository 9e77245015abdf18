from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from projects.models import ProjectIssue
from xicheng.validators import NOTE_LENGTH


class IssueStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=ProjectIssue.Status.choices)
    resolution = forms.CharField(
        label=_("Resolution"), required=False, max_length=NOTE_LENGTH, widget=forms.Textarea(attrs={"rows": 2})
    )
    version = forms.IntegerField(widget=forms.HiddenInput)
