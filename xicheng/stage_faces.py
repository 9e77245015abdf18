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
from functools import partial
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.views.decorators.http import require_POST
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from xicheng import clock
from xicheng.forms import submit_form
from xicheng.schema import TypedJSON
from xicheng.serializers import VersionField
from xicheng.stages import stage_advance, stage_revert

# The actions below are mixed into viewsets; mypy is told so (at run time they stand alone).
if TYPE_CHECKING:
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
    """The one-tap step (or its undo): recorded today; the version guards concurrent changes."""

    version = forms.IntegerField(widget=forms.HiddenInput)


def one_tap(
    request: AuthenticatedHttpRequest,
    row: models.Model,
    *,
    template: str,
    context: Callable[[], dict[str, Any]],
    redirect_to: str,
    undo: bool = False,
) -> HttpResponse:
    """Take the row's next step today (or undo its last one) from a posted one-tap form.

    htmx gets the row's card again (`template` with `context()`, which may read the row anew),
    with `form`, `saved` and `undone`; a plain post gets its errors as messages and is sent back
    to `redirect_to`."""
    form = OneTapForm(request.POST)
    step: Callable[..., models.Model]
    if undo:
        step = partial(stage_revert, row, acting_user=request.user)
    else:
        step = partial(stage_advance, row, on=timezone.localdate(), acting_user=request.user)
    saved = submit_form(request, row, form, step) is not None
    if not request.htmx:
        for error in form.non_field_errors():
            messages.error(request, str(error))
        return redirect(redirect_to)
    if saved:
        row.refresh_from_db()
    answer = {"may_change": True, "form": form, "saved": saved and not undo, "undone": saved and undo}
    return render(request, template, {**context(), **answer})


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
