"""The six roles are Django groups; `sync_roles` gives each its permissions after every migrate."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

from django.apps import apps
from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User
    from django.http import HttpRequest
    from django_htmx.middleware import HtmxDetails
    from rest_framework.request import Request

    class AuthenticatedHttpRequest(HttpRequest):
        """A page's request: `RoleRequiredMiddleware` lets no anonymous user reach a page past the
        login, and django-htmx's middleware adds `htmx`. For annotations only."""

        user: User
        htmx: HtmxDetails

    class AuthenticatedRequest(Request):
        """An API request: `RolePermission` lets no anonymous user through. For annotations only."""

        user: User


# What `request.user` holds: a signed-in User (AUTH_USER_MODEL is Django's own) or the AnonymousUser.
# A string, so that importing the roles does not import the auth models before the apps are ready.
AnyUser: TypeAlias = "User | AnonymousUser"


class Role(models.TextChoices):
    LEADER = "leader", _("Leader")
    CADRE = "cadre", _("Cadre")
    DATA_ADMIN = "data_admin", _("Data admin")
    SYSTEM_ADMIN = "system_admin", _("System admin")
    AUDITOR = "auditor", _("Auditor")
    API_CLIENT = "api_client", _("API client")


# The three administrators (三权分立): nobody holds two of them, none can grant itself anything.
ADMINISTRATORS = frozenset({Role.DATA_ADMIN, Role.SYSTEM_ADMIN, Role.AUDITOR})

# Who reads the domain's pages and API: the system admin and the auditor never do.
DOMAIN_READERS = frozenset({Role.LEADER, Role.CADRE, Role.DATA_ADMIN, Role.API_CLIENT})

# Who enters the Django admin: the data admin for domain data, the system admin for accounts.
ADMIN_SITE_ROLES = frozenset({Role.DATA_ADMIN, Role.SYSTEM_ADMIN})


# Models cadres and leaders write in the field. Domain apps add theirs through their AppConfig's
# `field_models` (a list of model names), so the kernel needs to know none of them.
KERNEL_FIELD_MODELS = ["task", "taskupdate", "manualreading"]


# Supervision cases (督办): a leader opens one, its owner acknowledges and replies (the services
# say who may take which step).
SUPERVISION_FIELD_MODELS = ["case", "casestep"]
# The supervision engine's records that are not domain data: the chat robots and the delivery log
# are the system admin's; notifications and preferences are each user's own, read on their pages.
# Webhooks for REST clients likewise: the system admin registers them (deleting one archives it)
# and reads their delivery log; the lights last seen (for target.light_changed) are nobody's.
SYSTEM_MODELS: dict[str, dict[str, tuple[str, ...]]] = {
    "supervision": {"robotgroup": ("view", "add", "change"), "delivery": ("view",)},
    "webhooks": {"webhook": ("view", "add", "change", "delete"), "webhookdelivery": ("view",), "targetlight": ()},
}
PRIVATE_MODELS = {"supervision": {"notification", "notificationpreference"}}


def _app_labels() -> list[str]:
    from xicheng import plugins

    return plugins.app_labels()


def _field_models() -> dict[str, list[str]]:
    from xicheng import plugins

    return {"xicheng": KERNEL_FIELD_MODELS, "supervision": SUPERVISION_FIELD_MODELS} | {
        domain.label: list(domain.field_models) for domain in plugins.domains()
    }


def _not_domain_data(app: str, codename: str) -> bool:
    """A right on a model that is no domain data (a robot, a delivery, someone's notifications)."""
    model = codename.split("_", 1)[-1]
    return model in SYSTEM_MODELS.get(app, {}) or model in PRIVATE_MODELS.get(app, set())


