from datetime import date

from django.core.management.base import BaseCommand
from django.utils import timezone

from monitoring.services import risk_scan


class Command(BaseCommand):
    help = "Run today's key-monitoring risk scan (plan §2(4); the daily Celery job, run now)."

    def add_arguments(self, parser):
        parser.add_argument("--today", type=date.fromisoformat, help="run as if today were this date (YYYY-MM-DD)")

    def handle(self, *args, today=None, **options):
        run = risk_scan(today=today or timezone.localdate())
        summary = ", ".join(f"{reason}: {n}" for reason, n in sorted(run["created"].items())) or "nothing new"
        self.stdout.write(
            self.style.SUCCESS(
                f"Risk scan: new flags ({summary}), {run['active']} still active, {run['cleared']} cleared, "
                f"{run['recipients']} regulators notified."
            )
        )
