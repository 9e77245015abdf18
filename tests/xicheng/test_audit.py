"""The audit trail: sign-ins and every change to accounts, roles and permissions are recorded
whatever path they take; the auditor's page finds them and shows each change as before → after;
nothing in the trail can be edited or deleted through a page; retention keeps at least 180 days."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import timedelta
from typing import Any

import pytest
from axes.models import AccessFailureLog
from django.contrib.auth.models import Group, Permission, User
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from tests.conftest import Cast, Places, count_queries, login
from tests.factories import TaskFactory, WorkLineFactory
from tests.governance.factories import RentalHouseFactory
from xicheng.audit import audit_purge
from xicheng.models import AuditEvent
from xicheng.services import audit_log

pytestmark = pytest.mark.django_db

A = AuditEvent.Action


def _events(action: str, **filters: Any) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, **filters).order_by("at", "pk"))


# What is recorded ------------------------------------------------------------------------------


def test_sign_ins_sign_outs_and_failed_sign_ins_are_recorded_with_where_from(client: Client, cast: Cast) -> None:
    client.post("/accounts/login/", {"username": "li", "password": "wrong"}, REMOTE_ADDR="10.4.4.4")
    client.post("/accounts/login/", {"username": "li", "password": "secret-pass-123"}, REMOTE_ADDR="10.4.4.4")
    client.post("/accounts/logout/", REMOTE_ADDR="10.4.4.4")
    failed, login_, logout = _events(A.LOGIN_FAILED)[0], _events(A.LOGIN)[0], _events(A.LOGOUT)[0]
    assert (failed.user, failed.target_user, failed.subject, failed.ip_address) == (None, cast.li, "li", "10.4.4.4")
    assert (login_.user, login_.ip_address, login_.source) == (cast.li, "10.4.4.4", "web")
    assert logout.user == cast.li
    assert "wrong" not in str(failed.changes) + failed.subject  # never the password typed


def test_a_lock_out_is_recorded(client: Client, cast: Cast) -> None:
    for _ in range(5):
        client.post("/accounts/login/", {"username": "wang", "password": "wrong"})
    lockout = _events(A.LOCKOUT)
    assert lockout and lockout[0].target_user == cast.wang


def test_a_change_to_a_user_made_in_the_shell_is_recorded_before_and_after(cast: Cast) -> None:
    li = User.objects.get(pk=cast.li.pk)
    li.is_active = False
    li.username = "li2"
    li.save()
    event = _events(A.USER_CHANGE, target_user=li)[-1]
    assert event.changes == {"is_active": [True, False], "username": ["li", "li2"]}
    assert event.user is None
    assert "@" in event.source  # the command and the host it ran on


def test_signing_in_is_not_an_account_change(client: Client, cast: Cast) -> None:
    before = AuditEvent.objects.filter(action=A.USER_CHANGE).count()
    client.post("/accounts/login/", {"username": "li", "password": "secret-pass-123"})
    assert AuditEvent.objects.filter(action=A.USER_CHANGE).count() == before


def test_group_membership_changed_from_either_side_is_a_role_change(cast: Cast) -> None:
    leader = Group.objects.get(name="leader")
    cast.li.groups.add(leader)
    leader.user_set.remove(cast.li)
    changes = [e.changes for e in _events(A.ROLE_CHANGE, target_user=cast.li)][-2:]
    assert changes == [
        {"roles": [["cadre"], ["cadre", "leader"]]},
        {"roles": [["cadre", "leader"], ["cadre"]]},
    ]


def test_permissions_given_to_a_user_or_a_role_are_recorded(cast: Cast) -> None:
    permission = Permission.objects.get(codename="view_audit_trail")
    cast.li.user_permissions.add(permission)
    Group.objects.get(name="cadre").permissions.add(permission)
    mine = _events(A.PERMISSION_CHANGE, target_user=cast.li)[-1]
    assert mine.changes == {"permissions": [[], ["xicheng.view_audit_trail"]]}
    role = _events(A.PERMISSION_CHANGE, subject="role cadre")[-1]
    before, after = role.changes["permissions"]
    assert set(after) - set(before) == {"xicheng.view_audit_trail"}


def test_an_account_made_in_the_admin_is_recorded_with_its_person_and_roles(client: Client, cast: Cast) -> None:
    login(client, cast.sysadmin)
    response = client.post(
        "/admin/auth/user/add/",
        {
            "username": "sun",
            "usable_password": "true",
            "password1": "Xicheng-2026-sun",
            "password2": "Xicheng-2026-sun",
            "roles": ["leader"],
            "cadre-TOTAL_FORMS": "1",
            "cadre-INITIAL_FORMS": "0",
            "cadre-MIN_NUM_FORMS": "1",
            "cadre-MAX_NUM_FORMS": "1",
            "cadre-0-name": "孙丽华",
            "cadre-0-position": "leader",
        },
        REMOTE_ADDR="10.7.7.7",
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    sun = User.objects.get(username="sun")
    assert sun.cadre.name == "孙丽华"
    created = _events(A.USER_CHANGE, target_user=sun)[0]
    assert (created.user, created.ip_address, created.source) == (cast.sysadmin, "10.7.7.7", "admin")
    roles = _events(A.ROLE_CHANGE, target_user=sun)[-1]
    assert roles.changes["roles"] == [[], ["leader"]]


# The auditor's page ----------------------------------------------------------------------------


def _page(client: Client, cast: Cast, query: str = "") -> str:
    login(client, cast.auditor)
    response = client.get(f"/audit/{query}")
    assert response.status_code == 200
    return response.content.decode()


def test_the_trail_shows_every_kind_of_account_event_in_chinese(client: Client, cast: Cast) -> None:
    for action in (A.PASSWORD_CHANGE, A.PASSWORD_RESET, A.OTP_ENROL, A.TOKEN, A.TOKEN_REVOKE, A.UNLOCK):
        audit_log(user=cast.sysadmin, action=action, subject="x", target_user=cast.li)
    page = _page(client, cast)
    for label in ("修改密码", "管理员重置密码", "绑定双因素认证", "签发接口令牌", "吊销接口令牌", "账号解锁"):
        assert label in page


def test_a_record_s_change_shows_its_name_and_each_field_before_and_after(
    client: Client, cast: Cast, places: Places
) -> None:
    house = RentalHouseFactory(area=places.sifang_grid, address="四方路8号", rooms=4)
    editor = APIClient()
    login(editor, cast.admin)
    data = {"area": places.feifeng_grid.pk, "rooms": 6, "landlord_phone": "13700000000", "version": house.version}
    response = editor.patch(f"/api/v1/rental-houses/{house.pk}/", data, format="json", REMOTE_ADDR="10.2.2.2")
    assert response.status_code == 200, response.content
    page = _page(client, cast, "?model=governance.rentalhouse")
    row = page[page.index("10.2.2.2") :]
    row = row[: row.index("</tr>")]
    assert "管理员" in page  # the editor by name
    assert "四方路8号" in row  # the record by its name, not "#12"
    assert re.search(r"四方社区第1网格\s*→\s*飞凤社区第1网格", row)  # a foreign key by name
    assert re.search(r"4\s*→\s*6", row)
    assert "13700000000" not in page and "13912345678" not in page  # personal data stays hidden


def test_the_trail_finds_by_person_record_action_and_dates(client: Client, cast: Cast, places: Places) -> None:
    task = TaskFactory(area=places.sifang, lead_leader=cast.zhao, responsible=cast.li, title="最美巷道评选")
    other = TaskFactory(area=places.feifeng, lead_leader=cast.zhao, responsible=cast.wang, title="美丽庭院创建")
    for who, t in ((cast.li, task), (cast.wang, other)):
        c = Client()
        login(c, who)
        c.post(f"/tasks/{t.pk}/updates/", {"note": "推进", "status": "blocked", "version": 1})
    by_person = _page(client, cast, "?model=xicheng.task&user=王志")
    assert "美丽庭院创建" in by_person and "最美巷道评选" not in by_person
    by_record = _page(client, cast, f"?model=xicheng.task&object={task.pk}")
    assert "最美巷道评选" in by_record and "美丽庭院创建" not in by_record
    created_only = _page(client, cast, "?model=xicheng.task&action=%2B").split("<tbody>")[1]
    changed_only = _page(client, cast, "?model=xicheng.task&action=~").split("<tbody>")[1]
    assert created_only.count("<tr>") == 2 and changed_only.count("<tr>") == 2
    assert "→" not in created_only and "→" in changed_only
    today = timezone.localdate()
    assert "最美巷道评选" in _page(client, cast, f"?model=xicheng.task&start={today}&end={today}")
    yesterday = today - timedelta(days=1)
    assert "最美巷道评选" not in _page(client, cast, f"?model=xicheng.task&end={yesterday}")
    audit_log(user=cast.li, action=A.EXPORT, subject="dashboard")
    events = _page(client, cast, "?user=李晓燕&action=export")
    assert "dashboard" in events and "导出" in events


def test_the_trail_costs_the_same_queries_whatever_the_page_holds(client: Client, cast: Cast, places: Places) -> None:
    login(client, cast.auditor)

    def grow(n: int) -> None:
        for _ in range(n):
            house = RentalHouseFactory(area=places.sifang_grid)
            house.rooms += 1
            house.area = places.feifeng_grid
            house.save()
            audit_log(user=cast.li, action=A.EXPORT, subject="x", target_user=cast.wang, changes={"a": [1, 2]})
        cast.li.groups.add(Group.objects.get(name="leader"))
        cast.li.groups.remove(Group.objects.get(name="leader"))

    def cost(query: str) -> int:
        return count_queries(lambda: client.get(f"/audit/{query}"))

    grow(2)
    small = {q: cost(q) for q in ("", "?model=governance.rentalhouse", "?model=xicheng.cadre")}
    grow(20)
    large = {q: cost(q) for q in small}
    assert large == small
    assert small["?model=governance.rentalhouse"] <= 12


def test_the_page_has_no_inline_script_or_handlers(client: Client, cast: Cast) -> None:
    page = _page(client, cast, "?model=xicheng.task")
    main = page[page.index("<main") : page.index("</main>")]
    assert "<script" not in main and "onchange=" not in main and "onclick=" not in main
    assert 'type="submit"' in main


def test_the_trail_is_read_only_through_every_page(client: Client, cast: Cast) -> None:
    audit_log(user=cast.li, action=A.EXPORT, subject="x")
    event = AuditEvent.objects.latest("at")
    failure = AccessFailureLog.objects.create(username="li", ip_address="10.0.0.1", attempt_time=timezone.now())
    root = User.objects.create_superuser("root", password="x-Install-2026")
    login(client, root)  # even the superuser
    assert client.post(f"/admin/xicheng/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.post(f"/admin/xicheng/auditevent/{event.pk}/change/", {"subject": "y"}).status_code == 403
    assert client.post(f"/admin/axes/accessfailurelog/{failure.pk}/delete/", {"post": "yes"}).status_code == 403
    client.post(
        "/admin/axes/accessfailurelog/", {"action": "delete_selected", "_selected_action": [failure.pk], "post": "yes"}
    )
    assert AuditEvent.objects.filter(pk=event.pk, subject="x").exists()
    assert AccessFailureLog.objects.filter(pk=failure.pk).exists()


# Retention ---------------------------------------------------------------------------------------


def _age(days: int) -> Any:
    return timezone.now() - timedelta(days=days)


def test_the_purge_removes_only_what_is_older_than_the_retention_and_says_so(cast: Cast, places: Places) -> None:
    old = AuditEvent.objects.create(at=_age(200), action=A.EXPORT, subject="old")
    recent = AuditEvent.objects.create(at=_age(170), action=A.EXPORT, subject="recent")
    task = TaskFactory.build(area=places.sifang, lead_leader=cast.zhao, responsible=cast.li, work_line=None)
    task.work_line = WorkLineFactory()
    task._history_date = _age(300)  # type: ignore[attr-defined]  # simple-history's own way to date a record
    task.save()
    del task._history_date  # type: ignore[attr-defined]
    task.title = "新标题"
    task.save()
    removed = audit_purge(days=180)
    assert not AuditEvent.objects.filter(pk=old.pk).exists()
    assert AuditEvent.objects.filter(pk=recent.pk).exists()
    assert list(task.history.values_list("title", flat=True)) == ["新标题"]
    assert removed["xicheng_auditevent"] >= 1 and removed["xicheng_historicaltask"] == 1
    purge = AuditEvent.objects.get(action=A.AUDIT_PURGE)
    assert purge.changes["records"][0] == sum(removed.values())


def test_the_purge_command_refuses_to_keep_less_than_the_retention(cast: Cast) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="at least 180"):
        call_command("purge_audit", "--days", "90")
    call_command("purge_audit", stdout=open("/dev/null", "w"))
    assert AuditEvent.objects.filter(action=A.AUDIT_PURGE).count() == 1


def test_a_retention_under_180_days_stops_the_start() -> None:
    from tests.xicheng.test_settings import ROOT

    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "DEBUG": "true", "AUDIT_RETENTION_DAYS": "90"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "AUDIT_RETENTION_DAYS must be at least 180 (six months of audit records), not 90." in result.stderr
