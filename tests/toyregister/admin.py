from __future__ import annotations

from django.contrib import admin
from import_export import fields, widgets

from tests.toyregister.models import LampRepair
from xicheng.admin import ImportExportAdmin
from xicheng.models import Area
from xicheng.personal import masked_column
from xicheng.resources import RegisterResource


class LampRepairResource(RegisterResource):
    area = fields.Field(attribute="area", column_name="area", widget=widgets.ForeignKeyWidget(Area, field="code"))
    moved_by_services = ("status", "repaired_on")

    class Meta:
        model = LampRepair
        fields = ["id", "area", "address", "reporter", "status", "reported_on", "repaired_on"]
        clean_model_instances = True


@admin.register(LampRepair)
class LampRepairAdmin(ImportExportAdmin):
    resource_classes = [LampRepairResource]
    list_display = ["address", "area", "masked_reporter", "status", "reported_on", "repaired_on"]
    fields = ["area", "address", "reporter", "reported_on"]
    masked_reporter = masked_column("reporter", "reporter")
