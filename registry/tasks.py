from celery import shared_task

from .imports import import_job_run


@shared_task(acks_late=True, time_limit=60 * 60, soft_time_limit=55 * 60)
def import_run_task(job_id: int) -> None:
    """Import a large uploaded file in the background (progress is shown on the import page)."""
    import_job_run(job_id=job_id)
