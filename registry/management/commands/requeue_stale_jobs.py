from django.core.management.base import BaseCommand

from registry.imports import import_jobs_requeue


class Command(BaseCommand):
    help = (
        "The import watchdog (the Celery job every minute, run now): send again the import jobs nobody took, take "
        "back the running ones whose heartbeat stopped, fail those interrupted IMPORT_MAX_ATTEMPTS times."
    )

    def handle(self, *args, **options):
        run = import_jobs_requeue()
        self.stdout.write(
            self.style.SUCCESS(
                f"Import jobs: {len(run.sent)} sent again {run.sent}, {len(run.restarted)} taken back after their "
                f"heartbeat stopped {run.restarted}, {len(run.failed)} failed after too many attempts {run.failed}."
            )
        )
