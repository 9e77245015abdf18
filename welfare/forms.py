"""The HTML side's forms: the day sheet's parser, enrolment, leaving, following up a safety check."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.http import QueryDict
from django.utils.dateparse import parse_time
from django.utils.translation import gettext_lazy as _

from welfare.models import Elder
from welfare.services import VillageSheet
from xicheng.scope import areas_changeable_by
from xicheng.validators import NOTE_LENGTH, SCHEDULED_DATE

if TYPE_CHECKING:
    from xicheng.models import Area
    from xicheng.roles import AnyUser


def parse_sheet(data: QueryDict) -> list[VillageSheet]:
    """Read the posted sheet: `v` lists the villages; per village `t-`, `c-`, `n-`, `ver-<village>`;
    per elder `o-<village>-<elder>`. Judging the values is the service's job."""
    rows = []
    for raw in data.getlist("v"):
        if not raw.isdigit():
            continue
        vid = int(raw)
        outcomes: dict[int, str] = {}
        prefix = f"o-{vid}-"
        for key in data:
            if key.startswith(prefix) and key[len(prefix) :].isdigit():
                outcomes[int(key[len(prefix) :])] = str(data.get(key, ""))
        version = data.get(f"ver-{vid}", "")
        rows.append(
            VillageSheet(
                village_id=vid,
                delivered_at=parse_time(data.get(f"t-{vid}", "") or "") if _valid_time(data.get(f"t-{vid}")) else None,
                courier=data.get(f"c-{vid}", ""),
                note=data.get(f"n-{vid}", ""),
                outcomes=outcomes,
                version=int(version) if version.isdigit() else None,
            )
        )
    return rows


def _valid_time(raw: str | None) -> bool:
    try:
        return bool(raw) and parse_time(raw or "") is not None
    except ValueError:
        return False


class ElderEnrolForm(forms.ModelForm):
    class Meta:
        model = Elder
        fields = [
            "name",
            "village",
            "birth_year",
            "lives_alone",
            "phone",
            "emergency_contact",
            "dietary_needs",
            "enrolled_on",
        ]
        # A person's name is 姓名; the field's own label, shared with the centres' names, reads 名称.
        labels = {"name": _("Full name")}
        widgets = {
            "enrolled_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "phone": forms.TextInput(),
            "emergency_contact": forms.TextInput(),
        }

    def __init__(self, *args: Any, user: AnyUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        village = cast("forms.ModelChoiceField[Area]", self.fields["village"])
        village.queryset = areas_changeable_by(user)


class ElderLeaveForm(forms.Form):
    left_on = forms.DateField(
        label=_("Left on"), widget=forms.DateInput(attrs={"type": "date"}), validators=SCHEDULED_DATE
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class SafetyCheckResolveForm(forms.Form):
    finding = forms.CharField(
        label=_("What you found"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=NOTE_LENGTH,
        error_messages={"required": _("Write how you reached the elder and what you found.")},
    )
    version = forms.IntegerField(widget=forms.HiddenInput)
