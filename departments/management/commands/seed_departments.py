from django.core.management.base import BaseCommand
from django.db import transaction

from departments.plan import ensure_plan


class Command(BaseCommand):
    help = "Load the plan's departments, duties, 14 tasks and the complaint routing table (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options):
        departments = ensure_plan()
        self.stdout.write(self.style.SUCCESS(f"{len(departments)} departments with routing rules and 14 tasks."))
