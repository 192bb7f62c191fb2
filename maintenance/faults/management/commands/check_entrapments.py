from django.core.management.base import BaseCommand
from django.utils import timezone

from maintenance.faults.jobs import entrapment_accidents_run


class Command(BaseCommand):
    help = "Mark entrapments open 2 hours as accidents and alert the regulators (the 5-minute Celery job, run now)."

    def handle(self, *args, **options):
        run = entrapment_accidents_run(now=timezone.now())
        self.stdout.write(
            self.style.SUCCESS(
                f"Entrapment accidents: {run.marked} marked, {run.alerted} alerted to {run.recipients} recipients."
            )
        )
