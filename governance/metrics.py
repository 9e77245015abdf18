"""What governance counts for the kernel's targets and dashboard."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from governance.models import Dispute, Hazard, Inspection, Migrant, hazard_overdue_q
from xicheng.metrics import Listing, Metric

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
        # The houses, not the visits: those with an inspection in the period.
        listing=Listing("governance:house_list", "rentalhouse-list", dates=("inspected_after", "inspected_before")),
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
        listing=Listing("governance:inspection_list", "inspection-list", dates=("date_after", "date_before")),
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
        listing=Listing("governance:migrant_list", "migrant-list", dates=("registered_after", "registered_before")),
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
        listing=Listing("governance:hazard_list", "hazard-list", dates=("found_after", "found_before")),
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
        listing=Listing("governance:hazard_list", "hazard-list", dates=("rectified_after", "rectified_before")),
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
        listing=Listing(
            "governance:hazard_list",
            "hazard-list",
            dates=("rectified_after", "rectified_before"),
            params=(("category", Hazard.Category.FIRE.value),),
        ),
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
        listing=Listing(
            "governance:hazard_list", "hazard-list", dates=("deadline_after", "deadline_before"), as_of="overdue_on"
        ),
    )
)
METRICS.append(
    Dispute.stages.step_metric(
        "received",
        key="governance.disputes_received",
        label=_("Disputes received"),
        unit=_("disputes"),
        area="area",
        listing=Listing("governance:dispute_list", "dispute-list", dates=("received_after", "received_before")),
    )
)
METRICS.append(
    Dispute.stages.step_metric(
        "resolved",
        key="governance.disputes_resolved",
        label=_("Disputes resolved"),
        unit=_("disputes"),
        area="area",
        filter=Q(status=Dispute.Status.RESOLVED),
        listing=Listing(
            "governance:dispute_list",
            "dispute-list",
            dates=("resolved_after", "resolved_before"),
            params=(("status", Dispute.Status.RESOLVED.value),),
        ),
    )
)
