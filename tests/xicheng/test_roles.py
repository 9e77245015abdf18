from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from rest_framework.test import APIClient

from tests.conftest import Cast, Places, login
from xicheng.accounts import user_set_roles
from xicheng.models import AuditEvent
from xicheng.roles import Role

pytestmark = pytest.mark.django_db


def test_migrate_creates_the_five_roles_with_their_permissions() -> None:
    perms = {
        group.name: {
            f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")
        }
        for group in Group.objects.all()
    }
    assert set(perms) >= set(Role.values)
    assert "xicheng.view_all_records" in perms["leader"]
    assert "xicheng.add_taskupdate" in perms["cadre"]
    assert "xicheng.view_all_records" not in perms["cadre"]
    assert perms["auditor"] == {"xicheng.view_audit_trail", "xicheng.view_auditevent"}
    # The data admin holds nothing of the audit trail, the system admin nothing of the domain.
    assert not {p for p in perms["data_admin"] if "auditevent" in p or "historical" in p or "audit_trail" in p}
    assert not {p for p in perms["data_admin"] if p.startswith(("auth.", "knox."))}
    # Besides accounts and tokens, the system admin keeps the supervision's chat robots and reads
    # its delivery log: settings, not domain data (no case, no notification).
    assert {p.split(".")[0] for p in perms["system_admin"]} == {"auth", "knox", "supervision", "webhooks"}
    assert {p for p in perms["system_admin"] if p.startswith("supervision.")} == {
        "supervision.view_robotgroup",
        "supervision.add_robotgroup",
        "supervision.change_robotgroup",
        "supervision.view_delivery",
    }
    # And the webhooks for REST clients: registered, changed, deleted (archived), their log read;
    # no other role sees them, nor anyone the lights kept for target.light_changed.
    assert {p for p in perms["system_admin"] if p.startswith("webhooks.")} == {
        "webhooks.view_webhook",
        "webhooks.add_webhook",
        "webhooks.change_webhook",
        "webhooks.delete_webhook",
        "webhooks.view_webhookdelivery",
    }
    assert not [p for role in Role.values if role != "system_admin" for p in perms[role] if p.startswith("webhooks.")]
    assert not any(p.split(".")[1].startswith(("add_", "change_", "delete_")) for p in perms["api_client"])
    assert "xicheng.view_personal_data" in perms["data_admin"]
    assert "xicheng.view_personal_data" not in perms["leader"]


# Three administrators, none above the others (三权分立) -----------------------------------------


def _roles(user: User) -> set[str]:
    return set(User.objects.get(pk=user.pk).groups.values_list("name", flat=True))


def _account_form(user: User, **changes: Any) -> dict[str, Any]:
    """The admin's account form as the browser posts it, with these changes."""
    data: dict[str, Any] = {
        "username": user.username,
        "first_name": "",
        "last_name": "",
        "email": "",
        "is_active": "on",
        "roles": sorted(_roles(user)),
        "cadre-TOTAL_FORMS": "1",
        "cadre-INITIAL_FORMS": "1",
        "cadre-MIN_NUM_FORMS": "1",
        "cadre-MAX_NUM_FORMS": "1",
        "cadre-0-id": str(user.cadre.pk),
        "cadre-0-user": str(user.pk),
        "cadre-0-name": user.cadre.name,
        "cadre-0-position": user.cadre.position,
    }
    data.update(changes)
    return data


def test_the_system_admin_cannot_grant_himself_a_role_superuser_staff_or_a_permission(
    client: Client, cast: Cast
) -> None:
    login(client, cast.sysadmin)
    url = f"/admin/auth/user/{cast.sysadmin.pk}/change/"
    page = client.get(url).content.decode()
    assert "不能修改自己的角色" in page
    assert 'name="is_superuser"' not in page and 'name="user_permissions"' not in page
    everything = Permission.objects.values_list("pk", flat=True)
    client.post(
        url,
        _account_form(
            cast.sysadmin,
            roles=["system_admin", "data_admin", "auditor", "leader"],
            groups=list(Group.objects.values_list("pk", flat=True)),
            is_superuser="on",
            is_staff="on",
            user_permissions=list(everything),
        ),
    )
    me = User.objects.get(pk=cast.sysadmin.pk)
    assert _roles(me) == {"system_admin"}
    assert not me.is_superuser
    assert not me.user_permissions.exists()
    assert not me.has_perm("xicheng.view_audit_trail")


