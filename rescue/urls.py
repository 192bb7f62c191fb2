from django.urls import path

from . import views

app_name = "rescue"

urlpatterns = [
    path("", views.console, name="console"),
    path("feed.json", views.feed, name="feed"),
    path("new/", views.incident_new, name="new"),
    path("incidents/<int:pk>/", views.incident_detail, name="incident"),
    path("incidents/<int:pk>/act/", views.act, name="act"),
    path("roster/", views.roster, name="roster"),
    path("roster/new/", views.shift_new, name="shift_new"),
    path("roster/<int:pk>/edit/", views.shift_edit, name="shift_edit"),
    path("roster/<int:pk>/delete/", views.shift_delete, name="shift_delete"),
    path("outbox/", views.outbox, name="outbox"),
]
