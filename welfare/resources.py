"""Excel import and export of elders (django-import-export).

Import: every row is validated (the model's own checks, and the village must be one the importer
serves); one bad row and nothing is imported, each bad row named with its reason. Export: names,
phones and emergency contacts stay masked unless the user holds the personal-data right
(RegisterResource), and no text cell can start a spreadsheet formula."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy
from import_export import fields

from welfare.models import Elder
from xicheng.resources import AreaWidget, RegisterResource

if TYPE_CHECKING:
    pass


class ElderResource(RegisterResource):
    village = fields.Field(attribute="village", column_name="village", widget=AreaWidget())
    village_name = fields.Field(column_name=gettext_lazy("village name"), readonly=True)

    class Meta:
        model = Elder
        fields = (
            "id",
            "name",
            "village",
            "village_name",
            "birth_year",
            "lives_alone",
            "phone",
            "emergency_contact",
            "dietary_needs",
            "enrolled_on",
            "left_on",
        )
        export_order = fields
        import_id_fields = ("id",)
        clean_model_instances = True
        skip_unchanged = True

    # Export ------------------------------------------------------------------------------------

    def dehydrate_village_name(self, elder: Elder) -> str:
        return elder.village.name
