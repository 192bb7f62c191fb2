"""The escalation ladder's job (docs/rules.md "Entrapment rescue loop")."""

from celery import shared_task
from django.db import DatabaseError


@shared_task(
    acks_late=True,
    time_limit=2 * 60,
    soft_time_limit=90,
    autoretry_for=(DatabaseError,),
    retry_backoff=5,
    max_retries=3,
)
def rescue_ladder_task() -> dict:
    """Every 20 seconds: take the escalation steps that are due, each once (also on two workers at once)."""
    from rescue.ladder import ladder_run

    run = ladder_run()
    return {"open": run.open, "steps": run.steps, "accidents": run.accidents}
