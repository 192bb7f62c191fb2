"""IoT ingestion throughput (bench/README.md "IoT ingestion"; target: at least 5,000 events per second over HTTP and
over MQTT on the 2-core machine, every event sent stored or refused: sent = stored + rejected).

    .venv/bin/python bench/iot.py                      # 100,000 devices, 100,000 events per channel
    .venv/bin/python bench/iot.py --skip-data          # reuse the database of the last run

1. Data: the PostgreSQL database `iot_bench` (--database-url) is made anew: `migrate`, `generate_scale_data
   --elevators 2000 --no-history`, then --devices devices (IOT-B-000001 …) bulk-created over those elevators (an
   elevator carries many), each with its own secret (derived from its id, so that this script can sign for it).
2. Events, signed before the clock starts: 98.9 % heartbeats, 1 % alarms (faults: 超速, 运行中开门, 停电 …),
   20 entrapments (incidents through the rescue loop, with their dispatch written to the outbox), 0.1 % with a bad
   signature (refused); each event of a random device.
3. HTTP: gunicorn (2 gthread workers × 2 threads, DEBUG off) on a free loopback port; 4 client threads post
   batches of 500 to POST /api/v1/iot/events/. events/s = events / wall time from the first post to the last answer.
4. MQTT: a private Mosquitto on a free port (anonymous, loopback, no queue limit); two `manage.py ingest_mqtt`
   consumers (--consumers) in one shared-subscription group with persistent sessions; one publisher (paho, QoS 1)
   publishes to <topic>/<device>/events, plus one message in 1,000 that is not JSON. Three rows:
   - mqtt (concurrent): the consumers run while the publisher publishes one event per message; events/s = events /
     wall time from the first publish until the database holds every one (stored rows + refusal counters). The
     publisher competes with the consumers, the broker and PostgreSQL for the same 2 cores.
   - mqtt_backlog (the consumers' capacity): the consumers subscribe and stop; every message is published into the
     broker, which keeps it for their sessions; then the consumers start, and events/s = events / wall time from
     their start (Django's start-up included) until the database holds every one; also without the start-up
     (events_per_s_after_connected). In production the publishers are 100,000 devices elsewhere.
   - mqtt_gateway_backlog: the same with --gateway events of one device per message (a JSON array: a device's
     buffer, or a gateway publishing for it); fewer, larger messages, so not the per-device figure.
5. Check: the answers (HTTP) and the consumers' counts (MQTT) give sent = stored + rejected, and the database holds
   exactly the stored events and counts exactly the refused ones. The 1-minute load average before and after each
   row is recorded (the machine may be shared).

Needs PostgreSQL (default postgres://postgres@127.0.0.1:5432/iot_bench) and the `mosquitto` binary
(`make system-deps`). Standard library and the project's requirements only (paho-mqtt, psycopg2).
"""

import argparse
import hashlib
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
import psycopg2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from iot.signing import signed_event  # noqa: E402  (pure: no Django needed)

HOST = "127.0.0.1"
PYTHON = sys.executable
PATH = "/api/v1/iot/events/"
BATCH = 500
CONSUMER_COUNTS = re.compile(r"(?P<messages>\d+) messages, (?P<events>\d+) events: (?P<stored>\d+) stored")
ALARMS = ["overspeed", "door_open_moving", "stopped_outside_door_zone", "overrun_top", "overrun_bottom", "power_cut"]

DEVICES_SNIPPET = """
import hashlib, json
from django.db import transaction
from iot.models import Device
from registry.models import Elevator
n = %(devices)d
elevators = list(Elevator.objects.order_by("pk").values_list("pk", flat=True))
with transaction.atomic():
    Device.objects.filter(device_id__startswith="IOT-B-").delete()
    rows = []
    for i in range(1, n + 1):
        device_id = f"IOT-B-{i:06d}"
        rows.append(Device(device_id=device_id, elevator_id=elevators[i %% len(elevators)], vendor="bench",
                           secret=hashlib.sha256(f"bench:{device_id}".encode()).hexdigest()))
        if len(rows) == 10000:
            Device.objects.bulk_create(rows); rows = []
    Device.objects.bulk_create(rows)
print(json.dumps({"devices": Device.objects.filter(device_id__startswith="IOT-B-").count(),
                  "elevators": len(elevators)}))
"""


