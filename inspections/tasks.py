from celery import shared_task
from django.utils import timezone

from .reminders import reminders_run


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=30 * 60, soft_time_limit=25 * 60)
def send_reminders_task() -> dict:
    """Daily: inspection, licence and certificate expiry reminders (safe to run twice or concurrently)."""
    run = reminders_run(today=timezone.localdate())
    return {"created": run.created, "recipients": run.recipients}
