"""The offline-device job (iot/jobs.py)."""

from celery import shared_task
from django.db import DatabaseError


@shared_task(acks_late=True, time_limit=5 * 60, soft_time_limit=4 * 60, autoretry_for=(DatabaseError,), max_retries=3)
def check_devices_task() -> dict:
    """Every 5 minutes: report each device silent for IOT_OFFLINE_MINUTES to its firm, once per silence."""
    from iot.jobs import check_devices

    run = check_devices()
    return {"silent": run.silent, "reported": run.reported, "messages": run.messages}
