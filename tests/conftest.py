"""The cast every test uses, and the helpers later apps reuse (role matrix, query counts).

The cast (a fixed, commented set of people, after healthchecks' BaseTestCase):
- 李 li      a cadre (村社干部) of 四方社区
- 王 wang    a cadre of 飞凤社区
- 赵 zhao    a leader (班子领导) serving the whole of 西城街道
- 管 admin   the data admin: domain data, no accounts
- 系 sysadmin the system admin: accounts, roles and tokens, no domain data
- 审 auditor the auditor: reads the audit trail only
- 接 api     an API client: reads everything, writes nothing
- 无 nobody  signed in but holding no role
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from xicheng.models import Area, Cadre
from xicheng.roles import Role

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_configure(config: Any) -> None:
    from django.conf import settings

    # A million PBKDF2 rounds per test user is time spent proving nothing; production keeps them.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Import and export job files go to a folder of this run, never into the project.
    settings.MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="xicheng-test-media-"))
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        _serve_one_request_at_a_time()


def _serve_one_request_at_a_time() -> None:
    """On SQLite the live server's request threads would share the test's one in-memory
    connection, which sqlite3 does not make safe: two requests at once (a browser's, or the load
    mode's clients) hung a CI run until its time ran out. Its own thread answers them in turn."""
    from django.core.servers.basehttp import WSGIServer
    from django.test.testcases import LiveServerThread

    class OneAtATime(WSGIServer):
        def __init__(self, *args: Any, connections_override: Any = None, **kwargs: Any) -> None:
            # LiveServerThread.run has given its own thread the test's connections already.
            super().__init__(*args, **kwargs)

    LiveServerThread.server_class = OneAtATime


def pytest_unconfigure(config: Any) -> None:
    from django.conf import settings

    if "xicheng-test-media-" in str(settings.MEDIA_ROOT):
        shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)


CAST = ["anonymous", "nobody", "li", "wang", "zhao", "admin", "sysadmin", "auditor", "api"]


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    # Throttling counts live in the cache; every test starts with none.
    cache.clear()
    yield
    cache.clear()


def add_area(code: str, name: str, level: int, parent: Area | None = None) -> Area:
    if parent is None:
        return Area.objects.add_root(create_kwargs={"code": code, "name": name, "level": level})
    parent.refresh_from_db()
    return Area.objects.add_child(parent, create_kwargs={"code": code, "name": name, "level": level})


class Places:
    """永康市 → 西城街道 → 童宅片区 → 四方社区 (悦虹湾小区, 四方第1网格) and 飞凤社区; 东城街道 beside."""

    def __init__(self) -> None:
        L = Area.Level
        self.city = add_area("yongkang", "永康市", L.CITY)
        self.xicheng = add_area("xicheng", "西城街道", L.SUBDISTRICT, self.city)
        self.zone = add_area("tongzhai-zone", "童宅片区", L.ZONE, self.xicheng)
        self.sifang = add_area("sifang", "四方社区", L.VILLAGE, self.zone)
        self.yuehongwan = add_area("yuehongwan", "悦虹湾小区", L.HAMLET, self.sifang)
        self.sifang_grid = add_area("sifang-grid-1", "四方社区第1网格", L.GRID, self.sifang)
        self.feifeng = add_area("feifeng", "飞凤社区", L.VILLAGE, self.zone)
        self.feifeng_grid = add_area("feifeng-grid-1", "飞凤社区第1网格", L.GRID, self.feifeng)
        self.dongcheng = add_area("dongcheng", "东城街道", L.SUBDISTRICT, self.city)
        for area in vars(self).values():
            area.refresh_from_db()


@pytest.fixture
def places(db: Any) -> Places:
    return Places()


def make_user(username: str, role: str | None, name: str, areas: list[Area], position: str = "village_cadre") -> User:
    user = User.objects.create_user(username=username, password="secret-pass-123")
    if role:
        user.groups.add(Group.objects.get(name=role))
    if role in (Role.DATA_ADMIN, Role.SYSTEM_ADMIN, Role.AUDITOR):
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    cadre = Cadre.objects.create(user=user, name=name, position=position, phone="13812345678")
    cadre.areas.set(areas)
    return User.objects.get(pk=user.pk)  # fresh: no cached roles or permissions


