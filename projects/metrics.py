"""What the projects app counts, for targets and the dashboard."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from projects.models import Household, InvestmentLead, Milestone, ProjectIssue
from xicheng.metrics import Listing, Metric

# Handed to the kernel through the app's DomainConfig.
METRICS: list[Metric] = []

METRICS.extend(
    Household.stages.step_metrics(
        "projects.households",
        {
            "evaluated": _("Households evaluated"),
            "signed": _("Households signed"),
            "vacated": _("Households vacated"),
            "demolished": _("Households demolished"),
        },
        unit=_("households"),
        area="area",
        # Each step's list: the households that took it in the period (`<step>_after`, `<step>_before`).
        listing=Listing("projects:household_list", "household-list"),
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
        listing=Listing("projects:milestone_list", "milestone-list", dates=("completed_after", "completed_before")),
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
        listing=Listing(
            "projects:milestone_list",
            "milestone-list",
            dates=("planned_end_after", "planned_end_before"),
            as_of="overdue_on",
        ),
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
        listing=Listing(
            "projects:issue_list",
            "projectissue-list",
            dates=("resolved_after", "resolved_before"),
            params=(("status", ProjectIssue.Status.RESOLVED.value),),
        ),
    )
)
LANDED = Listing("projects:lead_list", "investmentlead-list", dates=("landed_after", "landed_before"))
METRICS.append(
    InvestmentLead.stages.step_metric(
        "landed",
        key="projects.leads_landed",
        label=_("Investment leads landed"),
        unit=_("companies"),
        area="area",
        listing=LANDED,
    )
)
METRICS.append(
    InvestmentLead.stages.step_metric(
        "landed",
        key="projects.leads_landed_amount",
        label=_("Investment landed"),
        unit=_("10k yuan"),
        area="area",
        how="sum",
        field="amount",
        listing=LANDED,
    )
)
