"""The toy register's faces, each from the kernel's toolkit: the list page and its one-tap step,
the API, the metrics and the top-bar link (the admin is in admin.py, where Django looks for it).
Declared in apps.py as the app's urls, api, metrics and nav."""

from __future__ import annotations

from typing import Any

import django_filters
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import path
from django.views.decorators.http import require_POST
from rest_framework import serializers

from tests.toyregister.models import LAMP_STAGES, LampRepair
from xicheng.api import LogsPersonalDataReads, ReadOnlyScopedViewSet, router
from xicheng.dashboard import NavLink
from xicheng.filters import AreaWithinFilter
from xicheng.personal import reveal, shown
from xicheng.registers import list_context
from xicheng.schema import TypedJSON
from xicheng.serializers import MasksPersonalData
from xicheng.stage_faces import StageActions, one_tap

# Filters: one FilterSet for the page and the API.


class LampRepairFilter(django_filters.FilterSet):
    area = AreaWithinFilter()

    class Meta:
        model = LampRepair
        fields = ["area", "status"]


# The list page: the user's scope, filtered, in pages; the reporter whole only for those with the
# right (and then logged); each row's one-tap step for those who may change it.


def _rows(request: HttpRequest, rows: list[LampRepair]) -> dict[str, Any]:
    whole = reveal(request.user, subject="lamp repairs", request=request, showing=bool(rows))
    for row in rows:
        row.reporter_shown = shown(row, "reporter", whole)  # type: ignore[attr-defined]
    ids = [r.pk for r in rows] if request.user.has_perm("toyregister.change_lamprepair") else []
    mine = LampRepair.objects.changeable_by(request.user).filter(pk__in=ids).values_list("pk", flat=True) if ids else []
    return {"rows": rows, "changeable": set(mine)}


def lamp_list(request: HttpRequest) -> HttpResponse:
    context = list_context(request, LampRepairFilter(request.GET, queryset=_scoped(request)))
    return render(request, "toyregister/lamp_list.html", {**context, **_rows(request, list(context["page"]))})


def _scoped(request: HttpRequest) -> Any:
    return LampRepair.objects.visible_to(request.user).select_related("area")


def _one_tap(request: HttpRequest, pk: int, undo: bool) -> HttpResponse:
    lamp = get_object_or_404(_scoped(request), pk=pk)
    context = lambda: {"lamp": lamp, **_rows(request, [lamp])}  # noqa: E731
    return one_tap(
        request,
        lamp,
        undo=undo,
        template="toyregister/_lamp_row.html",
        context=context,
        redirect_to="toyregister:lamp_list",
    )


lamp_next_step = require_POST(lambda request, pk: _one_tap(request, pk, undo=False))
lamp_undo_step = require_POST(lambda request, pk: _one_tap(request, pk, undo=True))

app_name = "toyregister"
urlpatterns = [
    path("lamps/", lamp_list, name="lamp_list"),
    path("lamps/<int:pk>/next/", lamp_next_step, name="lamp_next_step"),
    path("lamps/<int:pk>/undo/", lamp_undo_step, name="lamp_undo_step"),
]


# The API: scoped list and read, the reporter masked without the right, advance/ and revert/.


class LampRepairSerializer(TypedJSON, MasksPersonalData, serializers.ModelSerializer[LampRepair]):
    class Meta:
        model = LampRepair
        fields = ["id", "area", "address", "reporter", "status", "reported_on", "repaired_on", "version"]


class LampRepairViewSet(StageActions, LogsPersonalDataReads, ReadOnlyScopedViewSet):
    queryset = LampRepair.objects.select_related("area")
    serializer_class = LampRepairSerializer
    filterset_class = LampRepairFilter
    personal_data_subject = "API lamp repairs"


router.register("lamp-repairs", LampRepairViewSet)


# Metrics and the top bar.

METRICS = LAMP_STAGES.step_metrics(
    "toyregister.lamps", {"reported": "Lamps reported", "repaired": "Lamps repaired"}, unit="lamps", area="area"
)
NAV = [NavLink("Street lamps", "toyregister:lamp_list", roles=frozenset({"cadre", "leader", "data_admin"}), order=900)]
