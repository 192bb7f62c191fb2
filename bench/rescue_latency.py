"""Report-to-delivered latency of the rescue loop (bench/README.md "Rescue loop"; docs/rules.md "Entrapment rescue
loop"): a resident posts "someone is trapped" on the public form; the incident and its dispatch messages are written
in the request's transaction; on commit a Celery worker (fast queue, real Redis broker) is kicked and delivers them.
Latency per report = the moment the last dispatch message of the incident is recorded delivered − the moment the
POST was sent. Target (issue 13): p95 < 1 s at S.

`rescue_latency(port, env, codes, started)` is a step of bench/run.py (it starts and stops its own Celery worker);
by hand, against a database that already has data, it starts its own gunicorn too:

    python bench/rescue_latency.py --database-url postgres://postgres@127.0.0.1:5432/elevator_bench [--reports 200]

The abuse protection is met as in bench/intake.py: a real signed `started` token, a CSRF cookie and field, the
honeypot empty; the trapped reports' own per-address limit (RESCUE_REPORTS_PER_HOUR) is lifted by bench/run.py's
environment, since every post comes from 127.0.0.1.
"""

import http.client
import secrets
import statistics
import string
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

from shell import shell_json  # bench/shell.py

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
CSRF_ALPHABET = string.ascii_letters + string.digits

# Elevators with a maintenance firm and no entrapment open now: each report opens a new incident and dispatches it.
CODES_SNIPPET = """
import json, random
from django.utils import timezone
from maintenance.models import Fault
from registry.models import Elevator
from rescue.selectors import open_incident_q
busy = Fault.objects.filter(open_incident_q(now=timezone.now())).values("elevator_id")
ids = list(Elevator.objects.filter(maintenance_firm__isnull=False, status="in_use").exclude(pk__in=busy)
           .values_list("pk", flat=True)[:200000])
picked = random.Random(11).sample(ids, min(%(n)d, len(ids)))
print(json.dumps(list(Elevator.objects.filter(pk__in=picked).values_list("registration_code", flat=True))))
"""

# For each code, the incident opened after the bench started and the delivery of its dispatch messages.
RESULT_SNIPPET = """
import json
from django.db.models import Max, Min, Count, Q
from maintenance.models import Fault
from notifications.models import OutboxMessage
codes = %(codes)r
since = %(since)r
from datetime import datetime, timezone as tz
since = datetime.fromtimestamp(since, tz.utc)
faults = dict(Fault.objects.filter(elevator__registration_code__in=codes, kind="entrapment", created_at__gte=since)
              .values_list("elevator__registration_code", "pk"))
out = {}
for code, pk in faults.items():
    rows = OutboxMessage.objects.filter(subject_key=f"fault:{pk}", key__contains=":dispatch:").aggregate(
        n=Count("pk"), pending=Count("pk", filter=Q(state="pending")), written=Min("created_at"),
        delivered=Max("delivered_at"))
    out[code] = {"messages": rows["n"], "pending": rows["pending"],
                 "written": rows["written"].timestamp() if rows["written"] else None,
                 "delivered": rows["delivered"].timestamp() if rows["delivered"] else None}
print(json.dumps(out))
"""


def _post_trapped(port: int, code: str, started: str, csrf: str) -> int:
    body = urllib.parse.urlencode(
        {
            "csrfmiddlewaretoken": csrf,
            "trapped_now": "yes",
            "category": "",
            "started": started,
            "website": "",
            "elevator_code": code,
            "description": "基准测试：电梯困人，一人被困轿厢内。",
        }
    )
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    connection.request(
        "POST",
        "/complaints/new/",
        body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={csrf}"},
    )
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def rescue_latency(port: int, env: dict, *, started: str, reports: int = 200, gap: float = 0.05) -> dict:
    """Post `reports` trapped reports one after another (`gap` seconds apart) with a Celery worker running, and
    return p50/p95/max of report → delivered and of written → delivered, in milliseconds."""
    codes = shell_json(env, CODES_SNIPPET % {"n": reports})
    worker = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "celery"),
            "-A",
            "elevator_portal",
            "worker",
            "--queues",
            "fast",
            "--concurrency",
            "2",
            "--loglevel",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
    )
    csrf = "".join(secrets.choice(CSRF_ALPHABET) for _ in range(32))
    sent: dict[str, float] = {}
    statuses: dict[int, int] = {}
    since = time.time()
    try:
        time.sleep(6)  # the worker connects to the broker
        for code in codes:
            t0 = time.time()
            status = _post_trapped(port, code, started, csrf)
            statuses[status] = statuses.get(status, 0) + 1
            sent[code] = t0
            time.sleep(gap)
        deadline = time.monotonic() + 120
        while True:
            found = shell_json(env, RESULT_SNIPPET % {"codes": codes, "since": since - 5})
            pending = sum(r["pending"] for r in found.values()) + (len(codes) - len(found))
            if not pending or time.monotonic() > deadline:
                break
            time.sleep(2)
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
    end_to_end = [(r["delivered"] - sent[c]) * 1000 for c, r in found.items() if r["delivered"] and not r["pending"]]
    written = [(r["delivered"] - r["written"]) * 1000 for r in found.values() if r["delivered"] and not r["pending"]]
    result = {
        "reports": len(codes),
        "statuses": statuses,
        "incidents": len(found),
        "messages": sum(r["messages"] for r in found.values()),
        "undelivered_incidents": len(codes) - len(end_to_end),
    }
    if end_to_end:
        result.update(
            p50_ms=statistics.median(end_to_end),
            p95_ms=_percentile(end_to_end, 95),
            max_ms=max(end_to_end),
            written_p50_ms=statistics.median(written),
            written_p95_ms=_percentile(written, 95),
        )
    return result


def main() -> None:
    import argparse
    import os

    import run  # bench/run.py: the server, environment and database helpers

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=run.DEFAULT_DB)
    parser.add_argument("--redis-url", default=run.DEFAULT_REDIS)
    parser.add_argument("--reports", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    os.chdir(ROOT)
    env = run.bench_env(args)
    run.reset_redis(args.redis_url)
    run.manage(env, "migrate", "--noinput", "-v", "0")
    started = shell_json(env, run.SETUP_SNIPPET)["started"]
    port = run.free_port()
    server = run.start_gunicorn(env, port, workers=args.workers, threads=args.threads)
    try:
        run.wait_for(port, server)
        result = rescue_latency(port, env, started=started, reports=args.reports)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(result)


if __name__ == "__main__":
    main()
