from django.urls import path

from . import bulletin_views

# Included at /dashboard/bulletin/ inside app_name "dashboards"; public pages (plan §2(10)).
urlpatterns = [
    path("", bulletin_views.bulletin, name="bulletin"),
    path("bulletin.json", bulletin_views.bulletin_json, name="bulletin_json"),
]