def test_the_system_admin_makes_no_one_a_superuser(client: Client, cast: Cast) -> None:
    login(client, cast.sysadmin)
    response = client.post(
        f"/admin/auth/user/{cast.li.pk}/change/",
        _account_form(cast.li, is_superuser="on", is_staff="on", user_permissions=[Permission.objects.first().pk]),  # type: ignore[union-attr]
    )
    assert response.status_code == 302
    li = User.objects.get(pk=cast.li.pk)
    assert not li.is_superuser and not li.is_staff and not li.user_permissions.exists()


def test_the_system_admin_does_not_manage_the_installation_s_superuser(client: Client, cast: Cast) -> None:
    root = User.objects.create_superuser("root", password="x-Install-2026")
    login(client, cast.sysadmin)
    assert client.get(f"/admin/auth/user/{root.pk}/password/").status_code == 403
    assert client.post(f"/admin/auth/user/{root.pk}/change/", {"username": "root", "roles": []}).status_code == 403


def test_the_system_admin_gives_roles_and_the_audit_trail_shows_before_and_after(client: Client, cast: Cast) -> None:
    login(client, cast.sysadmin)
    response = client.post(f"/admin/auth/user/{cast.li.pk}/change/", _account_form(cast.li, roles=["leader"]))
    assert response.status_code == 302
    assert _roles(cast.li) == {"leader"}
    event = AuditEvent.objects.get(action=AuditEvent.Action.ROLE_CHANGE, target_user=cast.li, user=cast.sysadmin)
    assert event.changes == {"roles": [["cadre"], ["leader"]]}
    auditor = Client()
    login(auditor, cast.auditor)
    page = auditor.get("/audit/?action=role_change").content.decode()
    assert "系统管理员" in page and "李晓燕" in page  # who, and whom: names, not logins
    assert "干部 → 领导" in page


def test_no_one_holds_two_administrator_roles(client: Client, cast: Cast) -> None:
    login(client, cast.sysadmin)
    response = client.post(
        f"/admin/auth/user/{cast.li.pk}/change/", _account_form(cast.li, roles=["data_admin", "auditor"])
    )
    assert response.status_code == 200
    assert "不能同时担任" in response.content.decode()
    assert _roles(cast.li) == {"cadre"}
    with pytest.raises(ValidationError, match=r"不能同时担任|two administrator roles"):
        user_set_roles(user=cast.admin, roles=["data_admin", "system_admin"], acting_user=cast.sysadmin)
    assert _roles(cast.admin) == {"data_admin"}


def test_nobody_sets_their_own_roles_even_through_the_service(cast: Cast) -> None:
    with pytest.raises(PermissionDenied):
        user_set_roles(user=cast.sysadmin, roles=["system_admin", "leader"], acting_user=cast.sysadmin)
    with pytest.raises(PermissionDenied):  # and only the system admin sets anyone's
        user_set_roles(user=cast.li, roles=["leader"], acting_user=cast.admin)


def test_roles_make_staff_of_those_who_enter_the_admin_only(cast: Cast) -> None:
    user_set_roles(user=cast.li, roles=["data_admin"], acting_user=cast.sysadmin)
    assert User.objects.get(pk=cast.li.pk).is_staff
    user_set_roles(user=cast.li, roles=["auditor"], acting_user=cast.sysadmin)
    assert not User.objects.get(pk=cast.li.pk).is_staff
    events = AuditEvent.objects.filter(action=AuditEvent.Action.ROLE_CHANGE, target_user=cast.li, user=cast.sysadmin)
    events = events.order_by("at")
    assert [e.changes for e in events] == [
        {"roles": [["cadre"], ["data_admin"]], "is_staff": [False, True]},
        {"roles": [["data_admin"], ["auditor"]], "is_staff": [True, False]},
    ]


def test_the_data_admin_cannot_open_user_group_or_permission_pages(client: Client, cast: Cast) -> None:
    login(client, cast.admin)
    for url in (
        "/admin/auth/user/",
        f"/admin/auth/user/{cast.li.pk}/change/",
        f"/admin/auth/user/{cast.admin.pk}/change/",
        "/admin/auth/user/add/",
        "/admin/auth/group/",
        f"/admin/auth/group/{Group.objects.get(name='data_admin').pk}/change/",
    ):
        assert client.get(url).status_code == 403, url
    assert client.get("/admin/auth/permission/").status_code == 404  # no page at all
    client.post(f"/admin/auth/user/{cast.admin.pk}/change/", {"username": "admin", "is_superuser": "on"})
    assert not User.objects.get(pk=cast.admin.pk).is_superuser


