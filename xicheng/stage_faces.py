"""The faces of a staged record (`xicheng.stages`): the API's `advance/` and `revert/` actions and
the web's one-tap step (and its undo), each calling the two stage services.

    class HouseholdViewSet(StageActions, ReadOnlyScopedViewSet): ...

    urlpatterns = [
        ...,
        *step_routes("households/", "household", rows=lambda request: Household.objects.visible_to(request.user),
                     template="projects/_household_card.html",
                     context=lambda request, household: {"household": household},
                     redirect_to="projects:household_list"),
    ]

gives `households/<pk>/next-step/` (`household_next_step`) and `households/<pk>/undo-step/`
(`household_undo_step`); `one_tap` is the view underneath, for a page that wants its own route.

The web partial `xicheng/_stage_step.html` draws the one-tap button (and, right after a step, the
undo button) for a row the user may change.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from xicheng import clock
from xicheng.forms import submit_form
from xicheng.schema import TypedJSON
from xicheng.serializers import VersionField
from xicheng.stages import stage_advance, stage_revert, stage_undo
from xicheng.validators import EVENT_DATE

# The actions below are mixed into viewsets; mypy is told so (at run time they stand alone).
if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from rest_framework.viewsets import GenericViewSet

    from xicheng.roles import AuthenticatedHttpRequest, AuthenticatedRequest

    _ViewSet = GenericViewSet[Any]
else:
    _ViewSet = object

# The API ----------------------------------------------------------------------------------------


class NextStepSerializer(TypedJSON, serializers.Serializer[Any]):
    version = VersionField(required=True, help_text="The version you read.")
    on = serializers.DateField(required=False, help_text="The day of the step; today by default.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # The day is filled in here, so the validated data can go to a service as they are.
        return {**attrs, "on": attrs.get("on") or clock.today()}


class RevertStepSerializer(TypedJSON, serializers.Serializer[Any]):
    """Undoing a step needs only the version read: the last step is the one undone."""

    version = VersionField(required=True, help_text="The version you read.")


STAGE_ACTION_PERMISSIONS = {"advance": "change", "revert": "change"}


# `revert/` on a viewset of staged rows: undo the last step, for whoever may change the row (the
# viewset's object permission, then the service's own check). It answers the row as the viewset
# serialises it; a stale version is a 409 with the current one. (No docstring: the schema would
# take it for the viewset's own description.)
class RevertAction(_ViewSet):
    action_permissions: dict[str, str] = STAGE_ACTION_PERMISSIONS

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # A viewset naming its own actions' permissions keeps the stage actions' too.
        super().__init_subclass__(**kwargs)
        cls.action_permissions = {**STAGE_ACTION_PERMISSIONS, **cls.__dict__.get("action_permissions", {})}

    def stage_answer(self, row: models.Model) -> Response:
        return Response(self.get_serializer(row).data)

    @extend_schema(request=RevertStepSerializer)
    @action(detail=True, methods=["post"])
    def revert(self, request: AuthenticatedRequest, pk: str | None = None) -> Response:
        """Undo the last step (its day is cleared, the status goes back to the one before); 409
        if it changed meanwhile."""
        row = self.get_object()
        body = RevertStepSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        row = stage_revert(row, version=body.validated_data["version"], acting_user=request.user)
        return self.stage_answer(row)


# `advance/` and `revert/` on a viewset of rows moving along a linear pipeline (a branching one,
# where the step must be chosen, offers its own action beside `revert/`).
class StageActions(RevertAction):
    @extend_schema(request=NextStepSerializer)
    @action(detail=True, methods=["post"])
    def advance(self, request: AuthenticatedRequest, pk: str | None = None) -> Response:
        """Move one step (today unless `on` is given); 409 if it changed meanwhile."""
        row = self.get_object()
        body = NextStepSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        row = stage_advance(row, acting_user=request.user, **body.validated_data)
        return self.stage_answer(row)


# The web ----------------------------------------------------------------------------------------


class OneTapForm(forms.Form):
    """The one-tap step: dated today unless another day is given (never a later one); the version
    guards concurrent changes."""

    on = forms.DateField(
        label=_("Date"),
        required=False,
        initial=clock.today,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        validators=EVENT_DATE,
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class UndoForm(forms.Form):
    """The undo of a step just taken: the version read is all it needs."""

    version = forms.IntegerField(widget=forms.HiddenInput)


def form_errors(form: forms.BaseForm) -> list[str]:
    """Every error of a form, each naming its field ("Date: …"), for a message or a card."""
    named: list[str] = []
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else None
        named.extend(f"{label}: {e}" if label else str(e) for e in errors)
    return named


def _advance_on(row: models.Model, *, on: date | None, version: int, acting_user: User) -> models.Model:
    # A post without a day (an old page, a script) takes today's.
    return stage_advance(row, on=on or clock.today(), version=version, acting_user=acting_user)


def one_tap(
    request: AuthenticatedHttpRequest,
    row: models.Model,
    *,
    template: str,
    context: Callable[[], dict[str, Any]],
    redirect_to: str,
    undo: bool = False,
) -> HttpResponse:
    """Take the row's next step on the day posted (today by default), or undo the step just
    taken (`stage_undo`: the same person, within 10 minutes), from a posted one-tap form.

    htmx gets the row's card again (`template` with `context()`, which may read the row anew),
    with `form`, `saved`, `undone` and `errors` (each naming its field); a plain post gets the
    same as messages and is sent back to `redirect_to`."""
    form: forms.Form
    step: Callable[..., models.Model]
    if undo:
        form = UndoForm(request.POST)
        step = partial(stage_undo, row, acting_user=request.user)
    else:
        form = OneTapForm(request.POST)
        step = partial(_advance_on, row, acting_user=request.user)

    saved = submit_form(request, row, form, step) is not None
    errors = form_errors(form)
    if not request.htmx:
        for error in errors:
            messages.error(request, error)
        if saved:
            messages.success(request, _("Undone.") if undo else _("Recorded."))
        return redirect(redirect_to)
    if saved:
        row.refresh_from_db()
    answer = {
        "may_change": True,
        "form": form,
        "errors": errors,
        "saved": saved and not undo,
        "undone": saved and undo,
        "today": clock.today(),
    }
    # A refused step answers 400 (htmx still swaps it in, base.html's htmx-config): the card shows why.
    return render(request, template, {**context(), **answer}, status=400 if errors else 200)


def step_routes(
    prefix: str,
    name: str,
    *,
    rows: Callable[[HttpRequest], models.QuerySet[Any]],
    template: str,
    context: Callable[[HttpRequest, Any], dict[str, Any]],
    redirect_to: str,
) -> list[URLPattern]:
    """The one-tap step and its undo for a register's rows: two POST routes under `prefix`,
    named `<name>_next_step` and `<name>_undo_step`. `rows(request)` is the user's scope (another
    area's row is a 404); `context(request, row)` is what the row's card `template` reads."""

    def tap(request: AuthenticatedHttpRequest, pk: int, *, undo: bool) -> HttpResponse:
        row = get_object_or_404(rows(request), pk=pk)
        return one_tap(
            request, row, template=template, context=lambda: context(request, row), redirect_to=redirect_to, undo=undo
        )

    @require_POST
    def next_step(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
        return tap(request, pk, undo=False)

    @require_POST
    def undo_step(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
        return tap(request, pk, undo=True)

    return [
        path(f"{prefix}<int:pk>/next-step/", next_step, name=f"{name}_next_step"),
        path(f"{prefix}<int:pk>/undo-step/", undo_step, name=f"{name}_undo_step"),
    ]
