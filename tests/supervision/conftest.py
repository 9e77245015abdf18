"""The supervision tests' own cast and a chat robot on loopback.

Beside the shared cast (tests/conftest.py):
- 周 zhou  a division head (中层正职) of 童宅片区: 李's unit head, the ladder's first rung
- 书 shu   the secretary (书记), a leader: the ladder's last rung (SUPERVISION_SECRETARY_USERNAME)
A case in these tests is opened by 赵 (leader) on a task of 四方社区 and given to 李.

`robot` is a DingTalk-style robot: a real HTTP server on 127.0.0.1 that checks each post's
signature as DingTalk documents it and answers as DingTalk does."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.contrib.auth.models import User

from tests.conftest import Cast, Places, make_user
from tests.factories import TaskFactory
from xicheng.models import Task
from xicheng.roles import Role

SECRET = "SEC0123456789abcdef-test-secret"


class Robot:
    """What the robot received: (query, body) of each post, and whether its signature held."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.posts: list[dict[str, Any]] = []
        self.refused = 0
        handler = self._handler()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/robot/send?access_token=test-token"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def signed_correctly(self, query: dict[str, list[str]]) -> bool:
        """DingTalk's check: the timestamp (ms) within an hour of now, and the sign equal to
        urlEncode(Base64(HmacSHA256(secret, timestamp + "\\n" + secret)))."""
        try:
            timestamp = query["timestamp"][0]
            sign = query["sign"][0]  # parse_qs has URL-decoded it once
        except (KeyError, IndexError):
            return False
        if abs(time.time() * 1000 - int(timestamp)) > 3600 * 1000:
            return False
        digest = hmac.new(self.secret.encode(), f"{timestamp}\n{self.secret}".encode(), hashlib.sha256).digest()
        return hmac.compare_digest(sign, base64.b64encode(digest).decode())

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                parsed = urllib.parse.urlsplit(self.path)
                query = urllib.parse.parse_qs(parsed.query)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if query.get("access_token") == ["test-token"] and robot.signed_correctly(query):
                    robot.posts.append({"query": query, "body": body})
                    answer = {"errcode": 0, "errmsg": "ok"}
                else:
                    robot.refused += 1
                    answer = {"errcode": 310000, "errmsg": "sign not match"}
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def robot() -> Iterator[Robot]:
    server = Robot(SECRET)
    yield server
    server.stop()


class People:
    def __init__(self, places: Places, cast: Cast) -> None:
        self.li, self.wang, self.zhao = cast.li, cast.wang, cast.zhao
        self.zhou = make_user("zhou", Role.CADRE, "周海峰", [places.zone], position="division_head")
        self.shu = make_user("shu", Role.LEADER, "舒书记", [places.xicheng], position="leader")


@pytest.fixture
def people(places: Places, cast: Cast, settings: Any) -> People:
    settings.SUPERVISION_SECRETARY_USERNAME = "shu"
    return People(places, cast)


@pytest.fixture
def task(places: Places, cast: Cast) -> Task:
    task: Task = TaskFactory(
        area=places.sifang,
        lead_leader=cast.zhao,
        responsible=cast.li,
        title="四方社区老旧小区改造",
        due_on=date(2026, 6, 30),
    )
    return task


def fresh(user: User) -> User:
    """The user as a new request would read them (no cached roles)."""
    return User.objects.get(pk=user.pk)
