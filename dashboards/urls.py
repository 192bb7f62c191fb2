from django.urls import include, path

app_name = "dashboards"

urlpatterns = [
    path("", include("dashboards.board_urls")),
    path("bulletin/", include("dashboards.bulletin_urls")),
]
