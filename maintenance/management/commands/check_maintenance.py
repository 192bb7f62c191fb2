from datetime import date

from django.core.management.base import BaseCommand
from django.utils import timezone

from maintenance.jobs import maintenance_overdue_run
from maintenance.services import contracts_roll


class Command(BaseCommand):
    help = "Roll contracts over and alert overdue maintenance (the daily Celery jobs, run now)."

    def add_arguments(self, parser):
        parser.add_argument("--today", type=date.fromisoformat, help="run as if today were this date (YYYY-MM-DD)")

    def handle(self, *args, today=None, **options):
        today = today or timezone.localdate()
        rolled = contracts_roll(today=today)
        run = maintenance_overdue_run(today=today)
        self.stdout.write(
            self.style.SUCCESS(
                f"Contracts: {rolled['started']} started, {rolled['ended']} ended. "
                f"Maintenance overdue: {run.created} new alerts to {run.recipients} recipients."
            )
        )
