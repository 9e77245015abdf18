"""Excel import and export of rental houses and migrants (django-import-export).

Imports are all or nothing: any bad row (a wrong ID number, an area outside the importer's scope)
rolls the whole file back and is named with its reason. Exports mask personal data unless the
user holds the right (RegisterResource), and no exported text can run as a spreadsheet formula."""

from __future__ import annotations

from typing import Any

from import_export import fields, widgets

from governance.models import Migrant, RentalHouse
from governance.validators import normalise_id_number
from xicheng.personal import blind_index
from xicheng.resources import AreaWidget, RegisterResource, column_label


class RentalHouseResource(RegisterResource):
    area = fields.Field(attribute="area", column_name="area", widget=AreaWidget())

    class Meta:
        model = RentalHouse
        fields = ["id", "area", "address", "landlord", "landlord_phone", "rooms", "active"]
        export_order = ["id", "area", "address", "landlord", "landlord_phone", "rooms", "active"]
        clean_model_instances = True
        skip_unchanged = True


class MigrantResource(RegisterResource):
    house = fields.Field(attribute="house", column_name="house", widget=widgets.ForeignKeyWidget(RentalHouse))

    class Meta:
        model = Migrant
        fields = ["id", "house", "name", "id_number", "phone", "origin", "registered_on", "left_on"]
        export_order = ["id", "house", "name", "id_number", "phone", "origin", "registered_on", "left_on"]
        clean_model_instances = True

    def before_import_row(self, row: Any, **kwargs: Any) -> None:
        column = column_label(Migrant, "id_number")
        if row.get(column) is not None:
            row[column] = normalise_id_number(str(row[column]))

    def import_instance(self, instance: Migrant, row: Any, **kwargs: Any) -> None:
        super().import_instance(instance, row, **kwargs)
        instance.id_number_index = blind_index(instance.id_number or "")
