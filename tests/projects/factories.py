"""Factories for the projects app's rows."""

from __future__ import annotations

from datetime import date

import factory
from factory.django import DjangoModelFactory

from projects.models import Household, InvestmentLead, Milestone, Project, ProjectIssue, Squad


class ProjectFactory(DjangoModelFactory):
    class Meta:
        model = Project

    name = factory.Sequence(lambda n: f"重点项目{n}")
    category = Project.Category.URBAN_RENEWAL
    responsible_unit = "旧改指挥部"
    planned_start = date(2026, 1, 1)
    planned_end = date(2027, 12, 31)
    status = Project.Status.IN_PROGRESS


class MilestoneFactory(DjangoModelFactory):
    class Meta:
        model = Milestone

    order = factory.Sequence(lambda n: n + 1)
    name = factory.Sequence(lambda n: f"阶段{n}")
    planned_start = date(2026, 1, 1)
    planned_end = date(2026, 6, 30)


class SquadFactory(DjangoModelFactory):
    class Meta:
        model = Squad
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"第{n}攻坚小组")

    @factory.post_generation
    def members(self, create: bool, extracted: list[object] | None, **kwargs: object) -> None:
        if create and extracted:
            self.members.set(extracted)


class HouseholdFactory(DjangoModelFactory):
    class Meta:
        model = Household

    address = factory.Sequence(lambda n: f"周塘村{n}号")
    owner_name = "应建华"
    owner_phone = "13812345678"
    floor_area = 120
    created_on = date(2026, 4, 1)

    class Params:
        evaluated = factory.Trait(
            status=Household.Status.EVALUATED, evaluated_on=date(2026, 4, 10), last_step_on=date(2026, 4, 10)
        )


class ProjectIssueFactory(DjangoModelFactory):
    class Meta:
        model = ProjectIssue

    title = factory.Sequence(lambda n: f"问题{n}")
    due_on = date(2026, 12, 31)
    created_on = date(2026, 5, 1)


class InvestmentLeadFactory(DjangoModelFactory):
    class Meta:
        model = InvestmentLead

    company = factory.Sequence(lambda n: f"企业{n}有限公司")
    industry = InvestmentLead.Industry.HARDWARE
    amount = 1000
    talks_on = date(2026, 3, 1)
