from __future__ import annotations

from importlib import import_module

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularSwaggerSplitView

from xicheng import authentication, plugins, tokens_api, views  # noqa: F401  (tokens_api registers /api/v1/tokens/)
from xicheng.api import DashboardAPIView, SchemaView, router
from xicheng.supervision import api as supervision_api  # noqa: F401  (registers /api/v1/cases/, /notifications/)
from xicheng.supervision.urls import notification_patterns
from xicheng.webhooks import api as webhooks_api  # noqa: F401  (registers /api/v1/webhooks/, /webhook-deliveries/)

# Domain apps register their viewsets on the kernel's router from the API module they declare.
for domain in plugins.domains():
    if domain.api:
        import_module(domain.api)

# Refusals and missing pages in the site's layout, in Chinese (the API keeps JSON).
handler403 = "xicheng.errors.permission_denied"
handler404 = "xicheng.errors.page_not_found"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    # Browsers ask for /favicon.ico on their own, whatever the page's <link rel=icon> says.
    path("favicon.ico", RedirectView.as_view(url=static("favicon.ico"), permanent=True), name="favicon"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", authentication.account_view, name="account"),
    path("accounts/password/", authentication.OwnPasswordChangeView.as_view(), name="password_change"),
    path("accounts/otp/", authentication.otp_setup_view, name="otp_setup"),
    path("accounts/otp/verify/", authentication.otp_verify_view, name="otp_verify"),
    path("accounts/otp/recovery-codes/", authentication.otp_recovery_codes_view, name="otp_recovery_codes"),
    path("accounts/otp/remove/", authentication.otp_remove_view, name="otp_remove"),
    path("accounts/tokens/", authentication.token_list_view, name="token_list"),
    path("accounts/tokens/<str:token_key>/revoke/", authentication.token_revoke_view, name="token_revoke"),
    path("accounts/lockouts/", authentication.lockout_list_view, name="lockout_list"),
    path("accounts/lockouts/unlock/", authentication.lockout_unlock_view, name="lockout_unlock"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", views.home, name="home"),
    path("my/", views.my_work, name="my_work"),
    path("my/updates/", views.my_updates, name="my_updates"),
    path("my/readings/", views.manual_reading_add_view, name="manual_reading_add"),
    path("areas/search/", views.area_search, name="area_search"),
    path("tasks/", views.task_list, name="task_list"),
    path("tasks/<int:pk>/", views.task_detail, name="task_detail"),
    path("tasks/<int:pk>/updates/", views.task_add_update_view, name="task_add_update"),
    path("targets/", views.target_list, name="target_list"),
    path("readings/", views.reading_list, name="reading_list"),
    path("audit/", views.audit_trail, name="audit_trail"),
    path("dashboard/", views.dashboard_view, name="dashboard"),
    path("dashboard/screen/", views.dashboard_screen, name="dashboard_screen"),
    path("dashboard/export.xlsx", views.dashboard_export, name="dashboard_export"),
    path("dashboard/targets/<int:pk>/areas/", views.dashboard_areas, name="dashboard_areas"),
    # 督办: cases and the notification centre (xicheng/supervision/).
    path("supervision/", include("xicheng.supervision.urls")),
    path("notifications/", include((notification_patterns, "notifications"))),
    path("api/v1/dashboard/", DashboardAPIView.as_view(), name="api_dashboard"),
    # One way in: the admin's own login page would skip the lock-out message and the second factor.
    path("admin/login/", RedirectView.as_view(pattern_name="login", query_string=True)),
    path("admin/password_change/", RedirectView.as_view(pattern_name="password_change")),
    # The admin's password forms, wrapped so that the owner must choose their own password next.
    path("admin/auth/user/add/", authentication.admin_user_add_view),
    path("admin/auth/user/<id>/password/", authentication.admin_user_password_view),
    path("admin/", admin.site.urls),
    path("api/v1/", include(router.urls)),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api_docs"),
]

# Each domain app's pages live under its own prefix.
urlpatterns += [path(f"{domain.label}/", include(domain.urls)) for domain in plugins.domains() if domain.urls]
