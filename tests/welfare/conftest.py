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


def assert_form_role_matrix(cast: Any, url: str, expected: dict[str, int], data: dict[str, Any]) -> None:
    """The kernel's role matrix, posting a browser form (the kernel's helper posts JSON)."""
    from django.db import transaction
    from django.test import Client

    from tests.conftest import CAST, login

    assert set(expected) == set(CAST), f"list every role: missing {set(CAST) - set(expected)}"
    got: dict[str, int] = {}
    for role in CAST:
        client = Client()
        user = cast[role]
        if user is not None:
            login(client, user)
        with transaction.atomic():
            got[role] = client.post(url, data).status_code
            transaction.set_rollback(True)
    wrong = {role: (expected[role], got[role]) for role in CAST if expected[role] != got[role]}
    assert not wrong, f"POST {url}: role → (expected, got): {wrong}"
