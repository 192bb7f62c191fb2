"""IoT ingestion (GB/T 24476-2017; plan §2(14)): the HTTP batch endpoint, each refusal, the rescue loop and faults,
heartbeats and the offline report, the MQTT consumer against the real broker, and a constant number of queries."""

import json
import socket
import threading
import uuid
from datetime import timedelta

import paho.mqtt.client as mqtt
import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import access
from iot.choices import Channel, EventKind, Outcome, Reason
from iot.jobs import check_devices
from iot.models import Device, DeviceEvent, IngestRejection
from iot.mqtt import Consumer
from iot.services import ingest_events
from iot.signing import signed_event
from maintenance.choices import FaultKind, FaultSource
from maintenance.models import Fault
from notifications.models import OutboxMessage
from rescue.models import IncidentReport

from ..factories import ElevatorFactory, user_with_role

URL = "/api/v1/iot/events/"


def stamp(moment) -> str:
    return timezone.localtime(moment).isoformat()


def device(elevator, device_id="DEV-1", **extra) -> Device:
    return Device.objects.create(device_id=device_id, elevator=elevator, secret=f"secret-{device_id}", **extra)


def event(dev: Device, event_id: str, kind=EventKind.HEARTBEAT, occurred=None, payload=None) -> dict:
    occurred = occurred or timezone.now() - timedelta(seconds=5)
    return signed_event(
        dev.secret,
        device_id=dev.device_id,
        event_id=event_id,
        kind=kind,
        occurred_at=stamp(occurred),
        payload=payload if payload is not None else {"floor": 3},
    )


def post(client, body):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(URL, data=data, content_type="application/json")


@pytest.fixture
def dev(world):
    return device(world["a"])


def test_the_address_is_the_documented_one():
    assert reverse("iot:events") == URL


def test_http_batch_stores_every_event_and_replay_creates_nothing(client, world, dev):
    other = device(world["b"], "DEV-2")
    batch = [event(dev, f"hb-{n}") for n in range(3)] + [
        event(other, "door-1", EventKind.DOOR_OPEN_MOVING),
        event(other, "power-1", EventKind.POWER_CUT),
    ]
    response = post(client, batch)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["sent"] == 5 and body["stored"] == 5 and body["rejected"] == {}
    assert [r["status"] for r in body["results"]] == ["stored"] * 5
    assert DeviceEvent.objects.count() == 5
    faults = Fault.objects.filter(source=FaultSource.IOT).order_by("external_ref")
    assert [(f.kind, f.external_ref, f.elevator_id, f.firm_id) for f in faults] == [
        (FaultKind.DOOR, "DEV-2:door-1", world["b"].pk, world["firm_b"].pk),
        (FaultKind.STOPPED, "DEV-2:power-1", world["b"].pk, world["firm_b"].pk),
    ]
    assert DeviceEvent.objects.get(event_id="door-1").fault == faults[0]
    dev.refresh_from_db()
    assert dev.online and dev.last_seen_at is not None

    again = post(client, batch)
    assert again.status_code == 207
    assert again.json()["stored"] == 0 and again.json()["rejected"] == {"replay": 5}
    assert DeviceEvent.objects.count() == 5 and Fault.objects.count() == 2
    assert IngestRejection.objects.get(channel=Channel.HTTP, reason=Reason.REPLAY).count == 5


def test_each_refusal_has_its_reason_and_none_is_lost(world, dev):
    now = timezone.now()
    unknown = Device(device_id="NOPE", secret="x")
    bad_signature = event(dev, "bad-sig")
    bad_signature["signature"] = "0" * 64
    tampered = event(dev, "tampered", payload={"floor": 3})
    tampered["payload"] = {"floor": 4}
    naive = event(dev, "naive")
    naive["occurred_at"] = "2026-12-01T09:00:00"
    batch = [
        "not an event",
        None,
        {"device_id": "DEV-1"},
        naive,
        {**event(dev, "kind"), "kind": "explosion"},
        {**event(dev, "big"), "payload": {"x": "y" * (settings.IOT_PAYLOAD_MAX_BYTES + 1)}},
        {**event(dev, "nested"), "payload": [1, 2]},
        event(unknown, "who"),
        bad_signature,
        tampered,
        event(dev, "future", occurred=now + timedelta(seconds=settings.IOT_CLOCK_SKEW_SECONDS + 60)),
        event(dev, "old", occurred=now - timedelta(hours=settings.IOT_MAX_EVENT_AGE_HOURS, minutes=1)),
        event(dev, "twice"),
        event(dev, "twice"),
        event(dev, "fine", occurred=now + timedelta(seconds=30)),  # within the skew
    ]
    result = ingest_events(batch, channel=Channel.MQTT, now=now)
    assert result.rejected == {
        "malformed": 7,
        "unknown_device": 1,
        "bad_signature": 2,
        "future": 1,
        "too_old": 1,
        "replay": 1,
    }
    assert result.stored == 2 and result.sent == len(batch) == result.stored + result.rejected_total
    assert [r.status for r in result.results][-3:] == ["stored", "rejected", "stored"]
    assert set(DeviceEvent.objects.values_list("event_id", flat=True)) == {"twice", "fine"}
    counts = dict(IngestRejection.objects.filter(channel="mqtt").values_list("reason", "count"))
    assert counts == result.rejected
    ingest_events(["again"], channel=Channel.MQTT, now=now)  # counters add up
    assert IngestRejection.objects.get(channel="mqtt", reason="malformed").count == 8