def role_permissions() -> dict[str, set[tuple[str, str]]]:
    """(app_label, codename) pairs each role holds."""
    from django.contrib.auth.models import Permission

    labels = _app_labels()
    perms = list(Permission.objects.filter(content_type__app_label__in=labels).select_related("content_type"))
    everything = {(p.content_type.app_label, p.codename) for p in perms}
    system = {
        (app, f"{verb}_{model}")
        for app, models_ in SYSTEM_MODELS.items()
        for model, verbs in models_.items()
        for verb in verbs
    }
    everything_else = {pair for pair in everything if not _not_domain_data(*pair)}
    views = {(app, code) for app, code in everything_else if code.startswith("view_") and "historical" not in code}
    views.discard(("xicheng", "view_auditevent"))
    views.discard(("xicheng", "view_audit_trail"))
    views.discard(("xicheng", "view_personal_data"))
    writes = {
        (app, f"{verb}_{model}")
        for app, models_ in _field_models().items()
        for model in models_
        for verb in ("add", "change")
    } & everything
    return {
        Role.LEADER: views | writes,
        Role.CADRE: {p for p in views if p[1] != "view_all_records"} | writes,
        # Domain data, but no accounts, and nothing of the audit trail (三权分立): not its page, not
        # its events, not the history tables (a change right would also let the admin show them).
        Role.DATA_ADMIN: {
            (app, code)
            for app, code in everything_else
            if code != "view_audit_trail" and not code.endswith("_auditevent") and "historical" not in code
        },
        # Accounts, roles and tokens, but no domain data.
        Role.SYSTEM_ADMIN: {
            ("auth", "view_user"),
            ("auth", "add_user"),
            ("auth", "change_user"),
            ("auth", "view_group"),
            ("knox", "view_authtoken"),
            ("knox", "delete_authtoken"),
            # The chat robots notifications go out through, and the log of what went out.
            *(system & everything),
        },
        Role.AUDITOR: {("xicheng", "view_audit_trail"), ("xicheng", "view_auditevent")},
        Role.API_CLIENT: views,
    }


def sync_roles(**kwargs: Any) -> None:
    """Create the role groups and set their permissions exactly; run on post_migrate.

    A role whose permissions a release changes is one audit event; creating the roles on a new
    database is not."""
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Group, Permission

    from xicheng.audit import audit_quiet

    for config in apps.get_app_configs():
        create_permissions(config, verbosity=0)
    lookup = {(p.content_type.app_label, p.codename): p for p in Permission.objects.select_related("content_type")}
    for role, pairs in role_permissions().items():
        group, created = Group.objects.get_or_create(name=role)
        wanted = {lookup[pair] for pair in pairs if pair in lookup}
        before = set(group.permissions.select_related("content_type"))
        if before == wanted:
            continue
        with audit_quiet():
            group.permissions.set(wanted)
        if not created:
            from xicheng.models import AuditEvent
            from xicheng.services import audit_log

            audit_log(
                user=None,
                action=AuditEvent.Action.PERMISSION_CHANGE,
                subject=f"role {role}",
                changes={"permissions": [_names(before), _names(wanted)]},
            )


def _names(permissions: set[Any]) -> list[str]:
    return sorted(f"{p.content_type.app_label}.{p.codename}" for p in permissions)


def roles_of(user: AnyUser) -> frozenset[str]:
    """The user's roles, read once per user object."""
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_xicheng_roles", None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))
        cached = frozenset(names & set(Role.values))
        if user.is_superuser:
            cached = cached | {Role.DATA_ADMIN.value}
        user._xicheng_roles = cached  # type: ignore[attr-defined]  # a cache on the user object, for its request
    return cached


def has_role(user: AnyUser) -> bool:
    return bool(roles_of(user))


def reads_domain(user: AnyUser) -> bool:
    return user.is_authenticated and (user.is_superuser or bool(roles_of(user) & DOMAIN_READERS))


def enters_admin(user: AnyUser) -> bool:
    return user.is_authenticated and user.is_active and (user.is_superuser or bool(roles_of(user) & ADMIN_SITE_ROLES))


# What each role is for, and where it works: said on the refusal page, and where `/` sends a role
# that has nothing to see on the dashboard or "my work".
ROLE_DUTIES = {
    Role.LEADER: _("reads every register and the dashboard, and leads tasks"),
    Role.CADRE: _("works on the records of the areas and squads they serve"),
    Role.DATA_ADMIN: _("keeps the domain data in the admin; no accounts, no audit trail"),
    Role.SYSTEM_ADMIN: _("manages accounts, roles and API tokens; reads no domain data"),
    Role.AUDITOR: _("reads the audit trail, and nothing else"),
    Role.API_CLIENT: _("reads the data through the API"),
}
ROLE_PLACES: dict[str, list[tuple[Any, str]]] = {
    Role.LEADER: [(_("Dashboard"), "dashboard"), (_("My work"), "my_work")],
    Role.CADRE: [(_("My work"), "my_work"), (_("Tasks"), "task_list")],
    Role.DATA_ADMIN: [(_("Data administration"), "admin:index"), (_("Dashboard"), "dashboard")],
    Role.SYSTEM_ADMIN: [(_("Accounts and roles"), "admin:auth_user_changelist")],
    Role.AUDITOR: [(_("Audit trail"), "audit_trail")],
    Role.API_CLIENT: [(_("API documentation"), "api_docs"), (_("Tasks"), "task_list")],
}


def role_label(role: str) -> str:
    """A role's name as people say it (数据管理员), not its code (data_admin)."""
    return str(Role(role).label) if role in Role.values else role


def group_label(group: Any) -> str:
    return role_label(group.name)
