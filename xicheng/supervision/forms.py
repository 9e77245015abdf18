"""The forms of a case's pages: opening one, and each step its owner or issuer takes; and one's
notification preferences. They read what was typed; every rule (who, when, which dates) is the
services'."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xicheng.forms import DATE, PersonChoice
from xicheng.models import Area
from xicheng.roles import Role
from xicheng.supervision.models import ATTACHMENT_EXTENSIONS, Case, Channel
from xicheng.supervision.notifications import OUTBOUND, REQUIRED_KINDS
from xicheng.validators import NOTE_LENGTH

TEXT = {"rows": 3}
ATTACHMENT_HELP = _("Optional: a photo or a document (%(types)s).") % {"types": ", ".join(ATTACHMENT_EXTENSIONS)}


def owners_for(area: Area) -> QuerySet[User]:
    """Whom a case on a record in `area` may be given to: active cadres serving the area, an area
    within it or an area above it (not every cadre of a city)."""
    return (
        User.objects.filter(is_active=True, groups__name=Role.CADRE)
        .filter(Q(cadre__areas__path__startswith=area.path) | Q(cadre__areas__path__in=area.ancestor_paths()))
        .select_related("cadre")
        .distinct()
        .order_by("cadre__name", "username")
    )


class CaseOpenForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    instruction = forms.CharField(
        label=_("Instruction"),
        max_length=NOTE_LENGTH,
        widget=forms.Textarea(attrs={**TEXT, "placeholder": _("What must be done, and how")}),
        error_messages={"required": _("Write the instruction.")},
    )
    owner = PersonChoice(label=_("Owner"), queryset=User.objects.none(), empty_label=_("Choose a cadre"))
    due_on = forms.DateField(label=_("Due date"), widget=DATE)
    level = forms.ChoiceField(label=_("Level"), choices=Case.Level.choices, initial=Case.Level.GENERAL)

    def __init__(self, *args: Any, area: Area, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner = self.fields["owner"]
        assert isinstance(owner, forms.ModelChoiceField)
        owner.queryset = owners_for(area)
        self.fields["due_on"].widget.attrs["min"] = timezone.localdate().isoformat()
        if not self.is_bound:
            self.fields["due_on"].initial = timezone.localdate() + timedelta(days=7)

    def clean_due_on(self) -> Any:
        due_on = self.cleaned_data["due_on"]
        if due_on < timezone.localdate():
            raise ValidationError(_("The due date cannot be in the past."))
        return due_on


class VersionedForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)


class AcknowledgeForm(VersionedForm):
    pass


class ReplyForm(forms.Form):
    text = forms.CharField(
        label=_("Progress"),
        max_length=NOTE_LENGTH,
        widget=forms.Textarea(attrs={**TEXT, "placeholder": _("How does the work stand?")}),
        error_messages={"required": _("Write how the work stands.")},
    )
    attachment = forms.FileField(label=_("Attachment"), required=False, help_text=ATTACHMENT_HELP)


class ExtensionRequestForm(VersionedForm):
    due_on = forms.DateField(label=_("New due date"), widget=DATE)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=NOTE_LENGTH,
        widget=forms.Textarea(attrs=TEXT),
        error_messages={"required": _("Say why more time is needed.")},
    )


class ReportDoneForm(VersionedForm):
    text = forms.CharField(
        label=_("What was done"),
        max_length=NOTE_LENGTH,
        widget=forms.Textarea(attrs=TEXT),
        error_messages={"required": _("Say what was done.")},
    )
    attachment = forms.FileField(label=_("Attachment"), required=False, help_text=ATTACHMENT_HELP)


class DecideExtensionForm(VersionedForm):
    approve = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[("yes", _("Approve")), ("no", _("Refuse"))],
        coerce=lambda value: value == "yes",
        widget=forms.HiddenInput,
    )
    text = forms.CharField(label=_("Note"), max_length=NOTE_LENGTH, required=False, widget=forms.Textarea(attrs=TEXT))


class SendBackForm(VersionedForm):
    text = forms.CharField(
        label=_("What is still to be done"),
        max_length=NOTE_LENGTH,
        widget=forms.Textarea(attrs=TEXT),
        error_messages={"required": _("Say what is still to be done.")},
    )


class AcceptForm(VersionedForm):
    text = forms.CharField(label=_("Note"), max_length=NOTE_LENGTH, required=False, widget=forms.Textarea(attrs=TEXT))


@dataclass(frozen=True)
class PreferenceRow:
    kind: str
    label: Any
    required: bool
    wanted: forms.BoundField
    channels: forms.BoundField

    def checked(self) -> list[tuple[str, Any, bool]]:
        """(channel, its name, ticked) in the page's column order, as sent back or as it stands."""
        ticked = set(self.channels.value() or [])
        return [(key, Channel(key).label, key in ticked) for key in OUTBOUND]


class PreferencesForm(forms.Form):
    """A person's choices for every kind of notification, one row a kind: wanted or not (a case
    given to them always is) and the outbound channels beside the in-app centre."""

    def __init__(
        self, *args: Any, current: dict[str, tuple[bool, list[str]]], labels: dict[str, Any], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        channel_choices = [(key, Channel(key).label) for key in OUTBOUND]
        self.kinds = list(current)
        for kind, (enabled, channels) in current.items():
            self.fields[f"{kind}-wanted"] = forms.BooleanField(
                label=labels[kind], required=False, initial=enabled, disabled=kind in REQUIRED_KINDS
            )
            self.fields[f"{kind}-channels"] = forms.MultipleChoiceField(
                label=labels[kind],
                choices=channel_choices,
                required=False,
                initial=channels,
                widget=forms.CheckboxSelectMultiple,
            )
        self.rows = [
            PreferenceRow(kind, labels[kind], kind in REQUIRED_KINDS, self[f"{kind}-wanted"], self[f"{kind}-channels"])
            for kind in self.kinds
        ]

    def choices(self) -> dict[str, tuple[bool, list[str]]]:
        return {
            kind: (bool(self.cleaned_data[f"{kind}-wanted"]), list(self.cleaned_data[f"{kind}-channels"]))
            for kind in self.kinds
        }