class Cast:
    def __init__(self, places: Places) -> None:
        self.li = make_user("li", Role.CADRE, "李晓燕", [places.sifang])
        self.wang = make_user("wang", Role.CADRE, "王志强", [places.feifeng])
        self.zhao = make_user("zhao", Role.LEADER, "赵建国", [places.xicheng], position="leader")
        self.admin = make_user("admin", Role.DATA_ADMIN, "管理员", [places.xicheng], position="staff")
        self.sysadmin = make_user("sysadmin", Role.SYSTEM_ADMIN, "系统管理员", [], position="staff")
        self.auditor = make_user("auditor", Role.AUDITOR, "审计员", [], position="staff")
        self.api = make_user("api", Role.API_CLIENT, "接口", [], position="staff")
        self.nobody = make_user("nobody", None, "无角色", [places.sifang])

    def __getitem__(self, name: str) -> User | None:
        return None if name == "anonymous" else getattr(self, name)


@pytest.fixture
def cast(places: Places) -> Cast:
    return Cast(places)


@pytest.fixture
def li(cast: Cast) -> User:
    return cast.li


@pytest.fixture
def wang(cast: Cast) -> User:
    return cast.wang


@pytest.fixture
def zhao(cast: Cast) -> User:
    return cast.zhao


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


def login(client: Any, user: User) -> None:
    """Sign `user` in on a test client as the real flow would leave them: the session started and,
    for an administrator (who must have a second factor), a TOTP device verified in the session.
    Everyone else is signed in as they are (with or without a device of their own)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from xicheng.roles import ADMINISTRATORS, roles_of
    from xicheng.security import HAS_DEVICE

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None and roles_of(User.objects.get(pk=user.pk)) & ADMINISTRATORS:
        device = TOTPDevice.objects.create(user=user, name="TOTP", confirmed=True)
    client.force_login(user)
    if device is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session[HAS_DEVICE] = True
        session.save()


def assert_role_matrix(
    cast: Cast,
    method: str,
    url: str,
    expected: dict[str, int],
    data: dict[str, Any] | None = None,
    api: bool = False,
) -> None:
    """One endpoint, every member of the cast, one list of expected status codes.

    Each request runs in a savepoint that is rolled back, so a write by one role does not change
    what the next one meets. Every member of CAST must be listed, so a new role cannot be
    forgotten."""
    assert set(expected) == set(CAST), f"list every role: missing {set(CAST) - set(expected)}"
    got: dict[str, int] = {}
    for role in CAST:
        client = APIClient() if api else APIClient(enforce_csrf_checks=False)
        user = cast[role]
        if user is not None:
            login(client, user)
        with transaction.atomic():
            kwargs: dict[str, Any] = {"format": "json"} if api else {}
            response = getattr(client, method.lower())(url, data or {}, **kwargs)
            got[role] = response.status_code
            transaction.set_rollback(True)
    wrong = {role: (expected[role], got[role]) for role in CAST if expected[role] != got[role]}
    assert not wrong, f"{method} {url}: role → (expected, got): {wrong}"


def assert_named_error(response: Any, field: str) -> None:
    """A refused one-form page (xicheng.forms.form_page) answers 400 with the error beside the
    field, naming it ("Date: …")."""
    assert response.status_code == 400
    form = response.context["form"]
    assert field in form.errors
    assert f"{form.fields[field].label}: " in response.content.decode()


def count_queries(fn: Callable[[], Any]) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


# The machine's Redis, on a database of its own so that a test never touches another's keys.
REDIS_TEST_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_url() -> str:
    """The real Redis for the tests that need one (marked `redis`): skipped when it does not
    answer, unless REQUIRE_REDIS=1 (as .ci/run sets), where that fails the test instead."""
    import redis

    try:
        redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        if os.environ.get("REQUIRE_REDIS") == "1":
            pytest.fail(f"REQUIRE_REDIS=1 but Redis at {REDIS_TEST_URL} does not answer: {error}")
        pytest.skip(f"Redis at {REDIS_TEST_URL} does not answer")
    return REDIS_TEST_URL


def pytest_report_header(config: Any) -> str:
    from django.conf import settings

    return f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}"


@pytest.fixture
def decrypted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every personal value decrypted from here on, in order: what a page read of personal data."""
    from xicheng import personal

    found: list[str] = []
    decrypt = personal.decrypt

    def counting(token: str, key: str | None = None) -> str:
        found.append(decrypt(token, key))
        return found[-1]

    monkeypatch.setattr(personal, "decrypt", counting)
    return found
