"""Benchmark harness (bench/README.md): `make bench SCALE=S` or `python bench/run.py --scale M`.

Builds (or reuses) a PostgreSQL database of N elevators, times the scheduled jobs (wall time and query count), then
starts gunicorn with DEBUG off on a free loopback port and measures pages, the API, the API's own SQL run raw, and
complaint intake throughput. Prints one table and writes it to bench/results/<date>-<scale>.md and .json.

Standard library only (plus the project's own requirements): the load generator is a thread pool of http.client
connections on loopback, so it shares the 2 cores with gunicorn and PostgreSQL — figures are a floor, not a ceiling.
See bench/README.md for what each row means and how the complaint form's abuse protection is handled.
"""

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from intake import check_in_database, wrk_intake  # noqa: E402  (bench/intake.py, the wrk load generator)
from rescue_latency import rescue_latency  # noqa: E402  (bench/rescue_latency.py, the rescue loop's latency)
from shell import shell_json  # noqa: E402
from upload import UPLOAD_SETUP_SNIPPET, build_payloads, bulk_upload_throughput, upload_check_code  # noqa: E402

RESULTS = ROOT / "bench" / "results"
PYTHON = sys.executable
SCALES = {"S": 100_000, "M": 10_000, "L": 1_000_000}
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/elevator_bench"
# The bench owns this Redis database (cache, rate-limit counters, queued Celery tasks): it is emptied at each run.
DEFAULT_REDIS = "redis://127.0.0.1:6379/13"
HOST = "127.0.0.1"
WARMUP, SAMPLES = 20, 200
INTAKE_SECONDS, INTAKE_CONNECTIONS = 20, 16
DEMO_PASSWORD = os.getenv("DEMO_PASSWORD", "demo-pass-2026")
JOBS = ["risk_scan", "send_reminders", "check_maintenance", "evaluate_credit"]
API_QUERIES = {
    "api list": {},
    "api list filtered": {"district": "510402", "elevator_type": "3110"},  # about a third of the registry
    "api list filtered, narrow": {"district": "510422", "elevator_type": "3310", "status": "in_use"},
    "api list q=炳草岗": {"q": "炳草岗"},  # a street: one elevator in seven
    "api list q=新华街128号": {"q": "新华街128号"},  # one address
    "api list q=阳光 (2 characters)": {"q": "阳光"},  # the bigram index
}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def fail(message: str) -> None:
    sys.exit(f"bench: {message}")


# --- Environment and subprocesses -----------------------------------------------------------------------------


def bench_env(args) -> dict:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "elevator_portal.settings",
            "DATABASE_URL": args.database_url,
            "REDIS_URL": args.redis_url,
            "DEBUG": "false",
            "SECRET_KEY": "bench",
            # Plain HTTP on loopback, no TLS proxy in front: no redirect to https.
            "SECURE_SSL_REDIRECT": "false",
            "ALLOWED_HOSTS": HOST,
            "LOG_LEVEL": "WARNING",
            # Jobs and intake render and "send" their mail, but nothing leaves the machine or floods the terminal.
            "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
            # Intake is measured from one client IP: lift the per-IP limit (the limiter still runs on every request).
            "COMPLAINT_RATE_PER_IP": "1000000/m",
            "RESCUE_REPORTS_PER_HOUR": "1000000",
            "DEMO_PASSWORD": DEMO_PASSWORD,
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def manage(env, *argv, capture=False, timeout=None) -> subprocess.CompletedProcess:
    command = [PYTHON, "manage.py", *argv]
    result = subprocess.run(command, cwd=ROOT, env=env, text=True, timeout=timeout, capture_output=capture)
    if result.returncode != 0:
        if capture:
            sys.stderr.write(result.stdout[-4000:] + result.stderr[-4000:])
        fail(f"`manage.py {' '.join(argv)[:80]}` exited with {result.returncode}")
    return result


