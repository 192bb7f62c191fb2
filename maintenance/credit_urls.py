from django.urls import path

from . import credit_views

app_name = "credit"

urlpatterns = [
    path("", credit_views.directory, name="directory"),
    path("ranking/", credit_views.ranking, name="ranking"),
    path("<int:pk>/", credit_views.firm_detail, name="firm"),
]
