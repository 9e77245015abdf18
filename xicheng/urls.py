from __future__ import annotations

from importlib.util import find_spec

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.module_loading import autodiscover_modules
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from xicheng import views
from xicheng.api import DashboardAPIView, router

# Domain apps register their viewsets on the kernel's router from their own `api.py`.
autodiscover_modules("api")

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", views.home, name="home"),
    path("my/", views.my_work, name="my_work"),
    path("tasks/", views.task_list, name="task_list"),
    path("tasks/<int:pk>/", views.task_detail, name="task_detail"),
    path("tasks/<int:pk>/updates/", views.task_add_update_view, name="task_add_update"),
    path("targets/", views.target_list, name="target_list"),
    path("audit/", views.audit_trail, name="audit_trail"),
    path("dashboard/", views.dashboard_view, name="dashboard"),
    path("dashboard/screen/", views.dashboard_screen, name="dashboard_screen"),
    path("dashboard/export.xlsx", views.dashboard_export, name="dashboard_export"),
    path("dashboard/targets/<int:pk>/areas/", views.dashboard_areas, name="dashboard_areas"),
    path("api/v1/dashboard/", DashboardAPIView.as_view(), name="api_dashboard"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api_docs"),
]

# A path no route matches answers JSON under /api/, a page elsewhere.
handler404 = "xicheng.views.not_found"

# Each domain app's pages live under its own prefix.
urlpatterns += [
    path(f"{app}/", include(f"{app}.urls")) for app in settings.DOMAIN_APPS if find_spec(f"{app}.urls") is not None
]
