"""路灯报修: a street lamp reported broken in an area, then repaired; the reporter's name is personal."""

from __future__ import annotations

from django.db import models

from xicheng.history import audited_history
from xicheng.models import Area
from xicheng.people import version_field
from xicheng.personal import Kind, PersonalCharField
from xicheng.scope import ScopedQuerySet, ScopeRule
from xicheng.stages import StagedModel, Stages, Step

LAMP_STAGES = Stages(
    field="status", start="reported", start_date="reported_on", steps=(Step("repaired", "repaired_on"),)
)


class LampRepairQuerySet(ScopedQuerySet):
    scope_rule = ScopeRule(area="area")


class LampRepair(StagedModel, models.Model):
    class Status(models.TextChoices):
        REPORTED = "reported", "Reported"
        REPAIRED = "repaired", "Repaired"

    stages = LAMP_STAGES

    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    address = models.CharField(max_length=200)
    reporter = PersonalCharField(max_length=50, kind=Kind.NAME)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.REPORTED)
    reported_on = models.DateField()
    repaired_on = models.DateField(null=True, blank=True)
    version = version_field()

    history = audited_history()
    objects = LampRepairQuerySet.as_manager()

    class Meta:
        ordering = ["-reported_on", "-pk"]
        constraints = LAMP_STAGES.constraints("lamprepair")

    def __str__(self) -> str:
        return self.address
