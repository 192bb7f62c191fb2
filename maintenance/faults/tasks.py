"""The entrapment-accident alert job (特种设备安全监察条例 §64)."""

from celery import shared_task
from django.db import DatabaseError
from django.utils import timezone


@shared_task(
    acks_late=True,
    time_limit=4 * 60,
    soft_time_limit=3 * 60,
    autoretry_for=(DatabaseError,),
    retry_backoff=30,
    max_retries=3,
)
def entrapment_accidents_task() -> dict:
    """Every 5 minutes: entrapments open 2 hours become accidents, regulators alerted once per fault (idempotent)."""
    from maintenance.faults.jobs import entrapment_accidents_run

    run = entrapment_accidents_run(now=timezone.now())
    return {"marked": run.marked, "alerted": run.alerted, "recipients": run.recipients}
