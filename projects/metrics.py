"""What the projects app counts, for targets and the dashboard."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from projects.models import Household, InvestmentLead, Milestone, ProjectIssue
from xicheng.metrics import Metric

# Handed to the kernel through the app's DomainConfig.
METRICS: list[Metric] = []

for _status, _date_field, _label in (
    ("evaluated", "evaluated_on", _("Households evaluated")),
    ("signed", "signed_on", _("Households signed")),
    ("vacated", "vacated_on", _("Households vacated")),
    ("demolished", "demolished_on", _("Households demolished")),
):
    METRICS.append(
        Metric(
            key=f"projects.households_{_status}",
            label=_label,
            unit=_("households"),
            model=Household,
            date_field=_date_field,
            area="area",
            list_url="projects:household_list",
        )
    )

METRICS.append(
    Metric(
        key="projects.milestones_completed",
        label=_("Project stages completed"),
        unit=_("stages"),
        model=Milestone,
        date_field="actual_end",
        area="project__area",
        list_url="projects:project_list",
    )
)
METRICS.append(
    Metric(
        key="projects.milestones_overdue",
        label=_("Project stages overdue"),
        unit=_("stages"),
        model=Milestone,
        date_field="planned_end",
        area="project__area",
        state=Milestone.overdue_q,
        lower_is_better=True,
        list_url="projects:project_list",
    )
)
METRICS.append(
    Metric(
        key="projects.issues_resolved",
        label=_("Project issues resolved"),
        unit=_("issues"),
        model=ProjectIssue,
        date_field="resolved_on",
        area="project__area",
        filter=Q(status=ProjectIssue.Status.RESOLVED),
        list_url="projects:issue_list",
    )
)
METRICS.append(
    Metric(
        key="projects.leads_landed",
        label=_("Investment leads landed"),
        unit=_("companies"),
        model=InvestmentLead,
        date_field="landed_on",
        area="area",
        list_url="projects:lead_list",
    )
)
METRICS.append(
    Metric(
        key="projects.leads_landed_amount",
        label=_("Investment landed"),
        unit=_("10k yuan"),
        model=InvestmentLead,
        date_field="landed_on",
        area="area",
        how="sum",
        field="amount",
        list_url="projects:lead_list",
    )
)
