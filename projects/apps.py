from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from xicheng import plugins


class ProjectsConfig(plugins.DomainConfig):
    """Everything projects hands the kernel (see xicheng.plugins)."""

    name = "projects"
    verbose_name = _("Key projects")
    # Models cadres and leaders write in the field; the kernel's roles grant add/change on them.
    field_models = ["household", "projectissue", "milestone", "investmentlead"]
    urls = "projects.urls"
    api = "projects.api"
    metrics = "projects.metrics.METRICS"
    panels = "projects.dashboard.PANELS"
    sections = "projects.dashboard.SECTIONS"
    alerts = "projects.dashboard.ALERTS"
    nav = "projects.dashboard.NAV"
    # Supervision cases (督办) attach to none of its records yet.
    supervisable = ()
    demo = "projects.demo.seed"
    enum_names = {
        "ProjectStatusEnum": "projects.models.Project.Status",
        "HouseholdStatusEnum": "projects.models.Household.Status",
        "ProjectIssueStatusEnum": "projects.models.ProjectIssue.Status",
    }
