"""Build a large synthetic registry quickly (bulk inserts) for benchmarks: `generate_scale_data --elevators N`."""

import random
import time

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from registry.demo import SCALE_SEQUENCE_START, build_elevators, ensure_districts, ensure_organizations
from registry.models import Elevator

BATCH = 5000
SYNTHETIC = r"[5-9][0-9]{3}$"  # sequence numbers from SCALE_SEQUENCE_START up are synthetic


class Command(BaseCommand):
    help = "Replace the synthetic elevators with N new ones (deterministic for a seed); demo data is kept."

    def add_arguments(self, parser):
        parser.add_argument("--elevators", type=int, required=True, help="how many synthetic elevators")
        parser.add_argument("--seed", type=int, default=1, help="random seed (same seed and day, same data)")

    def handle(self, *args, elevators: int, seed: int, **options):
        started = time.monotonic()
        rng = random.Random(seed)
        today = timezone.localdate()
        districts = ensure_districts()
        orgs = ensure_organizations(districts, random.Random(2019))
        removed, _ = Elevator.objects.filter(registration_code__regex=SYNTHETIC).delete()
        made, counters = 0, {}
        while made < elevators:
            count = min(BATCH, elevators - made)
            batch = build_elevators(count=count, districts=districts, orgs=orgs, rng=rng, today=today,
                                    sequence_start=SCALE_SEQUENCE_START, rescue_start=100000 + made,
                                    counters=counters)
            with transaction.atomic():
                Elevator.objects.bulk_create(batch, batch_size=BATCH)
            made += count
            self.stdout.write(f"  {made}/{elevators}", ending="\r")
            self.stdout.flush()
        seconds = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(
            f"\n{made} synthetic elevators in {seconds:.1f} s ({made / max(seconds, 0.001):.0f}/s); {removed} old rows removed."))
