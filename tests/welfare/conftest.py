from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User

from tests.conftest import Places, add_area, make_user
from tests.welfare.factories import World
from xicheng.models import Area
from xicheng.roles import Role


@pytest.fixture
def world(places: Places, cast: Any) -> World:
    return World(places)


@pytest.fixture
def dong(places: Places) -> User:
    """董, a cadre of 东城街道's 东方社区: sees nothing of Xicheng's meals."""
    zone = add_area("dongcheng-zone", "东城片区", Area.Level.ZONE, places.dongcheng)
    dongfang = add_area("dongfang", "东方社区", Area.Level.VILLAGE, zone)
    return make_user("dong", Role.CADRE, "董明", [dongfang])