def test_bad_input_never_raises(world, dev):
    for batch in ([], "text", 42, {"a": 1}, [[1]], [{"device_id": 5, "event_id": [], "kind": None}], [float("nan")]):
        result = ingest_events(batch, channel=Channel.HTTP)
        assert result.sent == result.stored + result.rejected_total


def test_http_refuses_a_body_that_is_not_a_json_array(client, world, settings):
    for body in ("{", '{"device_id": "x"}', "42", ""):
        response = post(client, body)
        assert response.status_code == 400
        assert response.json()["error"] == "请求体必须是由事件组成的JSON数组。"
    settings.IOT_BATCH_MAX_EVENTS = 2
    assert post(client, [{}, {}, {}]).status_code == 400
    settings.IOT_HTTP_MAX_BYTES = 100
    assert post(client, [{"x": "y" * 200}]).status_code == 413
    assert client.get(URL).status_code == 405


def test_http_needs_no_session_or_csrf(world, dev):
    from django.test import Client

    response = post(Client(enforce_csrf_checks=True), [event(dev, "hb")])
    assert response.status_code == 200


def test_entrapment_opens_one_incident_and_another_device_joins_it(world, dev):
    second = device(world["a"], "DEV-1B")
    first = ingest_events([event(dev, "trap-1", EventKind.ENTRAPMENT)], channel=Channel.HTTP)
    assert first.stored == 1 and first.incidents_opened == 1
    fault = Fault.objects.get(kind=FaultKind.ENTRAPMENT, elevator=world["a"])
    assert fault.source == FaultSource.IOT and fault.reports == 1
    assert OutboxMessage.objects.exists()  # the firm was dispatched
    joined = ingest_events([event(second, "trap-9", EventKind.ENTRAPMENT)], channel=Channel.HTTP)
    assert joined.stored == 1 and joined.incidents_opened == 0
    fault.refresh_from_db()
    assert fault.reports == 2 and Fault.objects.filter(kind=FaultKind.ENTRAPMENT).count() == 1
    assert list(IncidentReport.objects.order_by("pk").values_list("external_ref", flat=True)) == [
        "DEV-1:trap-1",
        "DEV-1B:trap-9",
    ]
    assert set(DeviceEvent.objects.values_list("fault_id", "outcome")) == {(fault.pk, Outcome.INCIDENT)}
    # The same event again: nothing new.
    replay = ingest_events([event(dev, "trap-1", EventKind.ENTRAPMENT)], channel=Channel.HTTP)
    assert replay.rejected == {"replay": 1}
    fault.refresh_from_db()
    assert fault.reports == 2 and IncidentReport.objects.count() == 2


def test_every_alarm_kind_is_a_fault(world, dev):
    kinds = [k for k in EventKind.values if k not in (EventKind.ENTRAPMENT, EventKind.HEARTBEAT)]
    result = ingest_events([event(dev, f"e-{k}", k) for k in kinds], channel=Channel.HTTP)
    assert result.stored == len(kinds) == result.faults
    assert Fault.objects.filter(source=FaultSource.IOT, elevator=world["a"]).count() == len(kinds)
    assert Fault.objects.get(external_ref="DEV-1:e-power_cut").cause == "external"
    assert not Fault.objects.filter(kind=FaultKind.ENTRAPMENT).exists()


