from django.urls import path, re_path

from . import views

urlpatterns = [
    path("", views.board, name="board"),
    # Division codes only (GB/T 2260, six digits), so /dashboard/bulletin/ stays with the bulletin.
    re_path(r"^(?P<district_code>\d{6})/$", views.board, name="district"),
]
