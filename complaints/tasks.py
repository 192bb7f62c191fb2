from celery import shared_task
from django.utils import timezone

from .services import complaints_escalate


@shared_task(acks_late=True, time_limit=10 * 60, soft_time_limit=8 * 60)
def escalate_complaints_task() -> int:
    """Hourly: overdue complaints go to their department's supervisor, once each (safe to run twice or at once)."""
    return complaints_escalate(now=timezone.now())
