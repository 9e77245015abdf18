"""A case escalated reaches a REST client's receiver on loopback, signed; a replay of that post with
its stale timestamp is refused by the documented recipe; a receiver that is down is retried and
logged, and never holds back another."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings as django_settings

from tests.conftest import Cast, Places
from tests.factories import TaskFactory
from tests.webhooks.conftest import SECRET, Receiver
from xicheng import events
from xicheng.models import Task
from xicheng.supervision import services as supervision
from xicheng.supervision.models import Case
from xicheng.webhooks import signing
from xicheng.webhooks.delivery import Outcome, deliveries_requeue, delivery_send
from xicheng.webhooks.models import Webhook, WebhookDelivery

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
Committed = Callable[[Callable[[], Any]], Any]


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 3, day, hour, 0, tzinfo=SHANGHAI)


@pytest.fixture
def task(places: Places, cast: Cast) -> Task:
    task: Task = TaskFactory(area=places.sifang, lead_leader=cast.zhao, responsible=cast.li, due_on=date(2026, 6, 30))
    return task


def open_case(task: Task, cast: Cast, due_on: date) -> Case:
    return supervision.case_open(
        kind="xicheng.task",
        object_id=task.pk,
        title="李晓燕负责的老旧小区改造滞后",
        instruction="请李晓燕限期整改，电话13812345678。",
        owner=cast.li,
        due_on=due_on,
        acting_user=cast.zhao,
    )


def test_an_escalated_case_reaches_the_receiver_signed_and_a_stale_replay_is_refused(
    committed: Committed, receiver: Receiver, webhook: Callable[..., Webhook], task: Task, cast: Cast
) -> None:
    hook = webhook(events.CASE_ESCALATED)
    with time_machine.travel(at(2, 9), tick=False) as traveller:
        case = committed(lambda: open_case(task, cast, date(2026, 3, 10)))
        assert receiver.posts == []  # opened: not an event this webhook wants
        traveller.move_to(at(11, 1))  # past the due day: the first rung
        committed(supervision.cases_escalate_due)

        [post] = receiver.posts
        assert post.accepted
        assert post.headers["X-Xicheng-Event"] == "case.escalated"
        assert post.headers["X-Xicheng-Timestamp"] == str(int(at(11, 1).timestamp()))
        body = json.loads(post.body)
        assert body["event"] == "case.escalated" and body["id"] == post.headers["X-Xicheng-Delivery"]
        assert body["at"] == "2026-03-11T01:00:00+08:00"
        assert body["data"] == {
            "kind": "supervision.case",
            "id": case.pk,
            "area": "sifang",
            "state": "opened",
            "escalation": 1,
            "level": "general",
            "due_on": "2026-03-10",
            "record_kind": "xicheng.task",
            "record_id": task.pk,
            "url": f"/api/v1/cases/{case.pk}/",
        }
        # Ids, codes, states: no one's name, phone or words. (The phone whole: a delivery's random
        # id may well hold "138".)
        sent = post.body.decode()
        assert "李晓燕" not in sent and "13812345678" not in sent and "限期整改" not in sent
        delivery = WebhookDelivery.objects.get()
        assert (delivery.webhook, delivery.status, delivery.attempts) == (hook, WebhookDelivery.Status.SENT, 1)
        assert (delivery.last_status_code, str(delivery.event_id)) == (204, body["id"])

        # The same post, replayed once the tolerance has passed: the recipe refuses it, and so the
        # receiver does.
        traveller.shift(timedelta(seconds=signing.TOLERANCE_SECONDS + 1))
        assert not signing.verify(SECRET, post.headers, post.body)
        replay = urllib.request.Request(receiver.url, data=post.body, headers=post.headers, method="POST")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(replay, timeout=5)
        assert refused.value.code == 401
        assert not receiver.posts[-1].accepted
        # Nor can the replayer give it a fresh timestamp: the signature covers it.
        fresh = {**post.headers, "X-Xicheng-Timestamp": str(int(time.time()))}
        assert not signing.verify(SECRET, fresh, post.body)


def test_a_receiver_that_is_down_is_retried_logged_and_holds_back_no_other(
    committed: Committed,
    receiver: Receiver,
    webhook: Callable[..., Webhook],
    task: Task,
    cast: Cast,
    settings: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings.WEBHOOK_ATTEMPTS = 3
    up = webhook(events.CASE_OPENED)
    gone = Receiver(SECRET)
    gone.stop()  # a receiver that is down: nothing listens at its address any more
    down = webhook(events.CASE_OPENED, url=gone.url, name="已停用的平台")
    caplog.set_level("WARNING", logger="xicheng.webhooks.delivery")
    with time_machine.travel(at(2, 9), tick=False):
        case = committed(lambda: open_case(task, cast, date(2026, 3, 10)))

    assert Case.objects.filter(pk=case.pk).exists()  # the leader's write stands
    failed = WebhookDelivery.objects.get(webhook=down)
    assert (failed.status, failed.attempts, failed.last_status_code) == (WebhookDelivery.Status.FAILED, 3, None)
    assert failed.last_error.startswith("not reached") and "hooks/xicheng" not in failed.last_error
    assert failed.next_attempt_at is None
    sent = WebhookDelivery.objects.get(webhook=up)
    assert sent.status == WebhookDelivery.Status.SENT and sent.event_id == failed.event_id
    assert [post.accepted for post in receiver.posts] == [True]
    logged = [r.getMessage() for r in caplog.records]
    assert len(logged) == 3 and "attempt 3 of 3" in logged[-1]


def test_a_failure_waits_twice_as_long_each_time_and_keeps_the_answer(
    receiver: Receiver, webhook: Callable[..., Webhook], settings: Any
) -> None:
    settings.WEBHOOK_ATTEMPTS, settings.WEBHOOK_RETRY_SECONDS = 3, 60
    receiver.answer = 500
    delivery = WebhookDelivery.objects.create(
        webhook=webhook(), event="task.updated", event_id="6f1c7a2e-3b5d-4c8e-9a0b-1d2e3f405162", payload={}
    )
    with time_machine.travel(at(2, 9), tick=False):
        assert delivery_send(delivery.pk) == Outcome.RETRY
        delivery.refresh_from_db()
        assert (delivery.attempts, delivery.last_status_code, delivery.last_error) == (
            1,
            500,
            "HTTP 500 Internal Server Error",
        )
        assert delivery.next_attempt_at == at(2, 9) + timedelta(seconds=60)
        assert delivery_send(delivery.pk) == Outcome.RETRY
        delivery.refresh_from_db()
        assert delivery.next_attempt_at == at(2, 9) + timedelta(seconds=120)
        receiver.answer = None
        assert delivery_send(delivery.pk) == Outcome.SENT
        assert delivery_send(delivery.pk) == Outcome.SKIPPED  # sent once, never twice
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (WebhookDelivery.Status.SENT, 3, 204)
    assert len(receiver.posts) == 3


def test_a_redirect_is_a_failure_the_body_never_follows(
    receiver: Receiver, webhook: Callable[..., Webhook], settings: Any
) -> None:
    settings.WEBHOOK_ATTEMPTS = 1
    receiver.answer = 302
    delivery = WebhookDelivery.objects.create(
        webhook=webhook(), event="task.updated", event_id="6f1c7a2e-3b5d-4c8e-9a0b-1d2e3f405163", payload={}
    )
    assert delivery_send(delivery.pk) == Outcome.FAILED
    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_status_code) == (WebhookDelivery.Status.FAILED, 302)


def test_the_signature_holds_only_for_the_secret_the_body_and_a_recent_timestamp() -> None:
    body = b'{"event":"hazard.rectified"}'
    now = 1_780_000_000
    headers = {"X-Xicheng-Timestamp": str(now), "X-Xicheng-Signature": signing.sign(SECRET, now, body)}
    assert headers["X-Xicheng-Signature"].startswith("sha256=")
    assert signing.verify(SECRET, headers, body, now=now + 299)
    assert signing.verify(SECRET, {k.lower(): v for k, v in headers.items()}, body, now=now)
    assert not signing.verify(SECRET, headers, body, now=now + 301)  # too old
    assert not signing.verify(SECRET, headers, body, now=now - 301)  # from the future
    assert not signing.verify("another-secret-of-16", headers, body, now=now)
    assert not signing.verify(SECRET, headers, body + b" ", now=now)
    assert not signing.verify(SECRET, {**headers, "X-Xicheng-Timestamp": "１７８"}, body, now=now)
    assert not signing.verify(SECRET, {"X-Xicheng-Timestamp": str(now)}, body, now=now)


def test_the_readmes_recipe_verifies_a_real_delivery(
    committed: Committed, receiver: Receiver, webhook: Callable[..., Webhook]
) -> None:
    """The README's recipe is the one a client copies: it must accept what we send."""
    readme = (Path(django_settings.BASE_DIR) / "README.md").read_text()
    section = readme[readme.index("### Webhooks") :]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None
    recipe: dict[str, Any] = {}
    exec(code.group(1), recipe)  # our own README's code
    webhook(events.TASK_UPDATED)
    committed(lambda: events.emit(events.TASK_UPDATED, {"id": 1, "state": "done"}))
    [post] = receiver.posts
    assert recipe["verify"](SECRET, post.headers, post.body)
    assert not recipe["verify"](SECRET, post.headers, post.body + b"x")


