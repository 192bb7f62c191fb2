from django.urls import path

from . import views

app_name = "monitoring"

urlpatterns = [
    path("", views.key_list, name="key_list"),
    path("sanwu/", views.sanwu_list, name="sanwu"),
    path("flags/<int:pk>/assess/", views.flag_assess, name="assess"),
]
