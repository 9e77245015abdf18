"""The system admin's pages: accounts and their roles, read-only roles. No one grants anything to
themselves here: roles go through `user_set_roles` (never one's own, never two administrators),
superuser, staff and single permissions are not in any form."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Model, Prefetch, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from xicheng.accounts import check_roles, user_set_roles
from xicheng.admin_actions import ReadOnlyAdminMixin
from xicheng.models import Cadre
from xicheng.roles import Role, role_label

admin.site.unregister(User)
admin.site.unregister(Group)


def _roles_field() -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=_("Roles"),
        choices=Role.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The data admin, the system admin and the auditor are three different people."),
    )


# The mixin below is mixed into forms; mypy is told so (at run time it stands alone).
if TYPE_CHECKING:
    _Form = forms.BaseForm
else:
    _Form = object


class RolesFormMixin(_Form):
    """A `roles` field in Chinese labels, checked by the one rule of who may hold what."""

    def clean_roles(self) -> list[str]:
        roles: list[str] = self.cleaned_data.get("roles") or []
        check_roles(roles)
        return roles


class AccountChangeForm(RolesFormMixin, UserChangeForm):
    roles = _roles_field()
    editing_self = False  # the admin sets it when the system admin opens his own account

    class Meta(UserChangeForm.Meta):  # type: ignore[name-defined]  # django-stubs declare no Meta on it
        model = User
        fields = ("username", "password", "first_name", "last_name", "email", "is_active")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["roles"].initial = [g.name for g in self.instance.groups.all() if g.name in Role.values]
        if self.editing_self:
            # Nobody changes their own roles or switches their own account off.
            self.fields["roles"].disabled = True
            self.fields["roles"].help_text = _("No one may change their own roles; ask another system admin.")
            self.fields["is_active"].disabled = True


class AccountCreationForm(RolesFormMixin, AdminUserCreationForm):
    roles = _roles_field()


class CadreInline(admin.StackedInline):
    """The person behind the account: created with it by the system admin. The areas a cadre
    serves are domain data, kept by the data admin."""

    model = Cadre
    fields = ["name", "position"]
    can_delete = False
    min_num = 1
    max_num = 1
    extra = 0
    verbose_name = _("person")
    verbose_name_plural = _("person")

    # Rights follow the account's, so that the system admin needs no right on domain data.
    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return request.user.has_perm("auth.view_user")

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return request.user.has_perm("auth.change_user")

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return request.user.has_perm("auth.change_user")

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class RoleFilter(admin.SimpleListFilter):
    title = _("role")
    parameter_name = "role"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return list(Role.choices)

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(groups__name=self.value()) if self.value() else queryset


class AccountAdmin(UserAdmin):
    form = AccountChangeForm
    add_form = AccountCreationForm
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Roles"), {"fields": ("roles", "is_active")}),
        (_("Contact"), {"fields": ("first_name", "last_name", "email")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "usable_password", "password1", "password2", "roles")}),
    )
    readonly_fields = ("last_login", "date_joined")
    list_display = ("username", "person", "role_names", "is_active", "last_login")
    list_filter = (RoleFilter, "is_active")
    search_fields = ("username", "cadre__name")
    filter_horizontal = ()
    inlines = [CadreInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return (
            super()
            .get_queryset(request)
            .select_related("cadre")
            .prefetch_related(Prefetch("groups", queryset=Group.objects.order_by("name")))
        )

    @admin.display(description=_("name"), ordering="cadre__name")
    def person(self, obj: User) -> str:
        cadre = getattr(obj, "cadre", None)
        return cadre.name if cadre is not None else ""

    @admin.display(description=_("Roles"))
    def role_names(self, obj: User) -> str:
        return "、".join(role_label(g.name) for g in obj.groups.all())

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None and obj.pk == request.user.pk:
            return type(form.__name__, (form,), {"editing_self": True})
        return form

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        # The installation's superuser is not an account the system admin manages.
        if isinstance(obj, User) and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        # Accounts are switched off, never deleted: the audit trail names them.
        return False

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        if (
            "roles" in form.fields
            and not form.fields["roles"].disabled
            and (not change or "roles" in form.changed_data)
        ):
            try:
                acting_user = cast(User, request.user)  # the admin lets no anonymous user in
                user_set_roles(
                    user=form.instance, roles=form.cleaned_data["roles"], acting_user=acting_user, request=request
                )
            except ValidationError as e:  # the form checked the same rule; a race is all that is left
                raise PermissionDenied(e.messages[0]) from e


class RoleAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Roles are read here, never edited: their permissions are set from code on every migrate
    (`xicheng.roles.sync_roles`), and people are given roles on their account."""

    list_display = ("role", "members")
    fields = ("role", "permission_names")
    readonly_fields = ("role", "permission_names")
    ordering = ("name",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Group]:
        return super().get_queryset(request).annotate(member_count=Count("user"))

    @admin.display(description=_("role"), ordering="name")
    def role(self, obj: Group) -> str:
        return role_label(obj.name)

    @admin.display(description=_("members"), ordering="member_count")
    def members(self, obj: Group) -> int:
        return int(getattr(obj, "member_count", 0))

    @admin.display(description=_("permissions"))
    def permission_names(self, obj: Group) -> str:
        return "；".join(str(p.name) for p in obj.permissions.select_related("content_type").order_by("codename"))


admin.site.register(User, AccountAdmin)
admin.site.register(Group, RoleAdmin)
