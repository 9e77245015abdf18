from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser
from knox.models import AuthToken

from xicheng.models import AuditEvent
from xicheng.roles import has_role
from xicheng.services import audit_log


class Command(BaseCommand):
    help = "Issue an API token for a user. The key is printed once; only its digest is stored."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, username: str, **options: Any) -> None:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        if not has_role(user):
            raise CommandError(f"{username!r} has no role; give them one first.")
        _instance, key = AuthToken.objects.create(user=user)
        audit_log(user=user, action=AuditEvent.Action.TOKEN, subject=f"token for {username}")
        self.stdout.write(key)
