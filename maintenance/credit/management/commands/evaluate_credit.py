from collections import Counter
from datetime import date

from django.core.management.base import BaseCommand
from django.utils import timezone

from maintenance.credit.services import credit_evaluate


class Command(BaseCommand):
    help = "Evaluate the maintenance firms' credit for this month (the nightly Celery job, run now; plan §2(2))."

    def add_arguments(self, parser):
        parser.add_argument("--today", type=date.fromisoformat, help="evaluate as if today were this date (YYYY-MM-DD)")

    def handle(self, *args, today=None, **options):
        evaluations = credit_evaluate(today=today or timezone.localdate())
        grades = Counter(e.grade for e in evaluations)
        summary = ", ".join(f"{grade}: {n}" for grade, n in sorted(grades.items())) or "no firms"
        self.stdout.write(self.style.SUCCESS(f"Credit evaluated for {len(evaluations)} firms ({summary})."))
