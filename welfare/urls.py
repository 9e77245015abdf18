from __future__ import annotations

from django.urls import path

from welfare import views

app_name = "welfare"

urlpatterns = [
    path("centres/", views.center_list, name="center_list"),
    path("centres/<int:pk>/sheet/", views.sheet_today, name="sheet_today"),
    path("centres/<int:pk>/sheet/<str:day>/", views.sheet, name="sheet"),
    path("elders/", views.elder_list, name="elder_list"),
    path("elders/new/", views.elder_enrol_view, name="elder_enrol"),
    path("elders/<int:pk>/", views.elder_detail, name="elder_detail"),
    path("elders/<int:pk>/leave/", views.elder_leave_view, name="elder_leave"),
    path("deliveries/", views.delivery_list, name="delivery_list"),
    path("meals/", views.receipt_list, name="receipt_list"),
    path("served-villages/", views.served_village_list, name="served_village_list"),
    path("safety-checks/", views.safety_check_list, name="safety_check_list"),
    path("safety-checks/<int:pk>/resolve/", views.safety_check_resolve_view, name="safety_check_resolve"),
]
