from django.core.management.base import BaseCommand

from iot.jobs import check_devices


class Command(BaseCommand):
    help = "Mark devices silent for IOT_OFFLINE_MINUTES offline and tell their firms, once per silence."

    def handle(self, *args, **options):
        run = check_devices()
        self.stdout.write(f"Devices: {run.silent} silent, {run.reported} reported, {run.messages} messages written.")