def test_a_delivery_the_broker_never_took_is_queued_again_by_the_sweep(
    receiver: Receiver, webhook: Callable[..., Webhook]
) -> None:
    hook = webhook(events.CASE_OPENED)
    now = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)

    def pending(minutes_ago: int) -> WebhookDelivery:
        event_id = f"6f1c2a9e-0000-4000-8000-{minutes_ago:012d}"
        return WebhookDelivery.objects.create(
            webhook=hook,
            event=events.CASE_OPENED,
            event_id=event_id,
            payload={"id": event_id, "event": events.CASE_OPENED, "at": "2026-03-02T08:30:00+08:00", "data": {}},
            created_at=now - timedelta(minutes=minutes_ago),
            next_attempt_at=now - timedelta(minutes=minutes_ago),
        )

    lost, fresh = pending(30), pending(5)  # queued while the broker was down; one just queued
    assert deliveries_requeue(now) == [lost.pk]
    lost.refresh_from_db()
    fresh.refresh_from_db()
    assert (lost.status, fresh.status) == (WebhookDelivery.Status.SENT, WebhookDelivery.Status.PENDING)
    assert [post.accepted for post in receiver.posts] == [True]
    assert deliveries_requeue(now + timedelta(minutes=30)) == [fresh.pk]  # a sent one is never sent again
    assert len(receiver.posts) == 2
