from django.urls import path

from . import fault_views

app_name = "faults"

urlpatterns = [
    path("", fault_views.fault_list, name="list"),
    path("new/", fault_views.fault_new, name="new"),
    path("stats/", fault_views.fault_stats, name="stats"),
    path("<int:pk>/", fault_views.fault_detail, name="detail"),
    path("<int:pk>/stamp/", fault_views.fault_stamp, name="stamp"),
]
