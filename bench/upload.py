"""Bulk maintenance-record upload throughput (bench/README.md target: at least 5,000 records per second).

A maintenance firm's system posts batches of realistic records (the checklist of each record's tier, one or two
certified workers of the firm, the signer among them, times in the last two weeks) to
`POST /api/v1/maintenance-records/bulk/` with an Idempotency-Key header, for elevators the firm maintains.
Standard library only, like bench/run.py, which uses it after it has started gunicorn:

    setup = shell_json(env, UPLOAD_SETUP_SNIPPET % {"username": "weibao"})
    payloads = build_payloads(setup)                       # 22 batches of 500: 2 warm-up + 20 measured
    result = bulk_upload_throughput(port, setup["token"], payloads)
    check = shell_json(env, upload_check_code(result["ids"], RESULTS / "upload-ids.tmp"))

By hand, against a server already running (the environment must name the same database as the server):

    .venv/bin/python bench/upload.py --port 8000
"""

import argparse
import datetime as dt
import http.client
import json
import os
import random
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

from shell import shell_json  # bench/shell.py

HOST = "127.0.0.1"
PATH = "/api/v1/maintenance-records/bulk/"
BATCHES, BATCH_SIZE, WARMUP = 20, 500, 2  # the server refuses more than BULK_UPLOAD_MAX_RECORDS (500) per batch
CONCURRENCY = 2  # one client per gunicorn sync worker

# Format with {"username": ...} (a maintenance firm's user, e.g. "weibao"). Prints one JSON line: {"token", "firm_id",
# "elevators": [registration codes], "workers": [person ids], "checklist": {tier: [item ids]}, "records": count}: the
# user's new API token (stored hashed, so a new one each run), elevators its firm maintains today, the firm's
# maintenance workers whose certificate is valid today (so on every day of the last two weeks too), the active
# checklist per tier, and how many maintenance records the database holds.
UPLOAD_SETUP_SNIPPET = """
import json
from django.utils import timezone
from accounts.models import ApiToken
from accounts.models import User
from maintenance.models import ChecklistItem, MaintenanceRecord
from registry.choices import PersonKind
from registry.models import Elevator, Person
user = User.objects.get(username=%(username)r)
token = ApiToken.objects.create(user=user, name="bench")  # stored hashed: a new key each run
firm = user.organization_id
# At most 50,000 (ample for distinct elevators in a run; the output stays small at scale L).
codes = list(Elevator.objects.filter(maintenance_firm_id=firm).order_by("pk")
             .values_list("registration_code", flat=True)[:50000])
workers = list(Person.objects.filter(organization_id=firm, kind=PersonKind.MAINTENANCE_WORKER,
                                     certificate_valid_until__gte=timezone.localdate()).order_by("pk")
               .values_list("pk", flat=True))
checklist = {}
for tier, pk in ChecklistItem.objects.filter(is_active=True).order_by("tier", "order", "pk").values_list("tier", "pk"):
    checklist.setdefault(tier, []).append(pk)
print(json.dumps({"token": token.key, "firm_id": firm, "elevators": codes, "workers": workers,
                  "checklist": checklist, "records": MaintenanceRecord.objects.count()}))
"""

# Format with {"path": ...} (a file holding a JSON list of record ids; upload_check_code writes it). Prints one JSON
# line: {"wanted", "found", "items", "workers", "missing": [at most 20 ids]}: how many of the records are in the
# database, with how many checklist rows and worker rows.
UPLOAD_CHECK_SNIPPET = """
import json
from maintenance.models import MaintenanceRecord, RecordItem
wanted = set(json.load(open(%(path)r)))
found, items, workers = set(), 0, 0
ids = sorted(wanted)
for start in range(0, len(ids), 5000):
    chunk = ids[start:start + 5000]
    found |= set(MaintenanceRecord.objects.filter(pk__in=chunk).values_list("pk", flat=True))
    items += RecordItem.objects.filter(record_id__in=chunk).count()
    workers += MaintenanceRecord.workers.through.objects.filter(maintenancerecord_id__in=chunk).count()
print(json.dumps({"wanted": len(wanted), "found": len(found), "items": items, "workers": workers,
                  "missing": sorted(wanted - found)[:20]}))
"""

