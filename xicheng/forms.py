from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from xicheng.locking import Conflict
from xicheng.models import Area, Indicator, Task
from xicheng.scope import can_change, served_areas
from xicheng.validators import EVENT_DATE, NOTE_LENGTH

if TYPE_CHECKING:
    from xicheng.roles import AnyUser, AuthenticatedHttpRequest

T = TypeVar("T")


DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


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


class PersonChoice(forms.ModelChoiceField):
    """A person picked by name (the cadre's name, not the login)."""

    def label_from_instance(self, obj: Any) -> str:
        from xicheng.audit_trail import person_name

        return person_name(obj)


def field_workers() -> models.QuerySet[Any]:
    """The subdistrict's people who may answer for work: active cadres and leaders, by name."""
    from django.contrib.auth.models import User

    from xicheng.roles import Role

    return (
        User.objects.filter(is_active=True, groups__name__in=[Role.CADRE, Role.LEADER])
        .select_related("cadre")
        .distinct()
        .order_by("cadre__name", "username")
    )


class ManualReadingForm(forms.Form):
    """A reading of a manual indicator the user owns, for an area she serves (我的填报)."""

    indicator = forms.ModelChoiceField(queryset=Indicator.objects.none(), widget=forms.HiddenInput)
    area = forms.ModelChoiceField(queryset=Area.objects.none(), widget=forms.HiddenInput)
    on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}), validators=EVENT_DATE)
    value = forms.DecimalField(label=_("Increase since the last reading"), max_digits=14, decimal_places=2)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args: Any, user: AnyUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
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


def save_form(form: forms.BaseForm, service: Callable[..., T]) -> T | None:
    """A valid form's cleaned data to `service`; None when the form or the service refused (then
    `form.errors` says why: the service's refusal put on the form by `add_service_error`)."""
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


def form_page(
    request: AuthenticatedHttpRequest,
    form: forms.BaseForm,
    service: Callable[..., T],
    *,
    title: Any,
    saved: Callable[[T], str],
    message: Any,
    perm: str | None = None,
    template: str = "xicheng/form_page.html",
    **context: Any,
) -> HttpResponse:
    """A page of one form that files or moves a record through its service (a new rental house,
    a dispute received, a stage completed): GET shows the form, a POST saves it through `service`
    and goes to `saved(result)` (a URL) with `message`; refused, the page comes back with a 400,
    each error beside its field and naming it, what was typed kept. A user without `perm` gets a
    403, and so does one the service refuses (PermissionDenied)."""
    if perm is not None and not request.user.has_perm(perm):
        raise PermissionDenied
    if request.method == "POST":
        result = save_form(form, service)
        if result is not None:
            messages.success(request, str(message))
            return redirect(saved(result))
    status = 400 if form.is_bound else 200
    return render(request, template, {"form": form, "title": title, **context}, status=status)


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
    return save_form(form, service)


def refresh_version(form: forms.BaseForm, current: int | None) -> None:
    """After a conflict the form comes back holding what was typed and the row's version now, so
    that sending it again (having read the message) is taken, not refused once more."""
    if current is None or "version" not in form.fields or not form.is_bound:
        return
    data = form.data.copy() if isinstance(form.data, QueryDict) else dict(form.data)
    data[form.add_prefix("version")] = str(current)
    form.data = data
