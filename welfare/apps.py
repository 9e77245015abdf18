from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WelfareConfig(AppConfig):
    name = "welfare"
    verbose_name = _("Livelihood")
    # Models cadres and leaders write in the field; the kernel's roles grant add/change on them.
    field_models: list[str] = ["elder", "mealdelivery", "mealreceipt", "safetycheck"]
