"""Where a request comes from: REMOTE_ADDR, unless it came through a proxy the settings trust."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, RequestFactory

from tests.conftest import Cast, Places, login
from tests.factories import TaskFactory
from xicheng.history import client_ip
from xicheng.models import AuditEvent

pytestmark = pytest.mark.django_db


def _request(remote: str, forwarded: str | None = None) -> Any:
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def _note(client: Client, task: Any, **extra: str) -> Any:
    task.refresh_from_db()
    data = {"note": "推进", "status": "blocked", "version": task.version}
    return client.post(f"/tasks/{task.pk}/updates/", data, **extra)  # type: ignore[arg-type]


def test_a_spoofed_forwarded_for_is_not_recorded_when_no_proxy_is_trusted(
    client: Client, cast: Cast, places: Places
) -> None:
    task = TaskFactory(area=places.sifang, lead_leader=cast.zhao, responsible=cast.li)
    login(client, cast.li)
    _note(client, task, REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR="8.8.8.8")
    assert task.history.latest().history_ip_address == "10.1.2.3"


def test_a_forwarded_for_that_is_not_an_address_is_no_500_on_an_audited_write(
    client: Client, cast: Cast, places: Places, settings: Any
) -> None:
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    task = TaskFactory(area=places.sifang, lead_leader=cast.zhao, responsible=cast.li)
    login(client, cast.li)
    for garbage in ("garbage", "gar:bage", "1.2.3.4, <script>", ",,,"):
        response = _note(client, task, REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR=garbage)
        assert response.status_code == 302, garbage
        # The header is ignored: the proxy's own address is all that is known.
        assert task.history.latest().history_ip_address == "10.1.2.3"


def test_garbage_without_a_trusted_proxy_is_no_500_either(client: Client, cast: Cast, places: Places) -> None:
    task = TaskFactory(area=places.sifang, lead_leader=cast.zhao, responsible=cast.li)
    login(client, cast.li)
    response = _note(client, task, REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR="garbage")
    assert response.status_code == 302
    assert task.history.latest().history_ip_address == "10.1.2.3"


def test_behind_a_trusted_proxy_the_client_s_address_is_recorded(
    client: Client, cast: Cast, places: Places, settings: Any
) -> None:
    settings.TRUSTED_PROXIES = ["10.0.0.5"]
    task = TaskFactory(area=places.sifang, lead_leader=cast.zhao, responsible=cast.li)
    login(client, cast.li)
    # The client sent a made-up hop; the proxy appended the address it really saw.
    _note(client, task, REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="1.1.1.1, 192.168.7.20")
    assert task.history.latest().history_ip_address == "192.168.7.20"


def test_an_export_names_the_client_behind_the_proxy_in_the_audit_trail(
    client: Client, cast: Cast, settings: Any
) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    login(client, cast.zhao)
    client.get("/dashboard/export.xlsx", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="172.16.3.4")
    assert AuditEvent.objects.get(action=AuditEvent.Action.EXPORT).ip_address == "172.16.3.4"


@pytest.mark.parametrize(
    ("remote", "forwarded", "trusted", "count", "expected"),
    [
        ("10.0.0.5", "", [], 0, "10.0.0.5"),
        ("10.0.0.5", "203.0.113.9", [], 0, "10.0.0.5"),  # no proxy trusted: the header proves nothing
        ("10.0.0.5", "203.0.113.9", ["10.0.0.0/24"], 0, "203.0.113.9"),
        ("198.51.100.7", "203.0.113.9", ["10.0.0.0/24"], 0, "198.51.100.7"),  # not through our proxy
        # Two proxies in a row, both trusted: the first untrusted hop from the right is the client.
        ("10.0.0.5", "6.6.6.6, 203.0.113.9, 10.0.0.6", ["10.0.0.0/24"], 0, "203.0.113.9"),
        ("10.0.0.5", "6.6.6.6, 203.0.113.9", [], 1, "203.0.113.9"),
        ("10.0.0.5", "6.6.6.6, 203.0.113.9, 10.0.0.6", [], 2, "203.0.113.9"),
        ("10.0.0.5", "203.0.113.9", [], 2, "10.0.0.5"),  # fewer hops than proxies: the header is short
        ("10.0.0.5", "garbage", ["10.0.0.0/24"], 0, "10.0.0.5"),
        ("10.0.0.5", "2001:db8::1", ["10.0.0.0/24"], 0, "2001:db8::1"),
        ("not-an-address", "", [], 0, None),
    ],
)
def test_client_ip_reads_the_forwarded_hops_from_the_right(
    settings: Any, remote: str, forwarded: str, trusted: list[str], count: int, expected: str | None
) -> None:
    settings.TRUSTED_PROXIES = trusted
    settings.TRUSTED_PROXY_COUNT = count
    assert client_ip(_request(remote, forwarded)) == expected


def test_a_bad_trusted_proxy_setting_stops_the_start() -> None:
    import subprocess
    import sys

    from tests.xicheng.test_settings import ROOT

    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "DEBUG": "true", "TRUSTED_PROXIES": "10.0.0.1,proxy.local"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "TRUSTED_PROXIES must list IP addresses or networks, not 'proxy.local'" in result.stderr
