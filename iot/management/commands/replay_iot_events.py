"""Replay the sample events (iot/samples/events.json, or --file) through the ingestion service, as the HTTP endpoint
would: each is stamped `--minutes-ago` minutes before now and signed with its demo device's secret (iot/demo.py).
A second run stores nothing new (same event ids: replays)."""

import json
from datetime import timedelta
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from iot.choices import Channel
from iot.models import Device
from iot.services import ingest_events
from iot.signing import signed_event

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "events.json"


class Command(BaseCommand):
    help = "Replay the IoT sample events (signed with the demo devices' secrets) through the ingestion service."

    def add_arguments(self, parser):
        parser.add_argument("--file", default=str(SAMPLES))
        parser.add_argument("--minutes-ago", type=int, default=1)

    def handle(self, *args, **options):
        try:
            samples = json.loads(Path(options["file"]).read_text())
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot read {options['file']}: {exc}") from exc
        secrets = dict(Device.objects.values_list("device_id", "secret"))
        now = timezone.now()
        occurred = timezone.localtime(now - timedelta(minutes=options["minutes_ago"])).isoformat(timespec="seconds")
        events = []
        for sample in samples:
            secret = secrets.get(sample["device_id"])
            if secret is None:  # unknown here: sent unsigned, refused as such
                events.append({**sample, "occurred_at": occurred, "signature": "0" * 64})
                continue
            events.append(
                signed_event(
                    secret,
                    device_id=sample["device_id"],
                    event_id=sample["event_id"],
                    kind=sample["kind"],
                    occurred_at=occurred,
                    payload=sample.get("payload"),
                )
            )
        result = ingest_events(events, channel=Channel.HTTP, now=now)
        self.stdout.write(
            f"IoT replay: {result.sent} sent, {result.stored} stored, rejected {result.rejected}, "
            f"{result.incidents_opened} incidents opened, {result.faults} faults."
        )
