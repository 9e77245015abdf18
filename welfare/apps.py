from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from xicheng import plugins


class WelfareConfig(plugins.DomainConfig):
    """Everything welfare hands the kernel (see xicheng.plugins)."""

    name = "welfare"
    verbose_name = _("Livelihood")
    # Models cadres and leaders write in the field; the kernel's roles grant add/change on them.
    field_models = ["elder", "mealdelivery", "mealreceipt", "safetycheck"]
    urls = "welfare.urls"
    api = "welfare.api"
    metrics = "welfare.metrics.METRICS"
    panels = "welfare.dashboard.PANELS"
    sections = "welfare.dashboard.SECTIONS"
    alerts = "welfare.dashboard.ALERTS"
    nav = "welfare.dashboard.NAV"
    # Records a leader opens a supervision case (督办) on, from their red items on the dashboard.
    supervisable = [
        plugins.Supervisable(
            "welfare.safety_check", "welfare.SafetyCheck", _("Safety check"), alerts=("safety_check",)
        ),
    ]
    reminders = "welfare.reminders.REMINDERS"
    demo = "welfare.demo.seed"
    demo_indicators = "welfare.demo.INDICATORS"
    schedule = "welfare.tasks.SCHEDULE"
