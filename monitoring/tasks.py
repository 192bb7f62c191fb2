"""The nightly key-monitoring scan (plan §2(4))."""

from celery import shared_task
from django.utils import timezone

from .services import risk_scan


# A scan killed mid-way rolls back; reject_on_worker_lost hands it back to the broker so that it runs again (it is
# idempotent: the flags' partial unique constraint and advisory lock; docs/architecture.md "Jobs").
@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=30 * 60, soft_time_limit=25 * 60)
def risk_scan_task() -> dict:
    """Daily: the key-monitoring risk scan (plan §2(4); safe to run twice or concurrently)."""
    return risk_scan(today=timezone.localdate())
