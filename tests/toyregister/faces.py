"""The toy register's faces, each from the kernel's toolkit: the list page and its one-tap step,
the API, the metrics and the top-bar link (the admin is in admin.py, where Django looks for it).
Declared in apps.py as the app's urls, api, metrics and nav."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from rest_framework import serializers

from tests.toyregister.models import LAMP_STAGES, LampRepair
from xicheng.api import LogsPersonalDataReads, ReadOnlyScopedViewSet, router
from xicheng.dashboard import NavLink
from xicheng.filters import AreaWithinFilter
from xicheng.personal import reveal_rows
from xicheng.registers import list_context
from xicheng.schema import TypedJSON
from xicheng.serializers import MasksPersonalData
from xicheng.stage_faces import StageActions, step_routes

# Filters: one FilterSet for the page and the API.


class LampRepairFilter(django_filters.FilterSet):
    area = AreaWithinFilter()

    class Meta:
        model = LampRepair
        fields = ["area", "status"]


# The list page: the user's scope, filtered, in pages; the reporter whole only for those with the
# right (and then logged); each row's one-tap step for those who may change it.


def lamps_in_scope(request: HttpRequest) -> QuerySet[LampRepair]:
    return LampRepair.objects.visible_to(request.user).select_related("area")


def lamp_list(request: HttpRequest) -> HttpResponse:
    filterset = LampRepairFilter(request.GET, queryset=lamps_in_scope(request))
    context = list_context(request, filterset, personal=("reporter",), changeable=True)
    return render(request, "toyregister/lamp_list.html", context)


def lamp_card(request: HttpRequest, lamp: LampRepair) -> dict[str, Any]:
    reveal_rows(request, [lamp], ("reporter",), subject=f"lamp repair {lamp.pk}")
    return {"lamp": lamp}


app_name = "toyregister"
urlpatterns = [
    path("lamps/", lamp_list, name="lamp_list"),
    *step_routes(
        "lamps/",
        "lamp",
        rows=lamps_in_scope,
        template="toyregister/_lamp_row.html",
        context=lamp_card,
        redirect_to="toyregister:lamp_list",
    ),
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
