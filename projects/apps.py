from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = _("Key projects")
    # Models cadres and leaders write in the field; the kernel's roles grant add/change on them.
    field_models: list[str] = ["household", "projectissue", "milestone", "investmentlead"]