def test_heartbeat_brings_a_device_online_and_offline_is_reported_once(world, dev):
    firm_user = world["users"]["maintenance"]
    long_ago = timezone.now() - timedelta(minutes=settings.IOT_OFFLINE_MINUTES + 5)
    Device.objects.filter(pk=dev.pk).update(last_seen_at=long_ago, online=True, registered_at=long_ago)
    fresh = device(world["a"], "DEV-FRESH", last_seen_at=timezone.now(), online=True)

    run = check_devices()
    assert (run.silent, run.reported) == (1, 1)
    dev.refresh_from_db()
    assert not dev.online and dev.offline_reported_at is not None
    mine = OutboxMessage.objects.filter(recipient=firm_user)
    assert set(mine.values_list("channel", flat=True)) == {"inbox", "email"}  # the firm's login: inbox and e-mail
    assert "DEV-1" in mine.get(channel="inbox").body
    outsiders = OutboxMessage.objects.filter(recipient__isnull=False).exclude(recipient__organization=world["firm_a"])
    assert not outsiders.exists()
    assert check_devices().reported == 0  # once per silence
    fresh.refresh_from_db()
    assert fresh.online and fresh.offline_reported_at is None

    ingest_events([event(dev, "hb-back")], channel=Channel.MQTT)
    dev.refresh_from_db()
    assert dev.online and dev.offline_reported_at is None
    Device.objects.filter(pk=dev.pk).update(last_seen_at=long_ago)
    assert check_devices().reported == 1  # a new silence is reported again


def test_offline_job_is_safe_on_two_workers(world, dev):
    long_ago = timezone.now() - timedelta(hours=2)
    Device.objects.filter(pk=dev.pk).update(last_seen_at=long_ago)
    now = timezone.now()
    first, second = check_devices(now=now), check_devices(now=now + timedelta(seconds=1))
    assert first.reported + second.reported == 1
    assert OutboxMessage.objects.filter(key__startswith="iot-offline", channel="inbox").count() == 1


def test_devices_are_seen_by_their_scope(world, dev):
    other = device(world["b"], "DEV-B")
    users = world["users"]
    assert set(access.devices_for(users["maintenance"])) == {dev}
    assert set(access.devices_for(users["maintenance_b"])) == {other}
    assert set(access.devices_for(users["rescue_centre"])) == {dev, other}
    assert access.can_manage_devices(users["maintenance"], world["a"])
    assert not access.can_manage_devices(users["maintenance"], world["b"])
    assert not access.can_manage_devices(users["use_unit"])
    assert access.can_manage_devices(user_with_role("city_regulator"))


def test_queries_do_not_grow_with_the_batch(world):
    elevators = [world["a"]] + [ElevatorFactory() for _ in range(3)]
    devices = [device(elevators[n % 4], f"Q-{n}") for n in range(60)]

    def batch(tag, size):
        return [
            event(devices[n], f"{tag}-{n}", EventKind.OVERSPEED if n % 3 == 0 else EventKind.HEARTBEAT)
            for n in range(size)
        ] + [{"bad": True}, event(devices[0], f"{tag}-0")]

    counts = []
    for tag, size in (("small", 4), ("large", 60)):
        with CaptureQueriesContext(connection) as queries:
            result = ingest_events(batch(tag, size), channel=Channel.HTTP)
        assert result.stored == size and result.rejected == {"malformed": 1, "replay": 1}
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_demo_devices_and_replay_command(world):
    from django.core.management import call_command

    from iot.demo import seed_iot_demo

    seed_iot_demo(elevators=[world["a"], world["b"]])
    seed_iot_demo(elevators=[world["a"], world["b"]])
    assert Device.objects.count() == 2
    call_command("replay_iot_events")
    # Samples for PZH-IOT-0001/0002 are stored (heartbeats, a door alarm, an entrapment), the others unknown here.
    assert DeviceEvent.objects.count() == 4
    assert Fault.objects.filter(kind=FaultKind.ENTRAPMENT, elevator=world["a"]).count() == 1
    call_command("replay_iot_events")
    assert DeviceEvent.objects.count() == 4


def broker_up() -> bool:
    try:
        with socket.create_connection((settings.IOT_MQTT_HOST, settings.IOT_MQTT_PORT), timeout=1):
            return True
    except OSError:
        return False