# A realistic mix: mostly half-monthly visits, the larger tiers in their season, a few repairs (no checklist).
TIER_WEIGHTS = {"half_monthly": 80, "quarterly": 9, "half_yearly": 5, "yearly": 3, "repair": 3}
RESULT_WEIGHTS = {"ok": 92, "adjusted": 5, "repaired": 1, "na": 2}
NOTES = {"adjusted": "已调整至正常范围", "repaired": "已更换易损件", "na": "本梯无此装置"}
TZ = dt.timezone(dt.timedelta(hours=8))  # Asia/Shanghai, as the firms' systems send it


def upload_check_code(ids: list[int], path: Path) -> str:
    """Write the ids to `path` and return UPLOAD_CHECK_SNIPPET for it (ids do not fit on a command line)."""
    Path(path).write_text(json.dumps(ids))
    return UPLOAD_CHECK_SNIPPET % {"path": str(path)}


def build_payloads(
    setup: dict,
    *,
    batches: int = BATCHES + WARMUP,
    batch_size: int = BATCH_SIZE,
    seed: int = 7,
    now: dt.datetime | None = None,
) -> list[dict]:
    """`batches` bodies of `batch_size` records for distinct elevators of the firm (cycling if there are fewer).

    Each visit starts on one of the last 14 days between 08:00 and 17:00 and lasts 30-90 minutes, so it ends in the
    past; it has one or two of the firm's certified workers, the first of whom signs, and one result per active
    checklist item of its tier.
    """
    rng = random.Random(seed)
    now = (now or dt.datetime.now(TZ)).astimezone(TZ)
    elevators, workers, checklist = setup["elevators"], setup["workers"], setup["checklist"]
    if not elevators or not workers:
        raise ValueError("the firm needs elevators it maintains and workers with a valid certificate")
    order = rng.sample(elevators, len(elevators))
    tiers, tier_weights = list(TIER_WEIGHTS), list(TIER_WEIGHTS.values())
    results, result_weights = list(RESULT_WEIGHTS), list(RESULT_WEIGHTS.values())
    payloads, n = [], 0
    for _ in range(batches):
        records = []
        for _ in range(batch_size):
            tier = rng.choices(tiers, tier_weights)[0]
            day = (now - dt.timedelta(days=rng.randint(1, 14))).date()
            start = dt.datetime.combine(day, dt.time(8), TZ) + dt.timedelta(minutes=rng.randrange(0, 9 * 60))
            end = start + dt.timedelta(minutes=rng.randint(30, 90))
            crew = rng.sample(workers, min(len(workers), rng.choice((1, 2, 2))))
            items = []
            for item in checklist.get(tier, []):
                result = rng.choices(results, result_weights)[0]
                items.append({"item": item, "result": result, **({"note": NOTES[result]} if result in NOTES else {})})
            records.append(
                {
                    "elevator": order[n % len(order)],
                    "tier": tier,
                    "started_at": start.isoformat(),
                    "ended_at": end.isoformat(),
                    "workers": crew,
                    "signed_by": crew[0],
                    "items": items,
                    "note": "例行维保，运行正常。" if tier != "repair" else "更换层门门锁触点。",
                }
            )
            n += 1
        payloads.append({"records": records})
    return payloads


def _post(conn_box: list, port: int, token: str, body: bytes, key: str):
    headers = {
        "Host": HOST,
        "Authorization": f"Token {token}",
        "Content-Type": "application/json",
        "Accept": "application/json",
        "Idempotency-Key": key,
    }
    for attempt in (1, 2):
        try:
            conn_box[0].request("POST", PATH, body=body, headers=headers)
            response = conn_box[0].getresponse()
            return response.status, response.read()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            # gunicorn's sync workers close idle keep-alive connections: reconnect once (the key makes it safe).
            conn_box[0].close()
            conn_box[0] = http.client.HTTPConnection(HOST, port, timeout=300)
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _cpu_seconds(server_pid: int | None, database: str | None) -> dict[int, tuple[str, float]]:
    """CPU time so far of gunicorn's workers (children of `server_pid`) and of PostgreSQL backends of `database`.

    Linux /proc only; {} elsewhere. Backends are recognised by their process title "postgres: user database ...".
    """
    tick = os.sysconf("SC_CLK_TCK")
    found = {}
    candidates = []
    if server_pid:
        try:
            for task in Path(f"/proc/{server_pid}/task").iterdir():
                candidates += [("gunicorn", int(pid)) for pid in (task / "children").read_text().split()]
        except OSError:
            pass
    if database:
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                except OSError:
                    continue
                if title.startswith("postgres: ") and f" {database} " in title:
                    candidates.append(("postgres", int(entry.name)))
    for kind, pid in candidates:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[pid] = (kind, (int(fields[11]) + int(fields[12])) / tick)  # utime + stime
    return found


