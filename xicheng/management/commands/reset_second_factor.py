from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser

from xicheng.audit import command_source
from xicheng.authentication import otp_remove
from xicheng.roles import Role, roles_of


class Command(BaseCommand):
    help = (
        "Remove a user's second factor (a lost phone and no recovery code left), after checking who "
        "is asking. Audited; an administrator must set one up again at the next sign-in."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--by", dest="issuer", required=True, help="The system administrator doing it.")

    def handle(self, *args: Any, username: str, issuer: str, **options: Any) -> None:
        user = User.objects.filter(username=username).first()
        acting_user = User.objects.filter(username=issuer, is_active=True).first()
        if user is None or acting_user is None:
            raise CommandError("No such user.")
        if Role.SYSTEM_ADMIN not in roles_of(acting_user) or acting_user.pk == user.pk:
            raise CommandError(f"{issuer!r} may not do this: a system administrator resets another user's factor.")
        otp_remove(user=user, acting_user=acting_user, source=command_source("reset_second_factor"))
        self.stdout.write(f"The second factor of {username} was removed; they set one up at the next sign-in.")
