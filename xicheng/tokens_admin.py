"""The system administrator's side of accounts in the admin: API tokens, listed and revoked.

Knox registers an admin of its own that creates tokens and deletes them without a trace; this one
replaces it: it lists every live token with its owner and expiry, creates none (tokens are issued
to API clients by `manage.py issue_api_token`, recorded with who issued them and from where) and
revokes through `token_revoke`, which the audit trail records."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from knox.models import AuthToken

from xicheng.admin_actions import ReadOnlyAdminMixin
from xicheng.authentication import token_revoke

if TYPE_CHECKING:
    from django.contrib.auth.models import User

if admin.site.is_registered(AuthToken):
    admin.site.unregister(AuthToken)


@admin.register(AuthToken)
class AuthTokenAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    # Deleting a token is revoking it, and revoking goes through the audited action, not Django's
    # delete page.
    list_display = ["token_key", "user", "created", "expiry", "expired"]
    list_filter = ["created", "expiry"]
    search_fields = ["token_key", "user__username"]
    fields = ["token_key", "user", "created", "expiry"]
    readonly_fields = ["token_key", "user", "created", "expiry"]
    actions = ["revoke"]
    ordering = ["-created"]

    @admin.display(description=gettext_lazy("expired"), boolean=True)
    def expired(self, token: AuthToken) -> bool:
        return token.expiry is not None and token.expiry < timezone.now()

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("knox.delete_authtoken")

    def get_actions(self, request: HttpRequest) -> Any:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description=gettext_lazy("Revoke the selected tokens"), permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[AuthToken]) -> None:
        tokens = list(queryset.select_related("user"))
        acting_user = cast("User", request.user)  # the admin lets no anonymous user in
        for token in tokens:
            token_revoke(token=token, acting_user=acting_user, request=request, source="admin")
        self.message_user(request, _("%(n)d tokens revoked.") % {"n": len(tokens)}, messages.SUCCESS)
