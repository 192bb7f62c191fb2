import time

from django.core.management.base import BaseCommand

from rescue.ladder import ladder_run


class Command(BaseCommand):
    help = (
        "Take the escalation steps due on open entrapment incidents (the 20-second Celery job, run now). With "
        "--loop, every --every seconds, without a broker."
    )

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true")
        parser.add_argument("--every", type=float, default=10.0)

    def handle(self, *args, **options):
        while True:
            run = ladder_run()
            self.stdout.write(
                f"Rescue ladder: {run.open} open incidents, {run.steps} steps taken, {run.accidents} accident records."
            )
            if not options["loop"]:
                return
            time.sleep(options["every"])
