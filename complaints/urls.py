from django.urls import path, re_path

from . import staff_views, views

app_name = "complaints"

urlpatterns = [
    path("new/", views.complaint_new, name="new"),
    path("queue/", staff_views.queue, name="staff_list"),
    path("queue/<int:pk>/", staff_views.detail, name="staff_detail"),
    path("queue/<int:pk>/respond/", staff_views.respond, name="staff_respond"),
    path("queue/<int:pk>/<str:action>/", staff_views.action, name="staff_action"),
    path("photos/<int:pk>/", staff_views.photo, name="staff_photo"),
    re_path(r"^(?P<tracking_no>TS\d{18})/$", views.track, name="track"),
    re_path(r"^(?P<tracking_no>TS\d{18})/close/$", views.close, name="close"),
]
