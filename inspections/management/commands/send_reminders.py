from datetime import date

from django.core.management.base import BaseCommand
from django.utils import timezone

from inspections.reminders import reminders_run


class Command(BaseCommand):
    help = "Send today's inspection, licence and certificate expiry reminders (the daily Celery job, run now)."

    def add_arguments(self, parser):
        parser.add_argument("--today", type=date.fromisoformat, help="run as if today were this date (YYYY-MM-DD)")

    def handle(self, *args, today=None, **options):
        run = reminders_run(today=today or timezone.localdate())
        summary = ", ".join(f"{kind}: {n}" for kind, n in sorted(run.created.items())) or "nothing new"
        self.stdout.write(self.style.SUCCESS(f"Reminders sent ({summary}) to {run.recipients} recipients."))