def test_role_permissions_are_read_not_edited_in_the_admin(client: Client, cast: Cast) -> None:
    login(client, cast.sysadmin)
    group = Group.objects.get(name="system_admin")
    page = client.get(f"/admin/auth/group/{group.pk}/change/")
    assert page.status_code == 200
    before = set(group.permissions.all())
    response = client.post(
        f"/admin/auth/group/{group.pk}/change/",
        {"name": "system_admin", "permissions": list(Permission.objects.values_list("pk", flat=True))},
    )
    assert response.status_code == 403
    assert set(group.permissions.all()) == before
    assert client.get("/admin/auth/group/add/").status_code == 403


def test_the_admin_shows_roles_by_their_chinese_names(client: Client, cast: Cast) -> None:
    login(client, cast.sysadmin)
    roles = client.get("/admin/auth/group/").content.decode()
    for label in ("领导", "干部", "数据管理员", "系统管理员", "审计员", "接口用户"):
        assert label in roles
    assert ">data_admin<" not in roles and ">auditor<" not in roles
    users = client.get("/admin/auth/user/").content.decode()
    assert "审计员" in users and "李晓燕" in users
    form = client.get(f"/admin/auth/user/{cast.li.pk}/change/").content.decode()
    assert "数据管理员" in form and "系统管理员" in form


def test_a_leader_opening_the_audit_trail_is_told_in_chinese_what_a_leader_does(client: Client, cast: Cast) -> None:
    login(client, cast.zhao)
    response = client.get("/audit/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "Forbidden" not in page
    assert "不属于您的职责范围" in page
    assert "您的角色是领导" in page
    assert 'href="/dashboard/"' in page  # where a leader works instead
    assert '<header class="topbar">' in page  # in the site's own layout
    refused = AuditEvent.objects.get(action=AuditEvent.Action.DENIED)
    assert (refused.user, refused.subject) == (cast.zhao, "GET /audit/")


def test_the_auditor_refused_a_domain_page_is_sent_to_the_audit_trail(client: Client, cast: Cast) -> None:
    login(client, cast.auditor)
    for url in ("/dashboard/", "/my/", "/tasks/", "/admin/", "/dashboard/export.xlsx", "/admin/xicheng/target/import/"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert 'href="/audit/"' in response.content.decode()


def test_api_refusals_stay_json(api_client: APIClient, cast: Cast) -> None:
    login(api_client, cast.auditor)
    response = api_client.get("/api/v1/tasks/")
    assert response.status_code == 403
    assert response["Content-Type"].startswith("application/json")
    assert "detail" in response.json()
    assert api_client.get("/api/v1/dashboard/").status_code == 403
    refused = AuditEvent.objects.filter(action=AuditEvent.Action.DENIED, user=cast.auditor)
    assert sorted(refused.values_list("subject", flat=True)) == ["GET /api/v1/dashboard/", "GET /api/v1/tasks/"]


def test_each_role_is_sent_to_its_place_from_the_start_page(client: Client, cast: Cast) -> None:
    expected = {
        "li": "/my/",
        "zhao": "/dashboard/",
        "admin": "/dashboard/",
        "sysadmin": "/admin/auth/user/",
        "auditor": "/audit/",
        "api": "/tasks/",
    }
    for name, where in expected.items():
        login(client, getattr(cast, name))
        response = client.get("/")
        assert (response.status_code, response["Location"]) == (302, where), name


def test_every_change_the_superuser_makes_is_audited(client: Client, cast: Cast, places: Places) -> None:
    from tests.factories import TaskFactory

    root = User.objects.create_superuser("root", password="x-Install-2026")
    task = TaskFactory(area=places.sifang, lead_leader=cast.zhao, responsible=cast.li)
    login(client, root)
    client.get("/tasks/")
    client.post(f"/tasks/{task.pk}/updates/", {"note": "安装后核对", "status": "in_progress", "version": 1})
    events = AuditEvent.objects.filter(action=AuditEvent.Action.SUPERUSER)
    assert [e.subject for e in events] == [f"POST /tasks/{task.pk}/updates/ → 302"]
    assert events[0].user == root


def test_a_browser_asking_for_its_icon_is_no_refusal_on_record(client: Client, cast: Cast) -> None:
    login(client, cast.auditor)
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("/favicon.ico")
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.DENIED).exists()
