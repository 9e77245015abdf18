from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from xicheng.audit import command_source
from xicheng.authentication import token_issue
from xicheng.roles import Role, roles_of


class Command(BaseCommand):
    help = (
        "Issue an API token to an API-client account. The key is printed once; only its digest is "
        "stored. The audit trail records who issued it (--by, or the OS user) and from which host."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="The API-client account that will use the token.")
        parser.add_argument(
            "--by",
            dest="issuer",
            default=None,
            help="The system administrator issuing it (a username). Without it the OS user running the command is recorded.",
        )
        parser.add_argument("--days", type=int, default=None, help="Expire sooner than API_TOKEN_TTL_DAYS.")

    def handle(self, *args: Any, username: str, issuer: str | None, days: int | None, **options: Any) -> None:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        acting_user = None
        if issuer is not None:
            acting_user = User.objects.filter(username=issuer, is_active=True).first()
            if acting_user is None:
                raise CommandError(f"No active user {issuer!r} to record as the issuer.")
            if Role.SYSTEM_ADMIN not in roles_of(acting_user) and not acting_user.is_superuser:
                raise CommandError(f"{issuer!r} is not a system administrator; only they issue tokens.")
        try:
            token, key = token_issue(
                user=user, acting_user=acting_user, source=command_source("issue_api_token"), days=days
            )
        except ValidationError as e:
            raise CommandError(" ".join(e.messages)) from None
        self.stderr.write(f"Token for {username}, valid until {timezone.localtime(token.expiry):%Y-%m-%d %H:%M}:")
        self.stdout.write(key)
