from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from xicheng.audit import audit_quiet, command_source
from xicheng.authentication import new_temporary_password
from xicheng.models import AccountSecurity, AuditEvent, Cadre
from xicheng.roles import ADMINISTRATORS, Role
from xicheng.services import audit_log


class Command(BaseCommand):
    help = (
        "Create an administrator (system_admin, data_admin or auditor) on a new install. A one-time "
        "password is printed; at the first sign-in its owner must choose their own password and set "
        "up a second factor."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=sorted(str(role) for role in ADMINISTRATORS))
        parser.add_argument("--name", default="", help="The person's name (a cadre profile is created).")

    @transaction.atomic
    def handle(self, *args: Any, username: str, role: str, name: str, **options: Any) -> None:
        if User.objects.filter(username=username).exists():
            raise CommandError(f"A user {username!r} already exists.")
        password = new_temporary_password()
        # One event says it all (below), rather than one per field from the account receivers.
        with audit_quiet():
            user = User.objects.create_user(username=username, password=password, is_staff=True)
            user.groups.add(Group.objects.get(name=role))
            if name:
                Cadre.objects.create(user=user, name=name, position=Cadre.Position.STAFF)
            AccountSecurity.objects.create(user=user, must_change_password=True)
        audit_log(
            user=None,
            action=AuditEvent.Action.USER_CHANGE,
            subject=f"administrator {username} created with the role {Role(role).label}",
            target_user=user,
            changes={"groups": [[], [role]]},
            source=command_source("create_admin"),
        )
        self.stdout.write(f"Created {username} ({role}). One-time password (give it in person, then forget it):")
        self.stdout.write(password)
        self.stdout.write("At the first sign-in they choose their own password and set up a second factor.")
