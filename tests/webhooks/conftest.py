"""The webhook tests' receiver and helpers.

`receiver` is a REST client's endpoint: a real HTTP server on 127.0.0.1 that checks each post with
the documented recipe (`xicheng.webhooks.signing.verify`) and answers 204 when it holds, 401 when
it does not (or `answer`, to play a receiver that fails). Every post is kept, signed or not, so a
test can replay one later."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.conftest import Cast
from xicheng.events import Event
from xicheng.webhooks import services
from xicheng.webhooks.models import Webhook
from xicheng.webhooks.signing import verify

SECRET = "whsec-0123456789abcdef-test"


@dataclass
class Post:
    headers: dict[str, str]
    body: bytes
    accepted: bool


@dataclass
class Receiver:
    secret: str
    posts: list[Post] = field(default_factory=list)
    answer: int | None = None  # None: 204 if signed correctly, else 401

    def __post_init__(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/xicheng"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def accepted(self) -> list[Post]:
        return [post for post in self.posts if post.accepted]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = dict(self.headers.items())
                accepted = verify(receiver.secret, headers, body)
                receiver.posts.append(Post(headers, body, accepted))
                self.send_response(receiver.answer or (204 if accepted else 401))
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver(SECRET)
    yield server
    server.stop()


@pytest.fixture
def webhook(receiver: Receiver, cast: Cast) -> Callable[..., Webhook]:
    """A webhook to the receiver for the events named (all of them by default), registered by 系."""

    def make(*events: str, url: str | None = None, name: str = "市级数据平台") -> Webhook:
        return services.webhook_create(
            name=name,
            url=url or receiver.url,
            secret=SECRET,
            events=list(events or Event.values),
            acting_user=cast.sysadmin,
        )

    return make


@pytest.fixture
def committed(django_capture_on_commit_callbacks: Any) -> Callable[[Callable[[], Any]], Any]:
    """Run a write as a request would: its transaction commits, so the events emitted after the
    commit are delivered (eagerly, as in development)."""

    def run(write: Callable[[], Any]) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return write()

    return run
