from celery import shared_task

from .imports import import_job_run


@shared_task(acks_late=True, time_limit=60 * 60, soft_time_limit=55 * 60)
def import_run_task(job_id: int) -> None:
    """Import a large uploaded file in the background (progress is shown on the import page)."""
    import_job_run(job_id=job_id)


@shared_task(acks_late=True, time_limit=30 * 60, soft_time_limit=25 * 60)
def risk_scan_task() -> dict:
    """Daily: the key-monitoring risk scan (plan §2(4); safe to run twice or concurrently)."""
    from django.utils import timezone

    from .risk import risk_scan

    return risk_scan(today=timezone.localdate())
