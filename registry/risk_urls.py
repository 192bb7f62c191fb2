from django.urls import path

from . import risk_views

app_name = "monitoring"

urlpatterns = [
    path("", risk_views.key_list, name="key_list"),
    path("sanwu/", risk_views.sanwu_list, name="sanwu"),
    path("flags/<int:pk>/assess/", risk_views.flag_assess, name="assess"),
]