def _admin(url: str):
    import psycopg2

    parts = urllib.parse.urlparse(url)
    name = parts.path.lstrip("/")
    if not re.fullmatch(r"[A-Za-z0-9_]+", name):
        fail(f"unexpected database name {name!r}")
    admin = psycopg2.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password or None,
        dbname="postgres",
    )
    admin.autocommit = True
    return admin, name


def database_exists(url: str) -> bool:
    admin, name = _admin(url)
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        found = cursor.fetchone() is not None
    admin.close()
    return found


def ensure_database(url: str, *, fresh: bool, template: str | None = None) -> None:
    """Create the bench database if missing; with `fresh`, drop it first; with `template`, as a copy of it.

    A fresh database is needed for every measured run: the jobs are idempotent, so a second run on the same data
    finds its work done, and generate_scale_data's rebuild at L takes many minutes. The data is therefore built
    once into a base database per scale and copied (CREATE DATABASE … TEMPLATE, a file copy) for each run.
    """
    admin, name = _admin(url)
    with admin.cursor() as cursor:
        if fresh:
            log(f"dropping database {name}")
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            if template:
                log(f"copying database {template} to {name}")
                # FILE_COPY: one checkpoint and a copy of the files, far quicker than WAL-logging gigabytes.
                cursor.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY = FILE_COPY')
            else:
                log(f"creating database {name}")
                cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()


def with_database(url: str, name: str) -> str:
    parts = urllib.parse.urlparse(url)
    return urllib.parse.urlunparse(parts._replace(path="/" + name))


def reset_redis(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    client.ping()
    client.flushdb()


def machine_facts(env) -> dict:
    memory = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) // 1024} MiB"
    except OSError:
        pass
    cpu = ""
    try:
        cpu = next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            "",
        )
    except OSError:
        pass
    pg = shell_json(
        env,
        "import json; from django.db import connection\n"
        "c = connection.cursor(); c.execute('SHOW server_version'); print(json.dumps(c.fetchone()[0]))",
    )
    return {
        "nproc": os.cpu_count(),
        "memory": memory,
        "cpu": cpu,
        "postgresql": pg,
        "python": platform.python_version(),
        "os": platform.platform(),
    }


# --- Jobs and raw SQL, inside Django --------------------------------------------------------------------------

JOB_SNIPPET = """
import io, json, time
from django.core.management import call_command
from django.db import connection
count = [0]
def counter(execute, sql, params, many, context):
    count[0] += 1
    return execute(sql, params, many, context)
out = io.StringIO()
with connection.execute_wrapper(counter):
    started = time.monotonic()
    call_command(%(name)r, stdout=out)
    seconds = time.monotonic() - started
tail = [line for line in out.getvalue().splitlines() if line.strip()][-1:] or [""]
print(json.dumps({"seconds": seconds, "queries": count[0], "output": tail[0][:200]}))
"""

SETUP_SNIPPET = """
import json, random, time
from accounts.models import ApiToken
from accounts.models import User
from complaints.forms import started_token
from complaints.models import Complaint
from registry.models import Elevator
city = User.objects.get(username="city")
token = ApiToken.objects.create(user=city, name="bench")  # stored hashed: a new key each run
ids = list(Elevator.objects.values_list("pk", flat=True))
picked = random.Random(7).sample(ids, min(500, len(ids)))
codes = list(Elevator.objects.filter(pk__in=picked).values_list("registration_code", flat=True))
tracking = Complaint.objects.order_by("-pk").values_list("tracking_no", flat=True).first()
print(json.dumps({"token": token.key, "codes": codes, "tracking_no": tracking, "elevators": len(ids),
                  "complaints": Complaint.objects.count(),
                  # Signed 10 s in the past: the form's 3-second minimum fill time is met honestly, once.
                  "started": started_token(time.time() - 10)}))
"""

