"""Each service tells the webhooks of its event, once, after its write: a household advanced, a
hazard rectified, a task updated, and a target whose light changed (looked at by celery beat)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction

from governance.models import Hazard
from governance.services import hazard_rectify
from projects.services import household_advance
from tests.conftest import Cast, Places, count_queries
from tests.factories import IndicatorFactory, ManualReadingFactory, TargetFactory, TaskFactory
from tests.governance.factories import HazardFactory
from tests.projects.factories import HouseholdFactory, ProjectFactory
from tests.webhooks.conftest import Receiver
from xicheng import events
from xicheng.services import task_add_update, task_edit
from xicheng.webhooks.models import TargetLight, Webhook, WebhookDelivery
from xicheng.webhooks.services import target_lights_check
from xicheng.webhooks.tasks import check_target_lights

pytestmark = pytest.mark.django_db

Committed = Callable[[Callable[[], Any]], Any]


def data_of(receiver: Receiver, event: str) -> dict[str, Any]:
    [post] = receiver.posts
    assert post.accepted and post.headers["X-Xicheng-Event"] == event
    body: dict[str, Any] = json.loads(post.body)
    return body["data"]


def test_a_household_advanced_is_told_without_its_owner(
    committed: Committed, receiver: Receiver, webhook: Callable[..., Webhook], places: Places, cast: Cast
) -> None:
    webhook(events.HOUSEHOLD_ADVANCED)
    project: Any = ProjectFactory(area=places.yuehongwan, lead_leader=cast.zhao)
    household: Any = HouseholdFactory(project=project, area=places.yuehongwan, evaluated=True)
    committed(lambda: household_advance(household=household, on=date(2026, 5, 2), version=1, acting_user=cast.li))
    assert data_of(receiver, "household.advanced") == {
        "kind": "projects.household",
        "id": household.pk,
        "area": "yuehongwan",
        "state": "signed",
        "project": project.pk,
        "on": "2026-05-02",
        "url": f"/api/v1/households/{household.pk}/",
    }
    assert "应建华" not in receiver.posts[0].body.decode()  # the owner's name stays home


def test_a_hazard_rectified_is_told(
    committed: Committed, receiver: Receiver, webhook: Callable[..., Webhook], places: Places, cast: Cast
) -> None:
    webhook(events.HAZARD_RECTIFIED)
    hazard: Any = HazardFactory(area=places.sifang_grid)
    committed(lambda: hazard_rectify(hazard=hazard, rectified_on=date(2026, 3, 12), version=1, acting_user=cast.li))
    data = data_of(receiver, "hazard.rectified")
    assert (data["id"], data["area"], data["state"], data["rectified_on"]) == (
        hazard.pk,
        "sifang-grid-1",
        "rectified",
        "2026-03-12",
    )


def test_a_task_updated_is_told_and_a_write_rolled_back_tells_no_one(
    committed: Committed, receiver: Receiver, webhook: Callable[..., Webhook], places: Places, cast: Cast
) -> None:
    webhook(events.TASK_UPDATED)
    task: Any = TaskFactory(area=places.sifang, lead_leader=cast.zhao, responsible=cast.li)
    update = committed(
        lambda: task_add_update(task=task, note="已完成入户", status="done", version=task.version, acting_user=cast.li)
    )
    data = data_of(receiver, "task.updated")
    assert (data["id"], data["state"], data["update"], data["url"]) == (
        task.pk,
        "done",
        update.pk,
        f"/api/v1/tasks/{task.pk}/",
    )
    assert "已完成入户" not in receiver.posts[0].body.decode()  # the note is free text: not sent

    # Events go out after the commit only: a write rolled back tells no one.
    def rolled_back() -> None:
        with transaction.atomic():
            task_add_update(task=task, note="重新打开", status="in_progress", version=2, acting_user=cast.li)
            transaction.set_rollback(True)

    committed(rolled_back)
    assert len(receiver.posts) == 1 and WebhookDelivery.objects.count() == 1

    # An edit of the task (its due day here) is an update too.
    task.refresh_from_db()
    committed(lambda: task_edit(task=task, acting_user=cast.zhao, version=task.version, due_on=date(2026, 12, 20)))
    assert len(receiver.posts) == 2
    edited = receiver.posts[1]
    assert edited.accepted and edited.headers["X-Xicheng-Event"] == "task.updated"
    assert (json.loads(edited.body)["data"]["id"], json.loads(edited.body)["data"]["state"]) == (task.pk, "done")


def test_a_targets_light_change_is_told_once(
    committed: Committed,
    receiver: Receiver,
    webhook: Callable[..., Webhook],
    places: Places,
    cast: Cast,
) -> None:
    webhook(events.TARGET_LIGHT_CHANGED)
    indicator = IndicatorFactory()
    target: Any = TargetFactory(indicator=indicator, area=places.sifang, value=100)
    TargetFactory(indicator=IndicatorFactory(), area=places.feifeng, value=10)
    with time_machine.travel(datetime(2026, 10, 1, 9, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        # The first look keeps the lights and says nothing: there is nothing they changed from.
        assert committed(check_target_lights) == 0
        assert dict(TargetLight.objects.values_list("target_id", "light"))[target.pk] == "red"
        assert committed(check_target_lights) == 0
        ManualReadingFactory(
            indicator=indicator, area=places.sifang, entered_by=cast.li, on=date(2026, 9, 30), value=100
        )
        TargetFactory(indicator=IndicatorFactory(), area=places.sifang, value=5)  # new: kept, not told
        assert committed(check_target_lights) == 1
        assert committed(check_target_lights) == 0  # told once
    data = data_of(receiver, "target.light_changed")
    assert (data["id"], data["area"], data["state"], data["previous"]) == (target.pk, "sifang", "done", "red")
    assert data["url"] == f"/api/v1/targets/{target.pk}/"


def test_the_look_at_the_lights_costs_the_same_for_few_and_many_targets(places: Places) -> None:
    def look() -> int:
        TargetLight.objects.all().delete()
        return count_queries(target_lights_check)

    with time_machine.travel(datetime(2026, 10, 1, 9, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        indicators = [IndicatorFactory(), IndicatorFactory()]
        for indicator in indicators:
            TargetFactory(indicator=indicator, area=places.sifang)
        few = look()
        for indicator in indicators:
            for area in (places.feifeng, places.zone, places.xicheng, places.sifang_grid, places.feifeng_grid):
                TargetFactory(indicator=indicator, area=area)
        assert look() == few


def test_an_event_nobody_wants_costs_the_writer_no_query(
    places: Places, django_capture_on_commit_callbacks: Any
) -> None:
    hazard = Hazard.objects.get(pk=HazardFactory(area=places.sifang_grid).pk)  # its area not read
    with django_capture_on_commit_callbacks() as callbacks:
        assert (
            count_queries(lambda: events.emit(events.HAZARD_RECTIFIED, events.record_payload(hazard, state="x"))) == 0
        )
    [after_commit] = callbacks
    assert count_queries(after_commit) == 1  # does any webhook want it? No: nothing more.
    assert not WebhookDelivery.objects.exists()
