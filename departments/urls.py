from django.urls import path

from . import views

app_name = "departments"

urlpatterns = [
    path("", views.who_handles_what_page, name="who_handles_what"),
    path("tasks/", views.tasks, name="tasks"),
    path("tasks/<int:number>/", views.task_detail, name="task_detail"),
    path("without-supervisor/", views.without_supervisor, name="without_supervisor"),
]
