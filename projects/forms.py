from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from projects.models import InvestmentLead, Project, ProjectIssue
from xicheng.forms import DATE, PersonChoice, field_workers
from xicheng.models import Area
from xicheng.roles import AnyUser
from xicheng.scope import areas_changeable_by
from xicheng.validators import EVENT_DATE, NOTE_LENGTH, PLAN_DATE


class IssueStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=ProjectIssue.Status.choices)
    resolution = forms.CharField(
        label=_("Resolution"), required=False, max_length=NOTE_LENGTH, widget=forms.Textarea(attrs={"rows": 2})
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class ProjectChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class IssueForm(forms.Form):
    """A blocker on a project's list: what, who answers for it, by when."""

    project = ProjectChoice(label=_("Project"), queryset=Project.objects.none())
    title = forms.CharField(label=_("Issue"), max_length=200)
    owner = PersonChoice(label=_("Responsible person"), queryset=field_workers())
    due_on = forms.DateField(label=_("Due date"), widget=DATE, validators=PLAN_DATE)

    def __init__(self, *args: Any, user: AnyUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Those the user sees (the service refuses one they may not change, by name).
        projects = Project.objects.visible_to(user).order_by("name")
        cast(ProjectChoice, self.fields["project"]).queryset = projects
        if field_workers().filter(pk=user.pk).exists():
            self.fields["owner"].initial = user.pk


class MilestoneCompleteForm(forms.Form):
    """A stage of a project finished on a day (today unless earlier)."""

    on = forms.DateField(label=_("Finished on"), initial=timezone.localdate, widget=DATE, validators=EVENT_DATE)
    version = forms.IntegerField(widget=forms.HiddenInput)


class AreaChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class LeadForm(forms.Form):
    """An investment lead: the company, its industry and amount, where, who follows it, since when."""

    company = forms.CharField(label=_("Company"), max_length=100)
    industry = forms.ChoiceField(label=_("Industry"), choices=InvestmentLead.Industry.choices)
    amount = forms.DecimalField(
        label=_("Amount (10k yuan)"), min_value=0, max_value=10_000_000, max_digits=12, decimal_places=2
    )
    area = AreaChoice(label=_("Area"), queryset=Area.objects.none())
    owner = PersonChoice(label=_("Responsible person"), queryset=field_workers())
    talks_on = forms.DateField(
        label=_("Talks began on"), initial=timezone.localdate, widget=DATE, validators=EVENT_DATE
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args: Any, user: AnyUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        areas = areas_changeable_by(user).filter(level__gte=Area.Level.SUBDISTRICT).order_by("path")
        cast(AreaChoice, self.fields["area"]).queryset = areas
        if field_workers().filter(pk=user.pk).exists():
            self.fields["owner"].initial = user.pk
