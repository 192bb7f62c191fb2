from django.urls import path

from . import views

app_name = "faults"

urlpatterns = [
    path("", views.fault_list, name="list"),
    path("new/", views.fault_new, name="new"),
    path("stats/", views.fault_stats, name="stats"),
    path("<int:pk>/", views.fault_detail, name="detail"),
    path("<int:pk>/stamp/", views.fault_stamp, name="stamp"),
]