def log(text: str) -> None:
    print(text, flush=True)


def fail(text: str) -> None:
    sys.exit(f"bench/iot.py: {text}")


def secret(device_id: str) -> str:
    return hashlib.sha256(f"bench:{device_id}".encode()).hexdigest()


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def manage(env, *args, timeout=None) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, text=True, capture_output=True, timeout=timeout
    )
    if result.returncode:
        sys.stderr.write(result.stdout[-3000:] + result.stderr[-3000:])
        fail(f"manage.py {' '.join(args)} exited with {result.returncode}")
    return result.stdout


def build(env, url: str, devices: int) -> dict:
    parts = urllib.parse.urlparse(url)
    name = parts.path.lstrip("/")
    admin = psycopg2.connect(
        host=parts.hostname, port=parts.port or 5432, user=parts.username, password=parts.password, dbname="postgres"
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    started = time.monotonic()
    manage(env, "migrate", "--noinput")
    manage(env, "generate_scale_data", "--elevators", "2000", "--no-history")
    out = manage(env, "shell", "-c", DEVICES_SNIPPET % {"devices": devices})
    made = json.loads(out.strip().splitlines()[-1])
    manage(env, "shell", "-c", "from django.db import connection; connection.cursor().execute('VACUUM ANALYZE')")
    made["seconds"] = round(time.monotonic() - started, 1)
    return made


def make_events(n: int, devices: int, tag: str, rng: random.Random, per_device: int = 1) -> list[dict]:
    """n signed events, each of a random device (per_device > 1: runs of per_device events of one device)."""
    now = datetime.now(UTC)
    occurred = (now - timedelta(seconds=30)).isoformat()
    trapped = set(rng.sample(range(n), 20))
    events = []
    for i in range(n):
        if i % per_device == 0:
            device_id = f"IOT-B-{rng.randint(1, devices):06d}"
        roll = rng.random()
        kind = "entrapment" if i in trapped else (rng.choice(ALARMS) if roll < 0.01 else "heartbeat")
        event = signed_event(
            secret(device_id),
            device_id=device_id,
            event_id=f"{tag}-{i}",
            kind=kind,
            occurred_at=occurred,
            payload={"floor": rng.randint(-2, 30)},
        )
        if 0.01 <= roll < 0.011:
            event["signature"] = "0" * 64
        events.append(event)
    return events


def db_counts(url: str, tag: str, channel: str) -> tuple[int, int]:
    """(stored events whose id starts with tag, refusals counted for the channel)."""
    parts = urllib.parse.urlparse(url)
    conn = psycopg2.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username,
        password=parts.password,
        dbname=parts.path.lstrip("/"),
    )
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM iot_deviceevent WHERE event_id LIKE %s", [f"{tag}-%"])
            stored = cursor.fetchone()[0]
            cursor.execute("SELECT coalesce(sum(count), 0) FROM iot_ingestrejection WHERE channel = %s", [channel])
            rejected = cursor.fetchone()[0]
    finally:
        conn.close()
    return stored, int(rejected)


