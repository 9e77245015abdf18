from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from xicheng.dashboard import nav
from xicheng.roles import Role, enters_admin, roles_of


def navigation(request: HttpRequest) -> dict[str, Any]:
    roles = roles_of(request.user)
    return {
        "user_roles": roles,
        "is_leader": Role.LEADER in roles or Role.DATA_ADMIN in roles,
        "is_auditor": Role.AUDITOR in roles,
        "is_data_admin": Role.DATA_ADMIN in roles,
        # The data admin and the system admin each have their own part of the admin.
        "enters_admin": enters_admin(request.user),
        "reads_domain": bool(roles & {Role.CADRE, Role.LEADER, Role.DATA_ADMIN}),
        # Links the domain apps register for the top bar.
        "nav_links": [link for link in nav if link.roles & roles],
    }
