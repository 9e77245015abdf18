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
    # Records a leader opens a supervision case (督办) on, from their red items on the dashboard; a
    # household's case (and an issue's on a household) climbs first to the squad's group head.
    supervisable = [
        plugins.Supervisable(
            "projects.household",
            "projects.Household",
            _("Household"),
            head="projects.supervision.household_head",
            alerts=("household_stalled",),
        ),
        plugins.Supervisable(
            "projects.milestone", "projects.Milestone", _("Project stage"), alerts=("milestone_overdue",)
        ),
        plugins.Supervisable(
            "projects.issue",
            "projects.ProjectIssue",
            _("Project issue"),
            head="projects.supervision.issue_head",
            alerts=("project_issue_overdue",),
        ),
    ]
    reminders = "projects.reminders.REMINDERS"
    demo = "projects.demo.seed"
    enum_names = {
        "ProjectStatusEnum": "projects.models.Project.Status",
        "HouseholdStatusEnum": "projects.models.Household.Status",
        "ProjectIssueStatusEnum": "projects.models.ProjectIssue.Status",
    }
