from django.urls import path

from . import views

app_name = "iot"

urlpatterns = [
    path("events/", views.events, name="events"),
]
