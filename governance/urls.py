from __future__ import annotations

from django.urls import path

from governance import views

app_name = "governance"

urlpatterns = [
    path("", views.home, name="home"),
    path("houses/", views.house_list, name="house_list"),
    path("houses/new/", views.house_new, name="house_new"),
    path("houses/<int:pk>/", views.house_detail, name="house_detail"),
    path("houses/<int:pk>/inspect/", views.inspection_new, name="inspection_new"),
    path("inspect/", views.inspection_start, name="inspection_start"),
    path("inspections/", views.inspection_list, name="inspection_list"),
    path("migrants/", views.migrant_list, name="migrant_list"),
    path("migrants/duplicates/", views.migrant_duplicates, name="migrant_duplicates"),
    path("hazards/", views.hazard_list, name="hazard_list"),
    path("hazards/<int:pk>/rectify/", views.hazard_rectify_view, name="hazard_rectify"),
    path("hazards/<int:pk>/undo-rectify/", views.hazard_undo_rectify_view, name="hazard_undo_rectify"),
    path("disputes/", views.dispute_list, name="dispute_list"),
    path("disputes/new/", views.dispute_new, name="dispute_new"),
    path("disputes/<int:pk>/undo-step/", views.dispute_undo_view, name="dispute_undo_step"),
    path("disputes/<int:pk>/move/", views.dispute_move_view, name="dispute_move"),
    path("zero-reports/", views.zero_report_list, name="zero_report_list"),
    path("zero-reports/missing/", views.zero_report_missing, name="zero_report_missing"),
    path("zero-reports/submit/", views.zero_report_submit_view, name="zero_report_submit"),
]
