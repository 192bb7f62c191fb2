from django.urls import path

from . import views

app_name = "inspections"

urlpatterns = [
    path("my-elevators/", views.my_elevators_view, name="my_elevators"),
    path("apply/<int:elevator_pk>/", views.apply, name="apply"),
    path("applications/", views.applications, name="applications"),
    path("applications/<int:pk>/", views.application_detail, name="application_detail"),
    path("applications/<int:pk>/result/", views.record_result, name="record_result"),
    path("applications/<int:pk>/<str:action>/", views.application_action, name="application_action"),
    path("calendar/", views.calendar_view, name="calendar"),
    path("overview/", views.overview, name="overview"),
    path("<int:pk>/", views.inspection_detail, name="inspection_detail"),
    path("<int:pk>/report.pdf", views.report_download, name="report_download"),
    path("defects/<int:pk>/rectify/", views.defect_rectify, name="defect_rectify"),
    path("defects/<int:pk>/evidence/", views.evidence_download, name="evidence_download"),
]
