import time

from django.conf import settings
from django.core.management.base import BaseCommand

from notifications.outbox import outbox_deliver_all


class Command(BaseCommand):
    help = (
        "Deliver the outbox messages that are due (the 15-second Celery sweep, run now). With --loop, keep "
        "delivering every OUTBOX_POLL_SECONDS: a relay that needs no broker (run one per host, or several)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="keep running (a relay process)")

    def handle(self, *args, **options):
        while True:
            run = outbox_deliver_all()
            if run.delivered or run.failed or not options["loop"]:
                self.stdout.write(f"Outbox: {run.delivered} delivered, {run.failed} failed (will be retried).")
            if not options["loop"]:
                return
            time.sleep(settings.OUTBOX_POLL_SECONDS)
