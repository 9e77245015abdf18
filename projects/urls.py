from __future__ import annotations

from django.urls import path

from projects import views

app_name = "projects"

urlpatterns = [
    path("", views.project_list, name="project_list"),
    path("<int:pk>/", views.project_detail, name="project_detail"),
    path("households/", views.household_list, name="household_list"),
    path("households/<int:pk>/next-step/", views.household_next_step, name="household_next_step"),
    path("households/<int:pk>/undo-step/", views.household_undo_step, name="household_undo_step"),
    path("issues/", views.issue_list, name="issue_list"),
    path("issues/<int:pk>/status/", views.issue_status, name="issue_status"),
    path("leads/", views.lead_list, name="lead_list"),
]
