from django.core.management.base import BaseCommand
from django.utils import timezone

from complaints.services import complaints_escalate


class Command(BaseCommand):
    help = (
        "Escalate each deadline an open complaint missed (acceptance, answer) once, to the department's supervisor "
        "or, without one, to the regulators (the hourly Celery job, run now)."
    )

    def handle(self, *args, **options):
        escalated = complaints_escalate(now=timezone.now())
        self.stdout.write(self.style.SUCCESS(f"Escalated {escalated} missed deadline(s)."))