def bench_http(env, url: str, events: list[dict], clients: int) -> dict:
    port = free_port()
    # bench/run.py's server helper; imported here, after iot.signing, because run.py puts bench/ (where this script,
    # also named iot, lives) first on the import path.
    from run import start_gunicorn

    server = start_gunicorn(env, port, workers=2, threads=2)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection((HOST, port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    fail("gunicorn did not start")
                time.sleep(0.3)
        bodies = [json.dumps(events[i : i + BATCH]).encode() for i in range(0, len(events), BATCH)]
        warm = http.client.HTTPConnection(HOST, port, timeout=60)  # one small warm-up batch per worker
        for _ in range(4):
            warm.request("POST", PATH, body=b"[]", headers={"Content-Type": "application/json"})
            warm.getresponse().read()
        totals = {"sent": 0, "stored": 0, "rejected": {}, "statuses": {}}
        lock = threading.Lock()
        queue = list(reversed(bodies))

        def client():
            conn = http.client.HTTPConnection(HOST, port, timeout=120)
            while True:
                with lock:
                    if not queue:
                        return
                    body = queue.pop()
                conn.request("POST", PATH, body=body, headers={"Content-Type": "application/json"})
                response = conn.getresponse()
                answer = json.loads(response.read())
                with lock:
                    totals["statuses"][response.status] = totals["statuses"].get(response.status, 0) + 1
                    totals["sent"] += answer["sent"]
                    totals["stored"] += answer["stored"]
                    for reason, count in answer["rejected"].items():
                        totals["rejected"][reason] = totals["rejected"].get(reason, 0) + count

        started = time.monotonic()
        threads = [threading.Thread(target=client) for _ in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        seconds = time.monotonic() - started
    finally:
        server.terminate()
        server.wait(30)
    stored, rejected = db_counts(url, "http", "http")
    totals.update(
        seconds=round(seconds, 2),
        events_per_s=round(len(events) / seconds),
        db_stored=stored,
        db_rejected=rejected,
        batches=len(bodies),
    )
    return totals


def start_broker() -> tuple[subprocess.Popen, int]:
    broker_bin = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    if not Path(broker_bin).exists():
        fail("no mosquitto binary (make system-deps)")
    port = free_port()
    conf = Path(tempfile.mkdtemp(prefix="iot-bench-")) / "mosquitto.conf"
    conf.write_text(
        f"listener {port} {HOST}\nallow_anonymous true\npersistence false\n"
        "max_queued_messages 0\nmax_inflight_messages 0\nlog_type error\n"
    )
    broker = subprocess.Popen([broker_bin, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while True:
        try:
            with socket.create_connection((HOST, port), timeout=1):
                return broker, port
        except OSError:
            if time.monotonic() > deadline or broker.poll() is not None:
                fail("mosquitto did not start")
            time.sleep(0.1)


def start_consumers(env, port: int, topic: str, consumers: int) -> list[subprocess.Popen]:
    """`manage.py ingest_mqtt` processes with stable client ids (persistent sessions: a stopped consumer's share of the
    messages waits in the broker for it)."""
    return [
        subprocess.Popen(
            [
                PYTHON,
                "manage.py",
                "ingest_mqtt",
                *("--port", str(port), "--topic", topic, "--group", "bench", "--client-id", f"{topic}-c{n}"),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in range(consumers)
    ]


def wait_subscribed(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        line = proc.stdout.readline()
        if "subscribed" not in line:
            fail(f"consumer did not subscribe: {line!r}")


def stop_consumers(procs: list[subprocess.Popen]) -> list[str]:
    """SIGTERM (the batch in hand is finished), then each consumer's last line (its counts)."""
    outputs = []
    for proc in procs:
        proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            out, _ = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
        outputs.append(out.strip().splitlines()[-1] if out and out.strip() else "")
    return outputs


def mqtt_messages(topic: str, events: list[dict], per_message: int) -> list[tuple[str, str]]:
    """One message per event (a device's own), or per_message events of one device as a JSON array (a device's
    buffer, or a gateway publishing for it: iot.mqtt.events_of takes an array of events of the topic's device); plus
    one message in 1,000 that is not JSON."""
    if per_message == 1:
        messages = [(f"{topic}/{e['device_id']}/events", json.dumps(e)) for e in events]
    else:
        messages = [
            (f"{topic}/{events[i]['device_id']}/events", json.dumps(events[i : i + per_message]))
            for i in range(0, len(events), per_message)
        ]
    for k in range(max(len(messages) // 1000, 1)):
        messages.insert(k * 997 % len(messages), (f"{topic}/IOT-B-000001/events", "{not json"))
    return messages


def publish(port: int, messages: list[tuple[str, str]]) -> float:
    """Publish with QoS 1 until the broker has acknowledged every message; the seconds it took. paho without its
    network thread: the client's loop runs every 200 messages (twice as fast as loop_start(), whose thread fights this
    one for the GIL); no in-flight limit but the 16-bit message ids."""
    publisher = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    publisher.max_inflight_messages_set(0)
    publisher.connect(HOST, port)
    started = time.monotonic()
    infos = []
    for t, body in messages:
        infos.append(publisher.publish(t, body, qos=1))
        if len(infos) % 200 == 0:
            publisher.loop(0)
        while len(infos) > 30000 and not infos[-30000].is_published():  # message ids are 16-bit
            publisher.loop(0.01)
    while not all(info.is_published() for info in infos[-1000:]):
        publisher.loop(0.01)
    seconds = time.monotonic() - started
    publisher.disconnect()
    return seconds


def wait_stored(url: str, tag: str, sent: int, rejected_before: int, started: float) -> float:
    """Seconds from `started` until the database holds every event sent (stored rows + refusal counters)."""
    while True:
        stored, rejected = db_counts(url, tag, "mqtt")
        if stored + rejected - rejected_before >= sent:
            return time.monotonic() - started
        if time.monotonic() - started > 600:
            fail(f"MQTT: after 600 s only {stored} stored + {rejected - rejected_before} rejected of {sent}")
        time.sleep(0.05)


def bench_mqtt(env, url: str, events: list[dict], consumers: int, *, backlog: bool, per_message: int = 1) -> dict:
    """concurrent (backlog False): the consumers run while one publisher publishes; the time runs from the first
    publish until the database holds every event; the publisher, the broker, the consumers and PostgreSQL share the
    2 cores. backlog: the consumers subscribe (persistent sessions) and stop; everything is published into the broker
    for them; then they start, and the time runs from their start until the database holds every event (the
    consumers' capacity: the devices that publish are elsewhere)."""
    broker, port = start_broker()
    tag = events[0]["event_id"].rsplit("-", 1)[0]
    topic = f"iotbench{uuid.uuid4().hex[:6]}"
    messages = mqtt_messages(topic, events, per_message)
    sent = len(events) + sum(1 for _, body in messages if body == "{not json")
    _, rejected_before = db_counts(url, tag, "mqtt")
    procs = []
    try:
        procs = start_consumers(env, port, topic, consumers)
        wait_subscribed(procs)
        if backlog:
            stop_consumers(procs)
            procs = []
            published = publish(port, messages)
            started = time.monotonic()
            procs = start_consumers(env, port, topic, consumers)
            wait_subscribed(procs)
            connected = time.monotonic() - started
            seconds = wait_stored(url, tag, sent, rejected_before, started)
        else:
            started = time.monotonic()
            published = publish(port, messages)
            connected = 0.0
            seconds = wait_stored(url, tag, sent, rejected_before, started)
    finally:
        outputs = stop_consumers(procs)
        broker.terminate()
        broker.wait(10)
    time.sleep(0.5)
    stored, rejected = db_counts(url, tag, "mqtt")
    result = {
        "mode": "backlog" if backlog else "concurrent",
        "events_per_message": per_message,
        "sent": sent,
        "messages": len(messages),
        "seconds": round(seconds, 2),
        "events_per_s": round(sent / seconds),
        "publish_seconds": round(published, 2),
        "db_stored": stored,
        "db_rejected": rejected - rejected_before,
        "consumers": outputs,
    }
    if backlog:
        # The consumers' start-up (Django, connecting) is in `seconds`; without it:
        result["seconds_after_connected"] = round(seconds - connected, 2)
        result["events_per_s_after_connected"] = round(sent / (seconds - connected))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/iot_bench")
    parser.add_argument("--devices", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=100_000, help="per channel")
    parser.add_argument("--clients", type=int, default=4, help="HTTP client threads")
    parser.add_argument("--consumers", type=int, default=2, help="ingest_mqtt processes")
    parser.add_argument("--skip-data", action="store_true", help="reuse the database (its events are deleted)")
    parser.add_argument("--only", choices=["http", "mqtt"], default=None)
    parser.add_argument(
        "--gateway", type=int, default=10, help="events per message in the MQTT gateway row (0: no such row)"
    )
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL",)}
    env.update(
        DATABASE_URL=args.database_url,
        DJANGO_SETTINGS_MODULE="elevator_portal.settings",
        DEBUG="false",
        SECRET_KEY="iot-bench-" + "x" * 50,
        SECURE_SSL_REDIRECT="false",  # plain HTTP on loopback, as in bench/run.py
        ALLOWED_HOSTS=HOST,
        LOG_LEVEL="WARNING",
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
        OUTBOX_KICK="false",  # the entrapments' dispatch stays in the outbox; no broker needed
        PYTHONUNBUFFERED="1",
    )
    if args.skip_data:
        manage(
            env,
            "shell",
            "-c",
            "from iot.models import *; from maintenance.models import Fault; "
            "DeviceEvent.objects.all().delete(); IngestRejection.objects.all().delete()",
        )
        data = {"reused": True}
    else:
        log(f"data: {args.devices:,} devices on 2,000 elevators in {args.database_url} …")
        data = build(env, args.database_url, args.devices)
    log(f"data: {data}")
    rng = random.Random(24476)
    results = {"data": data, "devices": args.devices, "events": args.events, "cpus": os.cpu_count()}
    runs = [("http", "http", {})]
    runs += [("mqtt", "mqtt", {"backlog": False}), ("mqtt_backlog", "mqttb", {"backlog": True})]
    if args.gateway > 1:
        runs.append(("mqtt_gateway_backlog", "mqttg", {"backlog": True, "per_message": args.gateway}))
    for name, tag, options in runs:
        if args.only and not name.startswith(args.only):
            continue
        per_device = options.get("per_message", 1)
        events = make_events(args.events, args.devices, tag, rng, per_device=per_device)
        log(f"{name}: {len(events):,} signed events ready; load average {os.getloadavg()[0]:.2f}")
        load = os.getloadavg()[0]
        if name == "http":
            r = bench_http(env, args.database_url, events, args.clients)
            ok = r["sent"] == r["stored"] + sum(r["rejected"].values()) == len(events)
            ok = ok and r["db_stored"] == r["stored"] and r["db_rejected"] == sum(r["rejected"].values())
        else:
            r = bench_mqtt(env, args.database_url, events, args.consumers, **options)
            counted = [CONSUMER_COUNTS.search(line) for line in r["consumers"]]
            ok = r["db_stored"] + r["db_rejected"] == r["sent"] and all(counted)
            # the consumers' own counts: every event they took, stored or refused, and the same stored as the rows
            ok = ok and sum(int(m["events"]) for m in counted) == r["sent"]
            ok = ok and sum(int(m["stored"]) for m in counted) == r["db_stored"]
        r["sent_equals_stored_plus_rejected"] = ok
        r["load_average_1min"] = {"before": round(load, 2), "after": round(os.getloadavg()[0], 2)}
        results[name] = r
        met = "met" if r["events_per_s"] >= 5000 else "missed"
        log(
            f"{name}: {r['events_per_s']:,} events/s ({r['seconds']} s) target ≥ 5,000: {met}; "
            f"sent = stored + rejected: {ok}"
        )
        log(f"{name}: {json.dumps(r, ensure_ascii=False)}")
        if not ok:
            fail(f"{name}: events lost or counted twice")
    out = ROOT / "bench" / "results" / f"{datetime.now(UTC):%Y-%m-%d}-iot.json"
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2))
    log(f"written: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
