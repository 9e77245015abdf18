"""Excel import and export of households and investment leads (django-import-export).

Every row is validated (the model's constraints included) and an import is all or nothing: a
single bad row and nothing is written, and the bad row is named with its reasons. Exported text
cannot run as a spreadsheet formula; owners' names and phones stay masked unless the user holds the
right (RegisterResource)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from import_export import fields, widgets

from projects.models import Household, InvestmentLead, Project, Squad
from xicheng.resources import AreaWidget, LookupWidget, RegisterResource, column_label
from xicheng.scope import areas_changeable_by


class ChoiceWidget(widgets.Widget):
    """A choice by its code or its label (in any language the label is shown in)."""

    def __init__(self, choices: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.choices = choices

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Any:
        value = str(value or "").strip()
        for code, label in self.choices.choices:
            if value in (code, str(label)):
                return code
        raise ValueError(_("“%(value)s” is not one of the choices.") % {"value": value})

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> Any:
        return str(dict(self.choices.choices).get(value, value or ""))


def _outside_areas(value: Any) -> str:
    return _("“%(value)s” is unknown or outside your areas.") % {"value": value}


def _project_label() -> str:
    return column_label(Household, "project")


class SquadWidget(LookupWidget):
    """A squad by its name within the row's project."""

    def __init__(self, queryset: Any) -> None:
        super().__init__(
            Squad,
            "name",
            queryset=queryset,
            missing=lambda name: _("No squad “%(value)s” in this project.") % {"value": name},
        )

    def get_queryset(self, value: Any, row: Any, *args: Any, **kwargs: Any) -> Any:
        # The row's project, under its column's label (or its field name, in an older sheet).
        project = next((v for k, v in (row or {}).items() if k in ("project", _project_label())), "")
        return super().get_queryset(value, row).filter(project__name=project)


class HouseholdResource(RegisterResource):
    # A household moves one step at a time, through household_advance.
    moved_by_services = ("status", *Household.step_date_fields)
    project = fields.Field(attribute="project", column_name="project", widget=widgets.ForeignKeyWidget(Project, "name"))
    squad = fields.Field(attribute="squad", column_name="squad", widget=SquadWidget(Squad.objects.all()))
    area = fields.Field(attribute="area", column_name="area", widget=AreaWidget())
    status = fields.Field(attribute="status", column_name="status", widget=ChoiceWidget(Household.Status))
    owner_phone = fields.Field(attribute="owner_phone", column_name="owner_phone")

    class Meta:
        model = Household
        fields = [
            "id",
            "project",
            "squad",
            "area",
            "address",
            "owner_name",
            "owner_phone",
            "floor_area",
            "status",
            "evaluated_on",
            "signed_on",
            "vacated_on",
            "demolished_on",
            "problem_title",
            "problem_loan",
            "problem_other",
            "problem_note",
            "created_on",
        ]
        import_id_fields = ["id"]
        clean_model_instances = True
        use_transactions = True
        skip_unchanged = True

    def __init__(self, user: Any = None, **kwargs: Any) -> None:
        super().__init__(user=user, **kwargs)
        if user is not None:
            self.fields["area"].widget = AreaWidget(queryset=areas_changeable_by(user), missing=_outside_areas)
            self.fields["project"].widget = LookupWidget(
                Project, "name", queryset=Project.objects.visible_to(user), missing=_outside_areas
            )
            self.fields["squad"].widget = SquadWidget(Squad.objects.visible_to(user))

    def before_save_instance(self, instance: Household, row: Any, **kwargs: Any) -> None:
        # The last step's day follows from the step dates.
        days = [d for d in (getattr(instance, f) for f in Household.step_date_fields) if d is not None]
        instance.last_step_on = max(days, default=None)
        if instance.squad is not None and instance.squad.project_id != instance.project_id:
            raise ValidationError({"squad": _("The squad works on another project.")})


class InvestmentLeadResource(RegisterResource):
    # A lead moves one stage at a time, through lead_advance.
    moved_by_services = ("stage", "signed_on", "landed_on", "producing_on")
    area = fields.Field(attribute="area", column_name="area", widget=AreaWidget())
    owner = fields.Field(attribute="owner", column_name="owner", widget=widgets.ForeignKeyWidget(User, "username"))
    industry = fields.Field(attribute="industry", column_name="industry", widget=ChoiceWidget(InvestmentLead.Industry))
    stage = fields.Field(attribute="stage", column_name="stage", widget=ChoiceWidget(InvestmentLead.Stage))

    class Meta:
        model = InvestmentLead
        fields = [
            "id",
            "company",
            "industry",
            "amount",
            "area",
            "owner",
            "stage",
            "talks_on",
            "signed_on",
            "landed_on",
            "producing_on",
            "note",
        ]
        import_id_fields = ["id"]
        clean_model_instances = True
        use_transactions = True
        skip_unchanged = True

    def __init__(self, user: Any = None, **kwargs: Any) -> None:
        super().__init__(user=user, **kwargs)
        if user is not None:
            self.fields["area"].widget = AreaWidget(queryset=areas_changeable_by(user), missing=_outside_areas)


def row_errors(result: Any) -> list[str]:
    """Each bad row of an import, named by its number with the reasons: for messages and tests."""
    lines = []
    for invalid in result.invalid_rows:
        reasons = "; ".join(f"{field}: {' '.join(map(str, msgs))}" for field, msgs in invalid.error_dict.items())
        lines.append(_("Row %(number)s: %(reasons)s") % {"number": invalid.number, "reasons": reasons})
    for number, errors in result.row_errors():
        lines.append(
            _("Row %(number)s: %(reasons)s") % {"number": number, "reasons": "; ".join(str(e.error) for e in errors)}
        )
    return lines
