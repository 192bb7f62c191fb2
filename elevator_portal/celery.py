"""The Celery app: workers and beat run the portal's scheduled jobs (see README "Jobs")."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "elevator_portal.settings")

app = Celery("elevator_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
