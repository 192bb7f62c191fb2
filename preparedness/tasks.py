from celery import shared_task
from django.utils import timezone


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=30 * 60, soft_time_limit=25 * 60)
def preparedness_check_task() -> dict:
    """Daily: drill reminders and overdue alerts, insurance expiry reminders, use units without a safety manager."""
    from preparedness.jobs import preparedness_check_run

    return preparedness_check_run(today=timezone.localdate()).as_dict()
