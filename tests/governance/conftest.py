from __future__ import annotations

from typing import Any

import pytest

from governance.models import RentalHouse
from tests.conftest import Places
from tests.governance.factories import RentalHouseFactory


@pytest.fixture
def sifang_house(places: Places) -> RentalHouse:
    house: Any = RentalHouseFactory(area=places.sifang_grid, address="四方路1号")
    return house


@pytest.fixture
def feifeng_house(places: Places) -> RentalHouse:
    house: Any = RentalHouseFactory(area=places.feifeng_grid, address="飞凤路1号")
    return house