@pytest.mark.slow
@pytest.mark.skipif(not broker_up(), reason="no MQTT broker at IOT_MQTT_HOST:IOT_MQTT_PORT (CI starts Mosquitto)")
def test_mqtt_consumer_stores_what_devices_publish(world, dev):
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    consumer = Consumer(
        host=settings.IOT_MQTT_HOST,
        port=settings.IOT_MQTT_PORT,
        topic=prefix,
        group="tests",
        batch=50,
        batch_ms=100,
        client_id=f"{prefix}-consumer",
        session_expiry=0,
    )
    messages = [json.dumps(event(dev, f"m-{n}")) for n in range(20)]
    messages.append(json.dumps([event(dev, "arr-1"), event(dev, "arr-2", EventKind.OVERSPEED)]))
    messages.append("{not json")
    messages.append(json.dumps(event(dev, "m-0")))  # a resend
    other_topic = json.dumps(event(dev, "spoof"))

    def publish():
        assert consumer.subscribed.wait(10)
        publisher = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        publisher.connect(settings.IOT_MQTT_HOST, settings.IOT_MQTT_PORT)
        publisher.loop_start()
        for body in messages:
            publisher.publish(f"{prefix}/{dev.device_id}/events", body, qos=1).wait_for_publish(5)
        publisher.publish(f"{prefix}/SOMEONE-ELSE/events", other_topic, qos=1).wait_for_publish(5)
        publisher.disconnect()
        publisher.loop_stop()

    thread = threading.Thread(target=publish)
    thread.start()
    stats = consumer.run(max_messages=len(messages) + 1, seconds=30, handle_signals=False)
    thread.join()
    assert stats.messages == len(messages) + 1
    assert stats.events == 25 and stats.stored == 22
    assert stats.rejected == {"malformed": 2, "replay": 1}
    assert DeviceEvent.objects.filter(device=dev).count() == 22
    assert Fault.objects.filter(external_ref="DEV-1:arr-2", source=FaultSource.IOT).exists()


def publish_packet(topic: str, payload: bytes, *, mid: int = 0, properties: bytes = b"") -> dict:
    """A PUBLISH packet as paho holds it after reading the fixed header (MQTT 5 §3.3)."""
    length = len(properties)
    varint = bytearray()
    while True:
        byte, length = length & 0x7F, length >> 7
        varint.append(byte | (0x80 if length else 0))
        if not length:
            break
    body = len(topic).to_bytes(2, "big") + topic.encode() + (mid.to_bytes(2, "big") if mid else b"")
    return {"command": 0x30 | (0x02 if mid else 0), "packet": body + bytes(varint) + properties + payload}


def test_the_lean_publish_skips_properties_and_acks_a_batch_in_one_write():
    from iot.mqtt import LeanClient, Received

    client = LeanClient(mqtt.CallbackAPIVersion.VERSION2, client_id="lean", protocol=mqtt.MQTTv5, manual_ack=True)
    # A content type (3) and a user property (38) long enough that the properties' length takes two bytes.
    properties = b"\x03" + (16).to_bytes(2, "big") + b"application/json" + b"\x26" + (3).to_bytes(2, "big") + b"gwy"
    properties += (120).to_bytes(2, "big") + b"v" * 120
    for packet, expected in (
        (publish_packet("pzh/D-1/events", b'{"a": 1}', mid=513, properties=properties), (513, 1)),
        (publish_packet("pzh/D-1/events", b"[]"), (0, 0)),
    ):
        client._in_packet = packet
        assert client._handle_publish() == mqtt.MQTT_ERR_SUCCESS
        assert (client.received[-1].mid, client.received[-1].qos) == expected
    assert client.received[0] == Received("pzh/D-1/events", b'{"a": 1}', 513, 1)
    assert client.received[1].payload == b"[]"
    client._in_packet = {"command": 0x32, "packet": b"\x00\x09pzh/D-1/"}  # truncated: a protocol error, no crash
    assert client._handle_publish() == mqtt.MQTT_ERR_PROTOCOL

    client.ack_all([1, 258])
    queued = client._out_packet[-1]
    assert queued["packet"] == b"\x40\x02\x00\x01\x40\x02\x01\x02"  # two PUBACKs, one write


def test_a_message_of_many_events_is_stored_batch_events_a_transaction(world, dev):
    from iot.mqtt import Received

    consumer = Consumer(host="127.0.0.1", port=1, topic="pzh", group="tests", batch=2, client_id="chunks")
    message = json.dumps([event(dev, f"g-{n}") for n in range(5)] + [event(dev, "g-0")]).encode()
    consumer._ingest([Received(f"pzh/{dev.device_id}/events", message, 7, 1), Received("pzh/X/events", b"{", 8, 1)])
    stats = consumer.stats
    assert (stats.messages, stats.events, stats.stored, stats.batches) == (2, 7, 5, 4)
    assert stats.rejected == {"replay": 1, "malformed": 1}
    assert DeviceEvent.objects.filter(device=dev).count() == 5
    assert consumer.client._out_packet[-1]["packet"] == b"\x40\x02\x00\x07\x40\x02\x00\x08"
