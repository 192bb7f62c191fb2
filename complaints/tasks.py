from celery import shared_task
from django.utils import timezone

from .jobs import calendar_check_run
from .services import complaints_escalate


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=10 * 60, soft_time_limit=8 * 60)
def escalate_complaints_task() -> int:
    """Hourly: each deadline an open complaint missed goes to its department's supervisor (or the regulators), once
    (safe to run twice or at once)."""
    return complaints_escalate(now=timezone.now())


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=5 * 60, soft_time_limit=4 * 60)
def check_calendar_task() -> bool:
    """Daily: warn the city regulators once when next year's public holidays are missing; True while missing."""
    return calendar_check_run(today=timezone.localdate()).missing
