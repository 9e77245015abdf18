"""Writes to accounts that carry a rule: who holds which role (三权分立)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from xicheng.audit import audit_quiet
from xicheng.roles import ADMIN_SITE_ROLES, ADMINISTRATORS, Role, role_label


def check_roles(roles: Iterable[str]) -> None:
    """Refuse a set of roles no one may hold together: two of the three administrators."""
    roles = set(roles)
    unknown = roles - set(Role.values)
    if unknown:
        raise ValidationError(_("Unknown role: %(roles)s") % {"roles": "、".join(sorted(unknown))})
    admins = roles & ADMINISTRATORS
    if len(admins) > 1:
        raise ValidationError(
            _("No one may hold two administrator roles (data admin, system admin, auditor): %(roles)s.")
            % {"roles": "、".join(role_label(r) for r in sorted(admins))},
            code="two_administrators",
        )


def check_may_set_roles(*, user: User, acting_user: User) -> None:
    """Only whoever manages accounts sets roles, never their own, and never a superuser's."""
    if not acting_user.has_perm("auth.change_user"):
        raise PermissionDenied(_("Only the system admin sets roles."))
    if acting_user.pk == user.pk:
        raise PermissionDenied(_("No one may change their own roles; ask another system admin."))
    if user.is_superuser and not acting_user.is_superuser:
        raise PermissionDenied(_("The installation's superuser is not managed here."))


@transaction.atomic
def user_set_roles(*, user: User, roles: Iterable[str], acting_user: User, request: Any = None) -> User:
    """Give the user exactly these roles. Those who enter the admin (the data and the system admin)
    are staff, no one else is; the change is one audit event with the roles before → after."""
    from xicheng.models import AuditEvent
    from xicheng.services import audit_log

    wanted = set(roles)
    check_may_set_roles(user=user, acting_user=acting_user)
    check_roles(wanted)
    locked = User.objects.select_for_update().get(pk=user.pk)
    before = sorted(locked.groups.filter(name__in=Role.values).values_list("name", flat=True))
    staff = bool(wanted & ADMIN_SITE_ROLES)
    changes: dict[str, Any] = {}
    with audit_quiet():
        if set(before) != wanted:
            others = list(locked.groups.exclude(name__in=Role.values))
            locked.groups.set([*others, *Group.objects.filter(name__in=wanted)])
            changes["roles"] = [before, sorted(wanted)]
        if locked.is_staff != staff:
            changes["is_staff"] = [locked.is_staff, staff]
            locked.is_staff = staff
            locked.save(update_fields=["is_staff"])
    if changes:
        audit_log(
            user=acting_user,
            action=AuditEvent.Action.ROLE_CHANGE,
            subject=f"account {locked.get_username()}",
            request=request,
            target_user=locked,
            changes=changes,
        )
    user.is_staff = locked.is_staff
    user.__dict__.pop("_xicheng_roles", None)
    return locked
