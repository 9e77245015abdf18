"""Two couriers' reports for the same centre and day, at the same moment: the capacity holds."""

from __future__ import annotations

import threading
import time as clock
from datetime import time
from typing import Any

import pytest
from django.db import connection, connections

from tests.conftest import Cast, Places
from tests.welfare.factories import DAY, World
from welfare import services
from welfare.models import MealReceipt

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


def test_two_simultaneous_deliveries_cannot_overrun_the_capacity(cast: Cast, places: Places, monkeypatch: Any) -> None:
    world = World(places)
    world.center.daily_capacity = 4  # room for 四方社区's 3 meals or 飞凤社区's 2, not both
    world.center.save(update_fields=["daily_capacity"])
    write = services._write_day

    def slow_write(*args: Any, **kwargs: Any) -> Any:
        clock.sleep(0.5)  # the first writer holds the centre's lock a while
        return write(*args, **kwargs)

    monkeypatch.setattr(services, "_write_day", slow_write)
    outcomes: dict[str, str] = {}

    def deliver(village: Any, elders: list[Any]) -> None:
        try:
            services.meal_delivery_create(
                center=world.center,
                village=village,
                day=DAY,
                delivered_at=time(10, 30),
                courier="胡师傅",
                outcomes={e.pk: "delivered" for e in elders},
                acting_user=cast.li,
            )
            outcomes[village.name] = "saved"
        except services.ValidationError:
            outcomes[village.name] = "refused"
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=deliver, args=(world.sifang, world.sifang_elders)),
        threading.Thread(target=deliver, args=(world.feifeng, world.feifeng_elders)),
    ]
    for t in threads:
        t.start()
        clock.sleep(0.1)
    for t in threads:
        t.join()
    assert sorted(outcomes.values()) == ["refused", "saved"]
    assert MealReceipt.objects.count() <= 4
