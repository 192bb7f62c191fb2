"""The MQTT consumer (`manage.py ingest_mqtt`): devices publish their events to `<IOT_MQTT_TOPIC>/<device_id>/events`
(a message is one event object or a JSON array of them); every consumer subscribes to the shared subscription
`$share/<IOT_MQTT_GROUP>/<IOT_MQTT_TOPIC>/+/events` (MQTT v5), so the broker hands each message to one consumer of
the group and several consumers, on several hosts, split the load.

Messages are taken with QoS 1 and acknowledged by hand only once their batch is committed (at least once; a resent
event is a replay, refused as such, so at least once stores exactly once). Batches of up to IOT_MQTT_BATCH messages
or IOT_MQTT_BATCH_MS milliseconds go to iot.services.ingest_events (IOT_MQTT_BATCH events a transaction), and
are acknowledged together, in one write. Nothing a device sends stops the consumer: a
message that is not JSON, or an event published under another device's topic, is counted as malformed. A lost
broker is reconnected to (1 to 30 s apart); a database error waits and retries the same batch (nothing
was committed). SIGTERM and SIGINT finish the batch in hand, then disconnect."""

import json
import logging
import os
import signal
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import paho.mqtt.client as mqtt
from django.db import DatabaseError, InterfaceError, connection
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from .choices import Channel
from .services import ingest_events

logger = logging.getLogger(__name__)


@dataclass
class ConsumerStats:
    messages: int = 0
    events: int = 0
    stored: int = 0
    rejected: Counter = field(default_factory=Counter)
    batches: int = 0
    db_retries: int = 0
    connects: int = 0
    ingest_seconds: float = 0.0  # time spent in ingest_events (the rest is waiting for and receiving messages)


@dataclass(slots=True)
class Received:
    """A PUBLISH as the broker delivered it (paho's MQTTMessage without its properties)."""

    topic: str
    payload: bytes
    mid: int
    qos: int


PUBACK = 0x40  # MQTT 5 §3.4: fixed header 0x40, remaining length 2, the packet id (reason 0 "success" is implied)