RAW_SQL_SNIPPET = """
import json, statistics, time
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from accounts.models import User
from registry.filtersets import ElevatorFilterSet
from registry.selectors import elevator_list_queryset
city = User.objects.get(username="city")
results = {}
for name, params in %(queries)s.items():
    data = QueryDict(mutable=True)
    data.update(params)
    filterset = ElevatorFilterSet(data, queryset=elevator_list_queryset(user=city))
    assert filterset.is_valid(), filterset.errors
    qs = filterset.qs
    # The SQL the ORM actually sends for DRF's page: the paginator's COUNT, then the first 50 rows.
    with CaptureQueriesContext(connection) as captured:
        qs.count()
        list(qs[:50])
    statements = [q["sql"] for q in captured.captured_queries]
    samples = []
    with connection.cursor() as cursor:
        for i in range(%(warmup)d + %(samples)d):
            started = time.perf_counter()
            for sql in statements:
                cursor.execute(sql)
                rows = cursor.fetchall()
            if i >= %(warmup)d:
                samples.append((time.perf_counter() - started) * 1000)
        cursor.execute("EXPLAIN " + statements[-1])
        plan = [r[0] for r in cursor.fetchall()]
    samples.sort()
    results[name] = {"median": statistics.median(samples), "p95": samples[int(len(samples) * 0.95) - 1],
                     "rows": len(rows), "statements": len(statements),
                     "seq_scan": any("Seq Scan on registry_elevator" in p for p in plan)}
print(json.dumps(results))
"""

# --- HTTP client ------------------------------------------------------------------------------------------------


class Client:
    """One keep-alive loopback connection with a tiny cookie jar, like one browser tab."""

    def __init__(self, port: int, headers: dict | None = None):
        self.port = port
        self.headers = headers or {}
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection(HOST, port, timeout=60)

    def request(self, method: str, path: str, body: dict | None = None, headers: dict | None = None):
        all_headers = {"Host": HOST, **self.headers, **(headers or {})}
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if body is not None:
            data = urllib.parse.urlencode(body).encode()
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=data, headers=all_headers)
                response = self.conn.getresponse()
                payload = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # gunicorn may close an idle keep-alive connection: reconnect once.
                self.conn.close()
                self.conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
                if attempt == 2:
                    raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, dict((k.lower(), v) for k, v in response.getheaders()), payload

    def close(self):
        self.conn.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def start_gunicorn(env: dict, port: int, *, workers: int, threads: int) -> subprocess.Popen:
    return subprocess.Popen(
        [
            str(Path(PYTHON).parent / "gunicorn"),
            "elevator_portal.wsgi:application",
            "--workers",
            str(workers),
            "--worker-class",
            "gthread",
            "--threads",
            str(threads),
            "--bind",
            f"{HOST}:{port}",
            "--log-level",
            "warning",
            "--timeout",
            "120",
        ],
        cwd=ROOT,
        env=env,
    )


