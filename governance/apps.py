from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from xicheng import plugins


class GovernanceConfig(plugins.DomainConfig):
    """Everything governance hands the kernel (see xicheng.plugins)."""

    name = "governance"
    verbose_name = _("Governance")
    # Models cadres and leaders write in the field; the kernel's roles grant add/change on them.
    field_models = ["rentalhouse", "inspection", "migrant", "hazard", "dispute", "zeroreport"]
    urls = "governance.urls"
    api = "governance.api"
    metrics = "governance.metrics.METRICS"
    panels = "governance.dashboard.PANELS"
    sections = "governance.dashboard.SECTIONS"
    alerts = "governance.dashboard.ALERTS"
    nav = "governance.dashboard.NAV"
    # Records a leader opens a supervision case (督办) on, from their red items on the dashboard.
    supervisable = [
        plugins.Supervisable("governance.hazard", "governance.Hazard", _("Hazard"), alerts=("hazard_overdue",)),
        plugins.Supervisable("governance.dispute", "governance.Dispute", _("Dispute"), alerts=("dispute_long_open",)),
    ]
    reminders = "governance.reminders.REMINDERS"
    demo = "governance.demo.seed"
    demo_indicators = "governance.demo.INDICATORS"
    enum_names = {"DisputeStatusEnum": "governance.models.Dispute.Status"}
