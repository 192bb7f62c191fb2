from celery import shared_task
from django.db import DatabaseError
from django.utils import timezone

# ---------------------------------------------------------------- maintenance overdue and contracts (条例 §31)


@shared_task(acks_late=True, time_limit=30 * 60, soft_time_limit=25 * 60)
def maintenance_overdue_task() -> dict:
    """Daily: alert firms and use units of elevators whose last maintenance is over 15 days old (once per gap)."""
    from maintenance.jobs import maintenance_overdue_run

    run = maintenance_overdue_run(today=timezone.localdate())
    return {"created": run.created, "recipients": run.recipients}


@shared_task(acks_late=True, time_limit=10 * 60)
def contracts_roll_task() -> dict:
    """Daily: contracts that ended stop, contracts that start begin; each elevator's current firm follows
    (set-based updates to the same end state, so safe to run twice or concurrently)."""
    from maintenance.services import contracts_roll

    return contracts_roll(today=timezone.localdate())


# ---------------------------------------------------------------- credit evaluation (plan §2(2))


@shared_task(
    acks_late=True,
    time_limit=30 * 60,
    soft_time_limit=25 * 60,
    autoretry_for=(DatabaseError,),
    retry_backoff=60,
    max_retries=3,
)
def credit_evaluate_task() -> dict:
    """Nightly: this month's credit snapshot of every maintenance firm (idempotent, so safe to retry or rerun)."""
    from maintenance.credit import credit_evaluate

    evaluations = credit_evaluate(today=timezone.localdate())
    return {"firms": len(evaluations)}
