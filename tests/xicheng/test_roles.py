from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

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
    assert not any(p.split(".")[1].startswith(("add_", "change_", "delete_")) for p in perms["api_client"])
    assert "xicheng.view_personal_data" in perms["data_admin"]
    assert "xicheng.view_personal_data" not in perms["leader"]