def bulk_upload_throughput(
    port: int,
    token: str,
    payloads: list[dict] | None = None,
    *,
    setup: dict | None = None,
    warmup: int = WARMUP,
    concurrency: int = CONCURRENCY,
    server_pid: int | None = None,
    database: str | None = None,
) -> dict:
    """Post `payloads` (or build_payloads(setup)) to the bulk endpoint and time it.

    The first `warmup` batches are sent one by one and not timed; the rest are shared among `concurrency` clients,
    each on its own keep-alive connection. Every batch has a fresh Idempotency-Key; afterwards the first batch is sent
    again under its key, which must replay the same ids and create nothing.

    Returns records_per_second (measured records / wall time), median_ms and p95_ms per batch, batch_size, batches,
    records, seconds, concurrency, errors ({status: count}), error_samples, replay_ok, and ids (every record created,
    warm-up included) for UPLOAD_CHECK_SNIPPET, with items_saved and workers_saved, the rows its "items" and "workers"
    should count. With `server_pid` (gunicorn's master) and `database` (its database
    name) it also returns cpu_seconds {"client", "gunicorn", "postgres"} spent during the measured part, and
    records_per_cpu_second: on a machine shared with other work the wall-clock rate is noisy, CPU time much less.
    """
    if payloads is None:
        if setup is None:
            raise ValueError("give payloads or setup")
        payloads = build_payloads(setup)
    run = uuid.uuid4().hex[:12]
    bodies = [(f"bench-{run}-{i}", json.dumps(p, ensure_ascii=False).encode()) for i, p in enumerate(payloads)]
    sizes = [len(p["records"]) for p in payloads]
    # What each batch should add besides its records: checklist rows and worker rows, for UPLOAD_CHECK_SNIPPET.
    rows = {
        key: (sum(len(r["items"]) for r in p["records"]), sum(len(set(r["workers"])) for r in p["records"]))
        for (key, _), p in zip(bodies, payloads, strict=True)
    }
    saved = {"items": 0, "workers": 0}
    lock = threading.Lock()
    ids: list[int] = []
    errors: dict[str, int] = {}
    samples: list[str] = []
    latencies: list[float] = []
    first_answer: list = []
    created_timed = [0]

    def send(conn_box, key, body, timed):
        began = time.perf_counter()
        try:
            status, raw = _post(conn_box, port, token, body, key)
        except OSError as exc:
            status, raw = type(exc).__name__, b""
        elapsed = (time.perf_counter() - began) * 1000
        with lock:
            if timed:
                latencies.append(elapsed)
            if status == 201:
                answer = json.loads(raw)
                ids.extend(answer["ids"])
                saved["items"] += rows[key][0]
                saved["workers"] += rows[key][1]
                if timed:
                    created_timed[0] += len(answer["ids"])
                if key == bodies[0][0]:
                    first_answer.append(answer["ids"])
            else:
                errors[str(status)] = errors.get(str(status), 0) + 1
                if len(samples) < 3:
                    samples.append(f"{status}: {raw[:500].decode(errors='replace')}")

    warm = [http.client.HTTPConnection(HOST, port, timeout=300)]
    for key, body in bodies[:warmup]:
        send(warm, key, body, timed=False)
    warm[0].close()

    queue = list(reversed(bodies[warmup:]))

    def client():
        conn = [http.client.HTTPConnection(HOST, port, timeout=300)]
        while True:
            with lock:
                if not queue:
                    break
                key, body = queue.pop()
            send(conn, key, body, timed=True)
        conn[0].close()

    cpu_before, client_before = _cpu_seconds(server_pid, database), time.process_time()
    began = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    cpu_after, client_cpu = _cpu_seconds(server_pid, database), time.process_time() - client_before
    cpu = {"client": client_cpu, "gunicorn": 0.0, "postgres": 0.0}
    for pid, (kind, spent) in cpu_after.items():
        # A process that exited during the run is missed (connections persist: CONN_MAX_AGE, warm-up opened them).
        cpu[kind] += spent - cpu_before.get(pid, (kind, 0.0))[1]

    replay_ok = False
    if bodies and first_answer:
        conn = [http.client.HTTPConnection(HOST, port, timeout=300)]
        status, raw = _post(conn, port, token, bodies[0][1], bodies[0][0])
        conn[0].close()
        answer = json.loads(raw) if status == 201 else {}
        replay_ok = answer.get("replayed") is True and answer.get("ids") == first_answer[0]

    measured = sum(sizes[warmup:])
    ordered = sorted(latencies)
    # Only records the server accepted count: a refused batch adds its time, not its records.
    return {
        "records_per_second": created_timed[0] / seconds if seconds else 0.0,
        "median_ms": statistics.median(ordered) if ordered else None,
        "p95_ms": ordered[max(0, int(len(ordered) * 0.95) - 1)] if ordered else None,
        "batch_size": max(sizes) if sizes else 0,
        "batches": len(ordered),
        "records": measured,
        "seconds": seconds,
        "concurrency": concurrency,
        "errors": errors,
        "error_samples": samples,
        "replay_ok": replay_ok,
        "ids": ids,
        "items_saved": saved["items"],
        "workers_saved": saved["workers"],
        **(
            {"cpu_seconds": cpu, "records_per_cpu_second": created_timed[0] / max(sum(cpu.values()), 1e-9)}
            if server_pid or database
            else {}
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Bulk maintenance-record upload throughput against a running server.")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--username", default="weibao", help="a maintenance firm's user")
    parser.add_argument("--batches", type=int, default=BATCHES)
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
    parser.add_argument("--warmup", type=int, default=WARMUP)
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--server-pid", type=int, help="gunicorn's master pid, to count its workers' CPU time")
    parser.add_argument("--database", help="the server's database name, to count its PostgreSQL backends' CPU time")
    args = parser.parse_args()
    setup = shell_json(None, UPLOAD_SETUP_SNIPPET % {"username": args.username})
    print(
        f"{len(setup['elevators'])} elevators, {len(setup['workers'])} certified workers, "
        f"{setup['records']} records before",
        flush=True,
    )
    payloads = build_payloads(setup, batches=args.batches + args.warmup, batch_size=args.batch_size, seed=args.seed)
    result = bulk_upload_throughput(
        args.port,
        setup["token"],
        payloads,
        warmup=args.warmup,
        concurrency=args.concurrency,
        server_pid=args.server_pid,
        database=args.database,
    )
    ids = result.pop("ids")
    path = Path(f"/tmp/bench-upload-{os.getpid()}.json")
    check = shell_json(None, upload_check_code(ids, path))
    path.unlink()
    print(json.dumps({**result, "in_database": check}, indent=2, ensure_ascii=False))
    print(
        f"{result['records_per_second']:.0f} records/s; per batch of {result['batch_size']}: "
        f"median {result['median_ms']:.0f} ms, p95 {result['p95_ms']:.0f} ms; {result['concurrency']} clients; "
        f"errors {sum(result['errors'].values())}; {check['found']}/{check['wanted']} in the database "
        f"(checklist rows {check['items']}/{result['items_saved']}, "
        f"worker rows {check['workers']}/{result['workers_saved']}); "
        f"replay {'ok' if result['replay_ok'] else 'FAILED'}"
        + (
            f"; {result['records_per_cpu_second']:.0f} records per CPU-second "
            f"({', '.join(f'{k} {v:.2f} s' for k, v in result['cpu_seconds'].items())})"
            if "cpu_seconds" in result
            else ""
        )
    )
    if (
        check["found"] != check["wanted"]
        or check["items"] != result["items_saved"]
        or check["workers"] != result["workers_saved"]
        or result["errors"]
        or not result["replay_ok"]
    ):
        sys.exit(1)


if __name__ == "__main__":
    main()
