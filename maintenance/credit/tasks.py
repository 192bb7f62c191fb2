"""The credit evaluation job (plan §2(2))."""

from celery import shared_task
from django.db import DatabaseError
from django.utils import timezone


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    time_limit=30 * 60,
    soft_time_limit=25 * 60,
    autoretry_for=(DatabaseError,),
    retry_backoff=60,
    max_retries=3,
)
def credit_evaluate_task() -> dict:
    """Nightly: this month's credit snapshot of every maintenance firm (idempotent, so safe to retry or rerun)."""
    from maintenance.credit.services import credit_evaluate

    evaluations = credit_evaluate(today=timezone.localdate())
    return {"firms": len(evaluations)}
