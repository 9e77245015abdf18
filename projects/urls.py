from __future__ import annotations

from django.urls import path

from projects import views
from xicheng.stage_faces import step_routes

app_name = "projects"

urlpatterns = [
    path("", views.project_list, name="project_list"),
    path("<int:pk>/", views.project_detail, name="project_detail"),
    path("households/", views.household_list, name="household_list"),
    # The one-tap step on a household's card, and its undo (a mis-tap).
    *step_routes(
        "households/",
        "household",
        rows=views.households_in_scope,
        template="projects/_household_card.html",
        context=views.household_card,
        redirect_to="projects:household_list",
    ),
    path("milestones/", views.milestone_list, name="milestone_list"),
    path("milestones/<int:pk>/complete/", views.milestone_complete_view, name="milestone_complete"),
    path("issues/", views.issue_list, name="issue_list"),
    path("issues/new/", views.issue_new, name="issue_new"),
    path("issues/<int:pk>/status/", views.issue_status, name="issue_status"),
    path("leads/", views.lead_list, name="lead_list"),
    path("leads/new/", views.lead_new, name="lead_new"),
    # A lead's next stage in one tap (dated, never later than today), and its undo.
    *step_routes(
        "leads/",
        "lead",
        rows=views.leads_in_scope,
        template="projects/_lead_row.html",
        context=views.lead_row,
        redirect_to="projects:lead_list",
    ),
]
