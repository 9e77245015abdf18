from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Several models here have a `status`; the API schema names each choice set after its model.
ENUM_NAMES = {
    "ProjectStatusEnum": "projects.models.Project.Status",
    "HouseholdStatusEnum": "projects.models.Household.Status",
    "ProjectIssueStatusEnum": "projects.models.ProjectIssue.Status",
    # Once ours are named, the kernel's task status needs a name of its own too.
    "TaskStatusEnum": "xicheng.models.Task.Status",
}


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = _("Key projects")
    # Models cadres and leaders write in the field; the kernel's roles grant add/change on them.
    field_models: list[str] = ["household", "projectissue", "milestone", "investmentlead"]

    def ready(self) -> None:
        from django.conf import settings

        # Added to the kernel's (empty) ENUM_NAME_OVERRIDES before the schema is first generated.
        overrides: Any = settings.SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {})
        overrides.update(ENUM_NAMES)
