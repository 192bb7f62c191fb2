from celery import shared_task
from django.utils import timezone


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=30 * 60, soft_time_limit=25 * 60)
def maintenance_overdue_task() -> dict:
    """Daily: alert firms and use units of elevators whose last maintenance is over 15 days old (once per gap)."""
    from maintenance.jobs import maintenance_overdue_run

    run = maintenance_overdue_run(today=timezone.localdate())
    return {"created": run.created, "recipients": run.recipients}


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=10 * 60)
def contracts_roll_task() -> dict:
    """Daily: contracts that ended stop, contracts that start begin; each elevator's current firm follows
    (set-based updates to the same end state, so safe to run twice or concurrently)."""
    from maintenance.services import contracts_roll

    return contracts_roll(today=timezone.localdate())
