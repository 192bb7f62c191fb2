from django.urls import path

from . import views

app_name = "credit"

urlpatterns = [
    path("", views.directory, name="directory"),
    path("ranking/", views.ranking, name="ranking"),
    path("<int:pk>/", views.firm_detail, name="firm"),
]
