from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GovernanceConfig(AppConfig):
    name = "governance"
    verbose_name = _("Governance")
    # Models cadres and leaders write in the field; the kernel's roles grant add/change on them.
    field_models: list[str] = ["rentalhouse", "inspection", "migrant", "hazard", "dispute", "zeroreport"]
