from django.core.management.base import BaseCommand
from django.utils import timezone

from complaints.services import complaints_escalate


class Command(BaseCommand):
    help = "Escalate overdue complaints to their department's supervisor (the hourly Celery job, run now)."

    def handle(self, *args, **options):
        escalated = complaints_escalate(now=timezone.now())
        self.stdout.write(self.style.SUCCESS(f"Escalated {escalated} overdue complaint(s)."))
