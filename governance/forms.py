"""The cadre's short forms: an inspection with its hazards and migrants, a new rental house, a
dispute received, one-tap steps."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, cast

from django import forms
from django.forms import formset_factory
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from governance.models import Dispute, Force, Hazard, RentalHouse
from governance.validators import normalise_id_number, validate_id_number
from xicheng.models import Area
from xicheng.roles import AnyUser
from xicheng.scope import areas_changeable_by
from xicheng.validators import EVENT_DATE, NOTE_LENGTH, PLAN_DATE, normalise_phone, validate_phone

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class InspectionForm(forms.Form):
    inspected_on = forms.DateField(
        label=_("Inspection date"), initial=timezone.localdate, widget=DATE, validators=EVENT_DATE
    )
    forces = forms.MultipleChoiceField(
        label=_("Forces present"), choices=Force.choices, widget=forms.CheckboxSelectMultiple
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=NOTE_LENGTH, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["forces"].error_messages["required"] = _("Tick at least one force present at the inspection.")


# A hazard found is given a month to put right unless the cadre says otherwise.
HAZARD_DAYS = 30


def hazard_deadline() -> date:
    return timezone.localdate() + timedelta(days=HAZARD_DAYS)


class HazardRowForm(forms.Form):
    """A hazard found at the inspection: one tap on its category files it (the deadline comes
    filled in); a row left untouched is no hazard."""

    category = forms.ChoiceField(label=_("Category"), choices=Hazard.Category.choices, widget=forms.RadioSelect)
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    deadline = forms.DateField(label=_("Deadline"), initial=hazard_deadline, widget=DATE, validators=PLAN_DATE)


class MigrantRowForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=50)
    id_number = forms.CharField(
        label=_("ID number"), max_length=18, widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"})
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=20,
        required=False,
        validators=[validate_phone],
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
    )
    origin = forms.CharField(label=_("Origin"), max_length=100, required=False)

    def clean_id_number(self) -> str:
        number = normalise_id_number(self.cleaned_data["id_number"])
        validate_id_number(number)
        return number

    def clean_phone(self) -> str:
        return normalise_phone(self.cleaned_data.get("phone", ""))


HazardFormSet = formset_factory(HazardRowForm, extra=1, max_num=20)
MigrantFormSet = formset_factory(MigrantRowForm, extra=2, max_num=50)


class RectifyForm(forms.Form):
    """Marks a hazard rectified, or corrects the day of a rectification already recorded."""

    rectified_on = forms.DateField(
        label=_("Rectified on"), initial=timezone.localdate, widget=DATE, validators=EVENT_DATE
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class DisputeMoveForm(forms.Form):
    to_status = forms.ChoiceField(label=_("Next step"), choices=Dispute.Status.choices)
    on = forms.DateField(label=_("Date"), initial=timezone.localdate, widget=DATE, validators=EVENT_DATE)
    version = forms.IntegerField(widget=forms.HiddenInput)


class ZeroReportForm(forms.Form):
    village = forms.IntegerField(widget=forms.HiddenInput)
    incidents = forms.IntegerField(label=_("Incidents"), min_value=0, max_value=1000, initial=0)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class MigrantSearchForm(forms.Form):
    """Sent by POST so that the number never appears in a URL or an access log."""

    id_number = forms.CharField(
        label=_("Exact ID number"), max_length=18, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )

    def clean_id_number(self) -> str:
        return normalise_id_number(self.cleaned_data["id_number"])


def filing_areas(user: AnyUser) -> Any:
    """The villages, estates and grids a user may file a record under, in the tree's order."""
    levels = (Area.Level.VILLAGE, Area.Level.HAMLET, Area.Level.GRID)
    return areas_changeable_by(user).filter(level__in=levels).order_by("path")


class AreaChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class RentalHouseForm(forms.ModelForm):
    """A new rental house, under one of the areas the cadre serves."""

    class Meta:
        model = RentalHouse
        fields = ["area", "address", "landlord", "landlord_phone", "rooms"]
        field_classes = {"area": AreaChoice}
        widgets = {"landlord_phone": forms.TextInput(attrs={"inputmode": "tel"})}

    def __init__(self, *args: Any, user: AnyUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(AreaChoice, self.fields["area"]).queryset = filing_areas(user)

    def clean_landlord_phone(self) -> str:
        return normalise_phone(self.cleaned_data.get("landlord_phone") or "")


class DisputeForm(forms.Form):
    """A dispute received: where, what kind, what about and the day (today unless earlier)."""

    area = AreaChoice(label=_("Area"), queryset=Area.objects.none())
    category = forms.ChoiceField(label=_("Category"), choices=Dispute.Category.choices)
    summary = forms.CharField(
        label=_("Parties and summary"), max_length=NOTE_LENGTH, widget=forms.Textarea(attrs={"rows": 3})
    )
    received_on = forms.DateField(
        label=_("Received on"), initial=timezone.localdate, widget=DATE, validators=EVENT_DATE
    )

    def __init__(self, *args: Any, user: AnyUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(AreaChoice, self.fields["area"]).queryset = filing_areas(user)

    def clean_summary(self) -> str:
        summary = self.cleaned_data["summary"].strip()
        if not summary:
            raise forms.ValidationError(_("Say what the dispute is about."))
        return summary


class HouseSearchForm(forms.Form):
    q = forms.CharField(label=_("Address"), max_length=100, required=False)
