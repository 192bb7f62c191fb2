from celery import shared_task

from .imports import import_job_run, import_jobs_requeue


# Acknowledged after the run, and handed back to the broker when the worker process dies under it
# (reject_on_worker_lost): the run is idempotent by its claim, so a second delivery never imports twice, and a job
# left "running" by a dead run is taken back by the watchdog below (docs/architecture.md "Jobs").
@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=60 * 60, soft_time_limit=55 * 60)
def import_run_task(job_id: int) -> None:
    """Import a large uploaded file in the background (progress is shown on the import page)."""
    import_job_run(job_id=job_id)


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=5 * 60, soft_time_limit=4 * 60)
def requeue_stale_jobs_task() -> dict:
    """Every minute: send again import jobs nobody took, take back those whose heartbeat stopped (safe at once)."""
    run = import_jobs_requeue()
    return {"sent": run.sent, "restarted": run.restarted, "failed": run.failed}
