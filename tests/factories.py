"""Factories for kernel rows; later apps add their own beside their tests."""

from __future__ import annotations

from datetime import date

import factory
from factory.django import DjangoModelFactory

from xicheng.models import Indicator, ManualReading, Target, Task, WorkLine


class WorkLineFactory(DjangoModelFactory):
    class Meta:
        model = WorkLine
        django_get_or_create = ["name"]

    name = "保民生"
    order = 3


class TaskFactory(DjangoModelFactory):
    class Meta:
        model = Task

    title = factory.Sequence(lambda n: f"重点工作{n}")
    work_line = factory.SubFactory(WorkLineFactory)
    due_on = date(2026, 12, 31)
    status = Task.Status.IN_PROGRESS


class IndicatorFactory(DjangoModelFactory):
    class Meta:
        model = Indicator

    code = factory.Sequence(lambda n: f"indicator-{n}")
    name = factory.Sequence(lambda n: f"指标{n}")
    unit = "家"
    work_line = factory.SubFactory(WorkLineFactory)
    source = Indicator.Source.MANUAL


class TargetFactory(DjangoModelFactory):
    class Meta:
        model = Target

    indicator = factory.SubFactory(IndicatorFactory)
    period_start = date(2026, 7, 1)
    period_end = date(2026, 12, 31)
    value = 100


class ManualReadingFactory(DjangoModelFactory):
    class Meta:
        model = ManualReading

    on = date(2026, 7, 15)
    value = 10
