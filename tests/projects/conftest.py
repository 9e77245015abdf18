"""The projects cast: a project in 悦虹湾小区 (四方社区), with a 1+1+N squad whose member is 王 —
a cadre of 飞凤社区 who reaches these households only through the squad.

- 赵 zhao   leads the squad (and serves the whole subdistrict)
- 组 head   the group head, a cadre of 飞凤社区
- 王 wang   the squad's member
- 李 li     a cadre of 四方社区: the households are in her area
- 钱 qian   a leader serving 东城街道: reads everything, may change none of it
- 周 zhou   a cadre of 东城街道: sees none of it
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import User

from projects.models import Household, Project, Squad
from tests.conftest import Cast, Places, make_user
from tests.projects.factories import HouseholdFactory, ProjectFactory, SquadFactory
from xicheng.roles import Role


@dataclass
class Site:
    project: Project
    squad: Squad
    head: User
    qian: User
    zhou: User
    household: Household  # 已评估, in the squad


@pytest.fixture
def site(cast: Cast, places: Places) -> Site:
    head = make_user("head", Role.CADRE, "沈海燕", [places.feifeng], position="division_head")
    qian = make_user("qian", Role.LEADER, "钱立新", [places.dongcheng], position="leader")
    zhou = make_user("zhou", Role.CADRE, "周明", [places.dongcheng])
    project: Any = ProjectFactory(name="周塘区块旧城区改建", area=places.yuehongwan, lead_leader=cast.zhao)
    squad: Any = SquadFactory(project=project, name="第一攻坚小组", leader=cast.zhao, head=head, members=[cast.wang])
    household: Any = HouseholdFactory(project=project, squad=squad, area=places.yuehongwan, evaluated=True)
    return Site(project=project, squad=squad, head=head, qian=qian, zhou=zhou, household=household)
