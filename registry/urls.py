from django.urls import path

from . import views

app_name = "registry"

urlpatterns = [
    path("elevators/", views.elevator_list, name="elevator_list"),
    path("elevators/new/", views.elevator_edit, name="elevator_create"),
    path("elevators/<int:pk>/", views.elevator_detail, name="elevator_detail"),
    path("elevators/<int:pk>/edit/", views.elevator_edit, name="elevator_edit"),
    path("organizations/", views.organization_list, name="organization_list"),
    path("organizations/new/", views.organization_edit, name="organization_create"),
    path("organizations/<int:pk>/edit/", views.organization_edit, name="organization_edit"),
    path("imports/", views.import_upload, name="import_upload"),
    path("imports/<int:pk>/", views.import_detail, name="import_detail"),
    path("imports/<int:pk>/report.csv", views.import_report, name="import_report"),
    path("imports/template/<str:kind>.csv", views.import_template, name="import_template"),
]
