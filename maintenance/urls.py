from django.urls import path

from . import views

app_name = "maintenance"

urlpatterns = [
    path("records/", views.records, name="records"),
    path("records/new/", views.record_new, name="record_new"),
    path("records/<int:pk>/", views.record_detail, name="record_detail"),
    path("records/<int:pk>/confirm/", views.record_confirm, name="record_confirm"),
    path("records/<int:pk>/delete/", views.record_delete, name="record_delete"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
    path("contracts/", views.contracts, name="contracts"),
    path("contracts/new/", views.contract_new, name="contract_new"),
    path("contracts/<int:pk>/terminate/", views.contract_terminate, name="contract_terminate"),
    path("integrity/", views.integrity_checks, name="integrity"),
]
