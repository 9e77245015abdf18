"""/supervision/: cases (督办) — and, under /notifications/, the notification centre."""

from __future__ import annotations

from django.urls import path

from xicheng.supervision import views

app_name = "supervision"

urlpatterns = [
    path("", views.case_list, name="case_list"),
    path("cases/new/", views.case_new, name="case_new"),
    path("cases/<int:pk>/", views.case_detail, name="case_detail"),
    # Each step its own address: the owner's, then the issuer's.
    path("cases/<int:pk>/acknowledge/", views.case_acknowledge, name="case_acknowledge"),
    path("cases/<int:pk>/reply/", views.case_reply, name="case_reply"),
    path("cases/<int:pk>/extension/", views.case_request_extension, name="case_extension"),
    path("cases/<int:pk>/report/", views.case_report_done, name="case_report"),
    path("cases/<int:pk>/extension/decide/", views.case_decide_extension, name="case_decide"),
    path("cases/<int:pk>/send-back/", views.case_send_back, name="case_send_back"),
    path("cases/<int:pk>/accept/", views.case_accept, name="case_accept"),
]

# Included under /notifications/ with the namespace "notifications" (xicheng/urls.py).
notification_patterns = [
    path("", views.notification_list, name="list"),
    path("read-all/", views.notifications_read_all, name="read_all"),
    path("preferences/", views.notification_preferences, name="preferences"),
    path("<int:pk>/read/", views.notification_read, name="read"),
]