class LeanClient(mqtt.Client):
    """paho's client (connection, keep-alive, reconnect, subscribe) with a lean PUBLISH: paho builds an MQTT 5
    Properties object for every message it receives (about 90 µs, most of the consumer's receiving time; bench/
    README.md "IoT ingestion"); our devices' messages carry no property the consumer uses, so they are skipped, and
    the message goes to `self.received`. Acknowledgements of a whole batch go out in one write (`ack_all`).
    Written against paho-mqtt 2.1 (pinned in requirements.txt); QoS 2 and MQTT 3 messages take paho's own path."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.received: list[Received] = []

    def _handle_publish(self):
        header = self._in_packet["command"]
        qos = (header & 0x06) >> 1
        if qos == 2 or self._protocol != mqtt.MQTTv5:
            return super()._handle_publish()
        packet = self._in_packet["packet"]
        try:
            at = 2 + int.from_bytes(packet[0:2], "big")
            topic = packet[2:at].decode("utf-8", "replace")
            mid = 0
            if qos:
                mid = int.from_bytes(packet[at : at + 2], "big")
                at += 2
            length, shift = 0, 0  # the properties' length, a variable byte integer (MQTT 5 §1.5.5)
            while True:
                byte = packet[at]
                at += 1
                length |= (byte & 0x7F) << shift
                if not byte & 0x80 or shift > 21:
                    break
                shift += 7
            payload = packet[at + length :]
        except IndexError:
            return mqtt.MQTT_ERR_PROTOCOL  # a truncated packet: paho drops the connection and we reconnect
        self.received.append(Received(topic, payload, mid, qos))
        return mqtt.MQTT_ERR_SUCCESS

    def ack_all(self, mids: list) -> None:
        """Acknowledge QoS 1 messages (manual_ack) in one write instead of one per message."""
        if mids:
            packet = b"".join(bytes((PUBACK, 2, mid >> 8, mid & 0xFF)) for mid in mids)
            self._packet_queue(PUBACK, packet, 0, 1)


def shared_topic(group: str, prefix: str) -> str:
    return f"$share/{group}/{prefix}/+/events"


def events_of(message_topic: str, payload: bytes) -> list:
    """The events one message carries; None in place of what is not an event (counted as malformed)."""
    parts = message_topic.split("/")
    topic_device = parts[-2] if len(parts) >= 3 else None
    try:
        body = json.loads(payload)
    except (ValueError, RecursionError):
        return [None]
    items = body if isinstance(body, list) else [body]
    events = []
    for item in items or [None]:
        if isinstance(item, dict):
            item.setdefault("device_id", topic_device)
            if item["device_id"] != topic_device:  # a device publishes under its own topic only
                item = None
        events.append(item)
    return events


class Consumer:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        topic: str,
        group: str,
        batch: int = 500,
        batch_ms: int = 200,
        client_id: str = "",
        username: str = "",
        password: str = "",
        session_expiry: int = 300,
        on_ready=None,
    ):
        self.host, self.port, self.batch, self.batch_ms = host, port, batch, batch_ms
        self.subscription = shared_topic(group, topic)
        self.stats = ConsumerStats()
        self.stopping = False
        self.subscribed = threading.Event()  # set once the broker has granted the subscription (tests, bench)
        self.on_ready = on_ready  # called (from paho's thread) with the subscription once it is granted
        client_id = client_id or f"ingest-{socket.gethostname()}-{os.getpid()}"
        self.client = LeanClient(
            mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5, manual_ack=True
        )
        self.pending = self.client.received  # received, not yet stored
        if username:
            self.client.username_pw_set(username, password or None)
        self.client.reconnect_delay_set(min_delay=1, max_delay=30)
        self.client.max_inflight_messages_set(max(batch * 2, 20))
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message  # paho's own path only (QoS 2, MQTT 3)
        self.client.on_disconnect = self._on_disconnect
        self.client.on_subscribe = self._on_subscribe
        self.connect_properties = Properties(PacketTypes.CONNECT)
        # The broker may have this many unacknowledged messages out to us: a whole batch or two (we ack per batch).
        self.connect_properties.ReceiveMaximum = min(max(batch * 2, 20), 65535)
        # Keep our subscription and unacknowledged messages across a restart of this consumer.
        self.connect_properties.SessionExpiryInterval = session_expiry

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        if reason_code.is_failure:
            logger.warning("ingest_mqtt: broker refused the connection: %s", reason_code)
            return
        self.stats.connects += 1
        client.subscribe(self.subscription, options=SubscribeOptions(qos=1))
        logger.info("ingest_mqtt: connected, subscribed to %s", self.subscription)

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties):
        if all(not code.is_failure for code in reason_codes):
            self.subscribed.set()
            if self.on_ready:
                self.on_ready(self.subscription)
        else:
            logger.warning("ingest_mqtt: subscription refused: %s", reason_codes)

    def _on_disconnect(self, client, userdata, flags, reason_code, properties):
        if not self.stopping:
            logger.warning("ingest_mqtt: disconnected (%s); reconnecting", reason_code)

    def _on_message(self, client, userdata, message):
        self.pending.append(Received(message.topic, message.payload, message.mid, message.qos))

    def stop(self, *args) -> None:
        self.stopping = True

    def run(self, *, max_messages: int | None = None, seconds: float | None = None, handle_signals: bool = True):
        if handle_signals:
            signal.signal(signal.SIGTERM, self.stop)
            signal.signal(signal.SIGINT, self.stop)
        ends = time.monotonic() + seconds if seconds else None
        self.client.connect_async(
            self.host, self.port, keepalive=30, clean_start=False, properties=self.connect_properties
        )
        self._reconnect()
        try:
            while not self.stopping:
                if ends and time.monotonic() >= ends:
                    break
                if max_messages is not None and self.stats.messages >= max_messages:
                    break
                want = self.batch if max_messages is None else min(self.batch, max_messages - self.stats.messages)
                batch = self._collect(want, ends)
                if batch:
                    self._ingest(batch)
        finally:
            self.stopping = True
            self.client.disconnect()
            self.client.loop(0.1)
        return self.stats

    # One thread does everything: paho's own network thread would be woken by every acknowledgement and fight this
    # one for the GIL (a few hundred messages a second instead of thousands; bench/README.md "IoT ingestion").
    def _reconnect(self) -> None:
        delay = 1
        while not self.stopping:
            try:
                self.client.reconnect()
                return
            except OSError as exc:
                logger.warning("ingest_mqtt: cannot reach the broker (%s); retrying in %d s", exc, delay)
                time.sleep(delay)
                delay = min(delay * 2, 30)

    def _pump(self, timeout: float) -> None:
        """Read what the broker has sent (waiting up to `timeout` for the first packet), answering pings; reconnect
        when the connection is lost."""
        if self.client.loop(timeout) != mqtt.MQTT_ERR_SUCCESS and not self.stopping:
            time.sleep(0.5)
            self._reconnect()
            return
        # loop() reads one packet per select(); drain what the socket already holds without selecting again.
        self.client.loop_read(self.batch)

    def _collect(self, want: int, ends: float | None) -> list:
        first = time.monotonic() + 0.25
        while not self.pending and not self.stopping and time.monotonic() < first:
            self._pump(0.05)
        if not self.pending:
            return []
        closes = time.monotonic() + self.batch_ms / 1000
        while len(self.pending) < want and not self.stopping:
            now = time.monotonic()
            if now >= closes or (ends and now >= ends):
                break
            self._pump(min(0.02, closes - now))
        batch = self.pending[:want]
        del self.pending[:want]
        return batch

    def _ingest(self, batch: list) -> None:
        events = []
        for message in batch:
            events += events_of(message.topic, message.payload)
        started = time.monotonic()
        # Messages that carry arrays can make a batch of many events: stored `batch` events at a time (the HTTP
        # endpoint's limit too), each part in its transaction; the messages are acknowledged once all are committed.
        for at in range(0, len(events), self.batch):
            self._store(events[at : at + self.batch])
        self.client.ack_all([message.mid for message in batch if message.qos == 1])
        for message in batch:
            if message.qos == 2:
                self.client.ack(message.mid, message.qos)
        self.stats.ingest_seconds += time.monotonic() - started
        self.stats.messages += len(batch)

    def _store(self, events: list) -> None:
        while True:
            try:
                result = ingest_events(events, channel=Channel.MQTT)
                break
            except (DatabaseError, InterfaceError):
                # Nothing of these events was committed (one transaction): wait, reconnect and store them again.
                self.stats.db_retries += 1
                logger.warning("ingest_mqtt: database error; retrying the batch", exc_info=True)
                connection.close()
                time.sleep(min(2 ** min(self.stats.db_retries, 5), 30))
        self.stats.batches += 1
        self.stats.events += result.sent
        self.stats.stored += result.stored
        self.stats.rejected.update(result.rejected)
