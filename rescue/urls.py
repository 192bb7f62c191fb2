from django.urls import path

from . import views

app_name = "rescue"

urlpatterns = [
    path("", views.console, name="console"),
    path("incidents/<int:pk>/", views.incident_detail, name="incident"),
]
