"""Build a large synthetic registry with a year of history, quickly, for benchmarks:
`generate_scale_data --elevators N`.

Elevators go in by large `bulk_create` batches; their history (maintenance records, faults, complaints, inspections,
contracts, workers) by `INSERT … SELECT` inside PostgreSQL (bench/scale.py). On SQLite only the elevators are
made: the history needs PostgreSQL, where benchmarks run.
"""

import random
import time

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils import timezone

from bench import scale
from registry.demo import SCALE_SEQUENCE_START, build_elevators, ensure_districts, ensure_organizations
from registry.models import Elevator

BATCH = 5000


class Command(BaseCommand):
    help = (
        "Replace the synthetic elevators with N new ones and, on PostgreSQL, a year of their history "
        "(deterministic for a seed and a day); demo data is kept."
    )

    def add_arguments(self, parser):
        parser.add_argument("--elevators", type=int, required=True, help="how many synthetic elevators")
        parser.add_argument("--seed", type=int, default=1, help="random seed (same seed and day, same data)")
        parser.add_argument("--no-history", action="store_true", help="elevators only, no year of history")

    def handle(self, *args, elevators: int, seed: int, no_history: bool, **options):
        started = time.monotonic()
        rng = random.Random(seed)
        today = timezone.localdate()
        history = not no_history and scale.history_supported()
        if not no_history and not history:
            self.stdout.write(self.style.WARNING("History needs PostgreSQL: making the elevators only."))
        districts = ensure_districts()
        orgs = ensure_organizations(districts, random.Random(2019))
        synthetic = Elevator.objects.filter(registration_code__regex=scale.SYNTHETIC_REGEX)
        if scale.history_supported():
            # Straight SQL: Django's delete would load and audit every row, which takes hours at a million.
            with transaction.atomic():
                scale.history_delete()
                removed = synthetic._raw_delete(synthetic.db)
        else:
            removed, _ = synthetic.delete()
        made, counters = 0, {}
        while made < elevators:
            count = min(BATCH, elevators - made)
            batch = build_elevators(
                count=count,
                districts=districts,
                orgs=orgs,
                rng=rng,
                today=today,
                sequence_start=SCALE_SEQUENCE_START,
                rescue_start=100000 + made,
                counters=counters,
            )
            with transaction.atomic():
                Elevator.objects.bulk_create(batch, batch_size=BATCH)
            made += count
            self.stdout.write(f"  {made}/{elevators}", ending="\r")
            self.stdout.flush()
        seconds = time.monotonic() - started
        self.stdout.write(
            f"\n{made} synthetic elevators in {seconds:.1f} s ({made / max(seconds, 0.001):.0f}/s); "
            f"{removed} old rows removed."
        )
        if history:
            began = time.monotonic()
            with transaction.atomic():
                counts = scale.history_build(today=today, seed=seed, progress=self._step)
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            self.stdout.write(
                f"History in {time.monotonic() - began:.1f} s: {counts.records} maintenance records, "
                f"{counts.faults} faults, {counts.complaints} complaints, {counts.inspections} inspections, "
                f"{counts.contracts} contracts, {counts.workers} workers."
            )
        self.stdout.write(self.style.SUCCESS(f"Done in {time.monotonic() - started:.1f} s."))

    def _step(self, name: str) -> None:
        self.stdout.write(f"  {time.strftime('%H:%M:%S')} {name} ...")
        self.stdout.flush()
