from datetime import date

from django.core.management.base import BaseCommand
from django.utils import timezone

from complaints.jobs import calendar_check_run


class Command(BaseCommand):
    help = "Warn city regulators when next year's public holidays are not on record (the daily Celery job, run now)."

    def add_arguments(self, parser):
        parser.add_argument("--today", type=date.fromisoformat, help="run as if today were this date (YYYY-MM-DD)")

    def handle(self, *args, today=None, **options):
        check = calendar_check_run(today=today or timezone.localdate())
        if not check.missing:
            self.stdout.write(self.style.SUCCESS(f"{check.year}: holidays on record (or not yet time to check)."))
            return
        self.stderr.write(
            self.style.WARNING(
                f"{check.year}: no public holidays on record; complaint deadlines there would count Monday to Friday. "
                f"Run `manage.py load_holidays --year {check.year}` or enter them in the admin. "
                f"City regulators warned now: {check.recipients}."
            )
        )
