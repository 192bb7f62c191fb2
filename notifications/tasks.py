"""Outbox delivery (docs/rules.md "Entrapment rescue loop")."""

from celery import shared_task


@shared_task(acks_late=True, time_limit=5 * 60, soft_time_limit=4 * 60)
def deliver_outbox_task() -> dict:
    """Deliver what is due: after each write (kicked on commit) and every 15 seconds as a sweep."""
    from notifications.outbox import outbox_deliver_all

    run = outbox_deliver_all()
    return {"delivered": run.delivered, "failed": run.failed}
