"""What governance counts for the kernel's targets and dashboard."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from governance.models import Dispute, Hazard, Inspection, Migrant, hazard_overdue_q
from xicheng.metrics import Metric

# Handed to the kernel through the app's DomainConfig.
METRICS: list[Metric] = []

METRICS.append(
    Metric(
        key="governance.rental_houses_inspected",
        label=_("Rental houses inspected"),
        unit=_("houses"),
        model=Inspection,
        date_field="inspected_on",
        area="house__area",
        how="distinct",
        field="house",
        list_url="governance:inspection_list",
    )
)
METRICS.append(
    Metric(
        key="governance.inspections",
        label=_("Inspections"),
        unit=_("visits"),
        model=Inspection,
        date_field="inspected_on",
        area="house__area",
        list_url="governance:inspection_list",
    )
)
METRICS.append(
    Metric(
        key="governance.migrants_registered",
        label=_("Migrants registered"),
        unit=_("people"),
        model=Migrant,
        date_field="registered_on",
        area="house__area",
        list_url="governance:migrant_list",
    )
)
METRICS.append(
    Metric(
        key="governance.hazards_found",
        label=_("Hazards found"),
        unit=_("hazards"),
        model=Hazard,
        date_field="found_on",
        area="area",
        list_url="governance:hazard_list",
    )
)
METRICS.append(
    Metric(
        key="governance.hazards_rectified",
        label=_("Hazards rectified"),
        unit=_("hazards"),
        model=Hazard,
        date_field="rectified_on",
        area="area",
        list_url="governance:hazard_list",
    )
)
METRICS.append(
    Metric(
        key="governance.fire_hazards_rectified",
        label=_("Fire hazards rectified"),
        unit=_("hazards"),
        model=Hazard,
        date_field="rectified_on",
        area="area",
        filter=Q(category=Hazard.Category.FIRE),
        list_url="governance:hazard_list",
    )
)
METRICS.append(
    Metric(
        key="governance.hazards_overdue",
        label=_("Hazards overdue"),
        unit=_("hazards"),
        model=Hazard,
        # A hazard is overdue from its deadline on, until it is rectified.
        date_field="deadline",
        area="area",
        state=hazard_overdue_q,
        lower_is_better=True,
        list_url="governance:hazard_list",
    )
)
METRICS.append(
    Metric(
        key="governance.disputes_received",
        label=_("Disputes received"),
        unit=_("disputes"),
        model=Dispute,
        date_field="received_on",
        area="area",
        list_url="governance:dispute_list",
    )
)
METRICS.append(
    Metric(
        key="governance.disputes_resolved",
        label=_("Disputes resolved"),
        unit=_("disputes"),
        model=Dispute,
        date_field="resolved_on",
        area="area",
        filter=Q(status=Dispute.Status.RESOLVED),
        list_url="governance:dispute_list",
    )
)
