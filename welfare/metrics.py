"""What the livelihood domain counts, declared for the kernel's metric registry."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from welfare.models import Elder, MealDelivery, MealReceipt, SafetyCheck, meal_on_time
from xicheng.metrics import Listing, Metric

# Handed to the kernel through the app's DomainConfig.
METRICS: list[Metric] = []

METRICS.append(
    Metric(
        key="welfare.villages_served",
        label=_("Villages served with meals"),
        unit=_("villages"),
        model=MealDelivery,
        date_field="day",
        area="village",
        how="distinct",
        field="village",
        # The villages, not the deliveries: each centre's villages with a delivery in the period.
        listing=Listing(
            "welfare:served_village_list", "servedvillage-list", dates=("delivered_after", "delivered_before")
        ),
    )
)
METRICS.append(
    Metric(
        key="welfare.elders_enrolled",
        label=_("Elders enrolled for meals"),
        unit=_("people"),
        model=Elder,
        date_field="enrolled_on",
        area="village",
        # Enrolled in the period and not gone by the as-of day.
        state=lambda as_of: Q(left_on__isnull=True) | Q(left_on__gt=as_of),
        listing=Listing(
            "welfare:elder_list", "elder-list", dates=("enrolled_on_after", "enrolled_on_before"), as_of="staying_on"
        ),
    )
)
METRICS.append(
    Metric(
        key="welfare.meals_delivered",
        label=_("Meals delivered"),
        unit=_("meals"),
        model=MealReceipt,
        date_field="delivery__day",
        area="delivery__village",
        filter=Q(outcome=MealReceipt.Outcome.DELIVERED),
        listing=Listing(
            "welfare:receipt_list",
            "mealreceipt-list",
            dates=("day_from", "day_to"),
            params=(("outcome", MealReceipt.Outcome.DELIVERED.value),),
        ),
    )
)
METRICS.append(
    Metric(
        key="welfare.delivery_days",
        label=_("Days with a delivery"),
        unit=_("days"),
        model=MealDelivery,
        date_field="day",
        # By the centre's area: added up the tree, each centre's days count once.
        area="center__area",
        how="distinct",
        field="day",
        # The days, not the deliveries: one delivery for each centre's area and day.
        listing=Listing(
            "welfare:delivery_list",
            "mealdelivery-list",
            area="center_area",
            dates=("day_from", "day_to"),
            params=(("first_of_day", "true"),),
        ),
    )
)
METRICS.append(
    Metric(
        key="welfare.on_time_deliveries",
        label=_("Deliveries on time"),
        unit=_("deliveries"),
        model=MealDelivery,
        date_field="day",
        area="village",
        filter=Q(delivered_at__lte=meal_on_time()),
        listing=Listing(
            "welfare:delivery_list", "mealdelivery-list", dates=("day_from", "day_to"), params=(("late", "false"),)
        ),
    )
)
METRICS.append(
    Metric(
        key="welfare.safety_checks_raised",
        label=_("Safety checks raised"),
        unit=_("checks"),
        model=SafetyCheck,
        date_field="day",
        area="elder__village",
        listing=Listing("welfare:safety_check_list", "safetycheck-list", dates=("day_from", "day_to")),
    )
)
METRICS.append(
    Metric(
        key="welfare.safety_checks_resolved",
        label=_("Safety checks resolved"),
        unit=_("checks"),
        model=SafetyCheck,
        date_field="resolved_at__date",
        area="elder__village",
        filter=Q(resolved_at__isnull=False),
        listing=Listing(
            "welfare:safety_check_list",
            "safetycheck-list",
            dates=("resolved_after", "resolved_before"),
            params=(("open", "false"),),
        ),
    )
)