def wait_for(port: int, server: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            fail("gunicorn exited during start-up (see its output above)")
        try:
            status, _, _ = Client(port).request("GET", "/api/v1/districts/")
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    fail("gunicorn did not answer within 30 s")


def login(port: int, username: str) -> Client:
    """Log in through the login form, with its CSRF cookie, as a browser does."""
    client = Client(port)
    status, _, page = client.request("GET", "/accounts/login/")
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if status != 200 or not match:
        fail(f"login page answered {status} without a CSRF token")
    status, headers, _ = client.request(
        "POST",
        "/accounts/login/",
        {"csrfmiddlewaretoken": match.group(1).decode(), "username": username, "password": DEMO_PASSWORD},
    )
    if status != 302 or "sessionid" not in client.cookies:
        fail(f"could not log in as {username} (status {status}); is DEMO_PASSWORD right?")
    return client


def measure(client: Client, path: str, name: str) -> dict:
    """WARMUP then SAMPLES sequential requests; every one must answer 200."""
    latencies = []
    for i in range(WARMUP + SAMPLES):
        started = time.perf_counter()
        status, _, body = client.request("GET", path)
        elapsed = (time.perf_counter() - started) * 1000
        if status != 200:
            fail(f"{name}: GET {path} answered {status}: {body[:300]!r}")
        if i >= WARMUP:
            latencies.append(elapsed)
    return summarise(latencies, total_seconds=sum(latencies) / 1000)


def summarise(latencies: list[float], *, total_seconds: float) -> dict:
    ordered = sorted(latencies)
    return {
        "median_ms": statistics.median(ordered),
        "p95_ms": ordered[max(0, int(len(ordered) * 0.95) - 1)],
        "requests": len(ordered),
        "rps": len(ordered) / total_seconds if total_seconds else 0.0,
    }


# --- Data -------------------------------------------------------------------------------------------------------

BUILD_INFO_SNIPPET = """
import json
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE IF NOT EXISTS bench_build (info jsonb NOT NULL)")
    cursor.execute("DELETE FROM bench_build")
    cursor.execute("INSERT INTO bench_build VALUES (%%s)", [json.dumps(%(info)r)])
print(json.dumps(True))
"""

READ_INFO_SNIPPET = """
import json
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("SELECT to_regclass('bench_build') IS NOT NULL")
    info = None
    if cursor.fetchone()[0]:
        cursor.execute("SELECT info FROM bench_build")
        row = cursor.fetchone()
        info = row and (json.loads(row[0]) if isinstance(row[0], str) else row[0])
print(json.dumps(info))
"""


def prepare_data(args, env, *, elevators: int, label: str) -> dict:
    """The bench database for this run: a fresh copy of the scale's base database, built first if missing.

    The base (e.g. elevator_bench_base_l) holds migrate + seed_demo + generate_scale_data + ANALYZE, and a
    bench_build row recording when and how fast it was built. Each run copies it, migrates the copy (so indexes
    added since the build are created, and timed) and analyses the registry.
    """
    name = urllib.parse.urlparse(args.database_url).path.lstrip("/")
    base_url = with_database(args.database_url, f"{name}_base_{label.lower()}")
    base_env = {**env, "DATABASE_URL": base_url}
    data: dict = {}
    if args.skip_data:
        ensure_database(args.database_url, fresh=False)
    else:
        if args.rebuild or not database_exists(base_url):
            ensure_database(base_url, fresh=True)
            build = {"date": dt.date.today().isoformat(), "elevators": elevators}
            for step, argv in (
                ("migrate", ["migrate", "--noinput", "-v", "0"]),
                ("seed_demo", ["seed_demo"]),
                ("generate_scale_data", ["generate_scale_data", "--elevators", str(elevators)]),
            ):
                log(f"building the base: {step} ...")
                began = time.monotonic()
                out = manage(base_env, *argv, capture=True).stdout
                build[step] = round(time.monotonic() - began, 1)
                if step == "generate_scale_data":
                    build["generated"] = [
                        line.strip()
                        for line in out.splitlines()
                        if line.startswith(("History", "Done")) or "synthetic elevators in" in line
                    ]
            began = time.monotonic()
            # VACUUM too, not only ANALYZE: it sets the visibility map, without which no scan is index-only.
            manage(
                base_env,
                "shell",
                "-c",
                "from django.db import connection; connection.cursor().execute('VACUUM (ANALYZE)')",
                capture=True,
            )
            build["vacuum_analyze"] = round(time.monotonic() - began, 1)
            shell_json(base_env, BUILD_INFO_SNIPPET % {"info": build})
        began = time.monotonic()
        ensure_database(args.database_url, fresh=True, template=urllib.parse.urlparse(base_url).path.lstrip("/"))
        data["copy"] = round(time.monotonic() - began, 1)
    began = time.monotonic()
    log("migrate ...")
    manage(env, "migrate", "--noinput", "-v", "0", capture=True)
    manage(
        env,
        "shell",
        "-c",
        "from django.db import connection; connection.cursor().execute('ANALYZE registry_elevator')",
        capture=True,
    )
    data["migrate"] = round(time.monotonic() - began, 1)
    data["base"] = shell_json(env, READ_INFO_SNIPPET)
    if data["base"] and data["base"].get("date") != dt.date.today().isoformat():
        log(
            f"note: the base data was built on {data['base']['date']}; dates in it are relative to that day "
            "(--rebuild to build it anew)"
        )
    return data


# --- Main ---------------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="S", help="S (100,000), M (10,000), L (1,000,000) or a number")
    parser.add_argument("--database-url", default=DEFAULT_DB)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS, help="a Redis database the bench may empty")
    parser.add_argument(
        "--skip-data", action="store_true", help="reuse the bench database as it is (jobs then find their work done)"
    )
    parser.add_argument("--rebuild", action="store_true", help="build the scale's base database anew")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (gthread)")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    args = parser.parse_args()
    scale = args.scale.upper()
    elevators = SCALES.get(scale) or (int(scale) if scale.isdigit() else None)
    if not elevators:
        fail(f"--scale must be S, M, L or a number, not {args.scale!r}")
    if not shutil.which("wrk"):
        fail(
            "wrk is not installed (it is the load generator for complaint intake): `make system-deps` as root, "
            "or apt-get install wrk"
        )
    os.chdir(ROOT)
    env = bench_env(args)
    run_started = time.monotonic()

    reset_redis(args.redis_url)
    label = scale if scale in SCALES else f"N{elevators}"
    data = prepare_data(args, env, elevators=elevators, label=label)
    facts = machine_facts(env)
    log(f"machine: {facts['nproc']} cores, {facts['memory']}, PostgreSQL {facts['postgresql']}")
    manage(env, "collectstatic", "--noinput", "-v", "0")
    setup = shell_json(env, SETUP_SNIPPET)
    log(f"{setup['elevators']} elevators in the database, {setup['complaints']} complaints")

    jobs = {}
    for name in JOBS:
        log(f"job {name} ...")
        jobs[name] = shell_json(env, JOB_SNIPPET % {"name": name})
        log(f"  {jobs[name]['seconds']:.1f} s, {jobs[name]['queries']} queries")

    log("raw SQL of the API pages ...")
    raw = shell_json(env, RAW_SQL_SNIPPET % {"queries": repr(API_QUERIES), "warmup": WARMUP, "samples": SAMPLES})

    port = free_port()
    log(f"gunicorn on {HOST}:{port}: {args.workers} workers × {args.threads} threads")
    server = start_gunicorn(env, port, workers=args.workers, threads=args.threads)
    rows = []
    try:
        wait_for(port, server)
        anonymous = Client(port)
        api = Client(port, {"Authorization": f"Token {setup['token']}", "Accept": "application/json"})
        city = login(port, "city")
        code = setup["codes"][0]
        pages = [
            ("floor: /livez (trivial Django JSON view)", anonymous, "/livez"),
            ("/api/v1/districts/ (DRF, one small query)", anonymous, "/api/v1/districts/"),
            ("/healthz (db + broker)", anonymous, "/healthz"),
            *[
                (name, api, "/api/v1/elevators/" + ("?" + urllib.parse.urlencode(params) if params else ""))
                for name, params in API_QUERIES.items()
            ],
            ("api maintenance records (city-wide, newest first)", api, "/api/v1/maintenance-records/"),
            ("public elevator page", anonymous, f"/e/{code}/"),
            ("city dashboard", city, "/dashboard/"),
            ("district dashboard 510402", city, "/dashboard/510402/"),
        ]
        if setup["tracking_no"]:
            pages.append(("complaint tracking page", anonymous, f"/complaints/{setup['tracking_no']}/"))
        for name, client, path in pages:
            log(f"{name}: {path}")
            result = measure(client, path, name)
            rows.append({"name": name, "path": path, **result})
        log(f"complaint intake: wrk, {INTAKE_CONNECTIONS} connections for {INTAKE_SECONDS} s ...")
        intake = wrk_intake(
            port, setup["codes"], setup["started"], seconds=INTAKE_SECONDS, connections=INTAKE_CONNECTIONS
        )
        log("bulk maintenance upload: 20 batches of 500 records, 4 clients ...")
        upload_setup = shell_json(env, UPLOAD_SETUP_SNIPPET % {"username": "weibao"})
        upload = bulk_upload_throughput(
            port,
            upload_setup["token"],
            build_payloads(upload_setup),
            concurrency=4,
            server_pid=server.pid,
            database=urllib.parse.urlparse(args.database_url).path.lstrip("/"),
        )
        log("rescue loop: 200 trapped reports, report → dispatch delivered by a Celery worker ...")
        rescue = rescue_latency(port, env, started=setup["started"], reports=200)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    log("gunicorn stopped")

    accepted = intake.pop("tracking_numbers")
    intake.pop("wrk_output")
    check = check_in_database(accepted, env)
    upload_ids = upload.pop("ids")
    upload_check = shell_json(env, upload_check_code(upload_ids, RESULTS / "upload-ids.tmp"))
    (RESULTS / "upload-ids.tmp").unlink()

    floor = rows[0]["rps"]
    for row in rows:
        row["ratio_to_floor"] = row["rps"] / floor if floor else None
        row["notes"] = ""
        if row["name"] in raw:
            sql = raw[row["name"]]
            row["raw_sql"] = sql
            row["notes"] = (
                f"raw SQL median {sql['median']:.1f} ms / p95 {sql['p95']:.1f} ms; "
                f"API/raw {row['median_ms'] / sql['median']:.1f}× (median)"
                + ("; Seq Scan on registry_elevator" if sql["seq_scan"] else "")
            )
    rows.append(
        {
            "name": "complaint intake (POST form, wrk)",
            "path": "/complaints/new/",
            "median_ms": intake["median_ms"],
            "p95_ms": intake["p95_ms"],
            "rps": intake["accepted_per_second"],
            "ratio_to_floor": intake["accepted_per_second"] / floor if floor else None,
            "accepted": len(accepted),
            "errors": intake["errors"],
            "in_database": check,
            "notes": f"wrk {INTAKE_CONNECTIONS} connections, {intake['seconds']:.0f} s: {len(accepted)} accepted, "
            f"errors {intake['error_count']} {intake['errors'] or ''}, "
            f"{check['found']}/{check['wanted']} in the database",
        }
    )
    rows.append(
        {
            "name": "bulk maintenance upload (API, 500 records a batch)",
            "path": "/api/v1/maintenance-records/bulk/",
            "median_ms": upload["median_ms"],
            "p95_ms": upload["p95_ms"],
            "rps": upload["records_per_second"],
            "ratio_to_floor": None,
            "errors": upload["errors"],
            "in_database": upload_check,
            "cpu_seconds": upload.get("cpu_seconds"),
            "notes": f"{upload['records']} records in {upload['batches']} batches by {upload['concurrency']} clients; "
            f"latency per batch; errors {sum(upload['errors'].values())} {upload['errors'] or ''}; "
            f"{upload_check['found']}/{upload_check['wanted']} in the database with "
            f"{upload_check['items']} checklist rows; replay of a key "
            f"{'ok' if upload['replay_ok'] else 'FAILED'}; "
            f"{upload.get('records_per_cpu_second', 0):.0f} records per CPU-second",
        }
    )
    rows.append(
        {
            "name": "rescue loop: trapped report → dispatch delivered",
            "path": "/complaints/new/",
            "median_ms": rescue.get("p50_ms"),
            "p95_ms": rescue.get("p95_ms"),
            "rps": None,
            "ratio_to_floor": None,
            "rescue": rescue,
            "notes": f"{rescue['reports']} reports one after another, {rescue['incidents']} incidents, "
            f"{rescue['messages']} dispatch messages, {rescue['undelivered_incidents']} not delivered; "
            f"written → delivered p50 {rescue.get('written_p50_ms', 0):.0f} ms / p95 "
            f"{rescue.get('written_p95_ms', 0):.0f} ms; answers {rescue['statuses']}",
        }
    )
    for name, job in jobs.items():
        rows.append(
            {
                "name": f"job {name}",
                "median_ms": None,
                "p95_ms": None,
                "rps": None,
                "ratio_to_floor": None,
                "seconds": job["seconds"],
                "queries": job["queries"],
                "notes": f"wall {job['seconds']:.2f} s, {job['queries']} queries; {job['output']}",
            }
        )

    today = dt.date.today().isoformat()
    report = {
        "date": today,
        "scale": label,
        "elevators": setup["elevators"],
        "machine": facts,
        "data_seconds": data,
        "samples": SAMPLES,
        "warmup": WARMUP,
        "gunicorn_workers": args.workers,
        "rows": rows,
        "total_seconds": round(time.monotonic() - run_started, 1),
    }
    table = markdown_table(rows)
    print()
    print(table)
    header = (
        f"# Bench {today}, scale {label} ({setup['elevators']} elevators)\n\n"
        f"Machine: {facts['nproc']} cores ({facts['cpu']}), {facts['memory']}, PostgreSQL {facts['postgresql']}, "
        f"Python {facts['python']}, gunicorn {args.workers} gthread workers × {args.threads} threads, "
        "DEBUG off, Redis cache.\n"
        f"Data: {data}. Latencies over {SAMPLES} sequential requests after {WARMUP} warm-up; "
        f"req/s is sequential (one client) except for intake. Whole run {report['total_seconds']} s.\n\n"
    )
    (RESULTS / f"{today}-{label}.md").write_text(header + table + "\n")
    (RESULTS / f"{today}-{label}.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    log(f"written bench/results/{today}-{label}.md and .json ({report['total_seconds']} s in all)")
    if upload_check["found"] != upload_check["wanted"] or sum(upload["errors"].values()) or not upload["replay_ok"]:
        fail("bulk upload had errors or lost records (see the table)")
    if check["found"] != check["wanted"] or intake["error_count"]:
        fail("complaint intake had errors or lost complaints (see the table)")


def target(row: dict) -> str:
    """Issue 7's target for this row (at L, on 2 cores) and whether this run met it."""
    name = row["name"]

    def verdict(text: str, met: bool) -> str:
        return f"{text}: {'met' if met else 'MISSED'}"

    if name.startswith("api list"):
        ratio = row["median_ms"] / row["raw_sql"]["median"] if row.get("raw_sql") else None
        return verdict("p95 < 50 ms, ≤ 3× raw SQL", row["p95_ms"] < 50 and ratio is not None and ratio <= 3)
    if name == "public elevator page":
        return verdict("p95 < 30 ms", row["p95_ms"] < 30)
    if "dashboard" in name:
        return verdict("p95 < 150 ms", row["p95_ms"] < 150)
    if name in ("job risk_scan", "job send_reminders"):
        return verdict("< 60 s, queries independent of N", row["seconds"] < 60)
    if name.startswith("complaint intake"):
        check = row["in_database"]
        return verdict(
            "≥ 300/s, no errors, none lost",
            row["rps"] >= 300 and not row["errors"] and check["found"] == check["wanted"],
        )
    if name.startswith("bulk maintenance upload"):
        return verdict("≥ 5,000 records/s", row["rps"] >= 5000)
    if name.startswith("rescue loop"):
        return verdict(
            "p95 < 1 s, every dispatch delivered",
            (row["p95_ms"] or 1e9) < 1000 and not row["rescue"]["undelivered_incidents"],
        )
    return ""


def markdown_table(rows: list[dict]) -> str:
    def number(value, fmt):
        return "" if value is None else format(value, fmt)

    lines = [
        "| name | median ms | p95 ms | req/s | req/s ÷ floor | target | notes |",
        "|---|---:|---:|---:|---:|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['name']} | {number(row['median_ms'], '.1f')} | {number(row['p95_ms'], '.1f')} | "
            f"{number(row['rps'], '.0f')} | {number(row['ratio_to_floor'], '.2f')} | {target(row)} | "
            f"{row['notes']} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
