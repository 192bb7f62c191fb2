from django.conf import settings
from django.core.management.base import BaseCommand

from iot.mqtt import Consumer


class Command(BaseCommand):
    help = (
        "Consume devices' events from MQTT (shared subscription $share/IOT_MQTT_GROUP/IOT_MQTT_TOPIC/+/events) into "
        "the portal until SIGTERM/SIGINT; run one or more per host, each with its own --client-id."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default=settings.IOT_MQTT_HOST)
        parser.add_argument("--port", type=int, default=settings.IOT_MQTT_PORT)
        parser.add_argument("--topic", default=settings.IOT_MQTT_TOPIC, help="topic prefix")
        parser.add_argument("--group", default=settings.IOT_MQTT_GROUP, help="shared-subscription group")
        parser.add_argument("--client-id", default="", help="stable per consumer (default: ingest-<host>-<pid>)")
        parser.add_argument("--batch", type=int, default=settings.IOT_MQTT_BATCH)
        parser.add_argument("--batch-ms", type=int, default=settings.IOT_MQTT_BATCH_MS)
        parser.add_argument("--max-messages", type=int, default=None, help="stop after this many messages")
        parser.add_argument("--seconds", type=float, default=None, help="stop after this many seconds")

    def _ready(self, subscription: str) -> None:
        self.stdout.write(f"ingest_mqtt: subscribed to {subscription}")
        self.stdout.flush()

    def handle(self, *args, **options):
        consumer = Consumer(
            host=options["host"],
            port=options["port"],
            topic=options["topic"],
            group=options["group"],
            batch=options["batch"],
            batch_ms=options["batch_ms"],
            client_id=options["client_id"],
            username=settings.IOT_MQTT_USERNAME,
            password=settings.IOT_MQTT_PASSWORD,
            on_ready=self._ready,
        )
        stats = consumer.run(max_messages=options["max_messages"], seconds=options["seconds"])
        rejected = sum(stats.rejected.values())
        reasons = {str(reason): n for reason, n in stats.rejected.items()}
        self.stdout.write(
            f"ingest_mqtt: {stats.messages} messages, {stats.events} events: {stats.stored} stored, {rejected} "
            f"rejected {reasons}, {stats.batches} batches ({stats.ingest_seconds:.1f} s storing), "
            f"{stats.db_retries} database retries."
        )
