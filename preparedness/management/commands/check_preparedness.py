from datetime import date

from django.core.management.base import BaseCommand
from django.utils import timezone

from preparedness.jobs import preparedness_check_run


class Command(BaseCommand):
    help = (
        "Drill reminders and overdue alerts, insurance expiry reminders, use units without a safety manager "
        "(the daily job, run now)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--today", type=date.fromisoformat, help="run as if today were this date (YYYY-MM-DD)")

    def handle(self, *args, today=None, **options):
        run = preparedness_check_run(today=today or timezone.localdate())
        self.stdout.write(
            self.style.SUCCESS(
                f"Drills: {run.drills_due} due-soon reminders, {run.drills_overdue} overdue alerts. "
                f"Insurance: {run.policies_ending} expiry reminders. "
                f"Use units without a valid safety manager: {run.use_units_without_manager} new alerts."
            )
        )
