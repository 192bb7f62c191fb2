"""Complaint intake throughput with wrk (bench/README.md): the public form (/complaints/new/) posted by new visitors.

`wrk_intake(port, codes, started_token)` runs wrk for a bounded time with bench/intake.lua and returns accepted
complaints per second, latency percentiles, errors by kind and the tracking numbers, so the caller can check that
every accepted complaint is in the database (`check_in_database`). By hand, against a running server:

    python bench/intake.py --port 8000 --codes-file codes.txt --started TOKEN [--check-db]

The abuse protection stays on and is met, not bypassed:
- CSRF: Django accepts an unmasked 32-character secret both as the `csrftoken` cookie and as the
  `csrfmiddlewaretoken` field, so wrk sends one fixed secret made here (no GET of the form is needed);
- the 3-second minimum fill time: `started` is a real token signed with the server's SECRET_KEY
  (`complaints.forms.started_token`), made by the caller for a moment in the past;
- the honeypot `website` is sent empty; the per-IP rate limit still counts every post (the bench server lifts its
  rate with COMPLAINT_RATE_PER_IP, see bench/README.md). No phone number is sent, so the per-phone limit does not apply.

Standard library and the `wrk` binary only (Debian package `wrk`).
"""

import argparse
import json
import os
import secrets
import shutil
import string
import subprocess
import sys
import tempfile
from pathlib import Path

from shell import shell_json  # bench/shell.py

SCRIPT = Path(__file__).resolve().parent / "intake.lua"
HOST = "127.0.0.1"
MARKER = "INTAKE_JSON "
# Django's CSRF secrets: 32 characters from this alphabet (django.middleware.csrf.CSRF_ALLOWED_CHARS).
CSRF_ALPHABET = string.ascii_letters + string.digits


def wrk_intake(
    port: int, codes: list[str], started_token: str, seconds: int = 20, connections: int = 16, threads: int = 2
) -> dict:
    """Post the complaint form with wrk for `seconds` on `connections` connections; each post names the next code.

    Returns a dict: seconds, requests (answers wrk received), accepted, accepted_per_second, median_ms, p95_ms,
    p99_ms, max_ms, errors ({"<status>": n, "socket read": n, ...}: anything but a 302 to a tracking page),
    error_count, tracking_numbers (list, one per accepted post), connections, threads, wrk_output (wrk's own text).
    Latencies are wrk's, over every answer received (accepted or not).
    """
    wrk = shutil.which("wrk")
    if wrk is None:
        raise RuntimeError("wrk is not installed (Debian/Ubuntu: apt-get install wrk)")
    if not codes:
        raise ValueError("no elevator codes to post")
    csrf = "".join(secrets.choice(CSRF_ALPHABET) for _ in range(32))
    with tempfile.TemporaryDirectory(prefix="intake-") as tmp:
        codes_file = Path(tmp) / "codes.txt"
        codes_file.write_text("\n".join(codes) + "\n")
        command = [
            wrk,
            "--threads",
            str(threads),
            "--connections",
            str(connections),
            "--duration",
            f"{seconds}s",
            # A post slower than this counts as an error (wrk's default of 2 s would hide a stalled server
            # behind "timeouts"; 10 s still bounds the run).
            "--timeout",
            "10s",
            "--latency",
            "--script",
            str(SCRIPT),
            f"http://{HOST}:{port}/complaints/new/",
            "--",
            str(codes_file),
            started_token,
            csrf,
            tmp,
            str(threads),
        ]
        run = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
        if run.returncode != 0:
            raise RuntimeError(f"wrk exited with {run.returncode}: {run.stderr[-2000:]}")
        lines = [line for line in run.stdout.splitlines() if line.startswith(MARKER)]
        if not lines:
            raise RuntimeError(f"wrk printed no result line:\n{run.stdout[-2000:]}{run.stderr[-2000:]}")
        report = json.loads(lines[-1][len(MARKER) :])
        tracking = [
            line.strip()
            for path in sorted(Path(tmp).glob("accepted-*.txt"))
            for line in path.read_text().splitlines()
            if line.strip()
        ]

    errors = {str(status): count for status, count in report["statuses"].items()}
    for kind, count in report["socket"].items():
        if count:
            errors[f"socket {kind}"] = count
    duration = report["duration_us"] / 1e6
    latency = report["latency_us"]
    if len(tracking) != report["accepted"]:
        # The Lua threads counted more (or fewer) acceptances than they wrote down: that is a harness bug.
        errors["tracking numbers not written"] = abs(report["accepted"] - len(tracking))
    return {
        "seconds": duration,
        "requests": report["requests"],
        "accepted": len(tracking),
        "accepted_per_second": len(tracking) / duration if duration else 0.0,
        "median_ms": latency["p50"] / 1000,
        "p95_ms": latency["p95"] / 1000,
        "p99_ms": latency["p99"] / 1000,
        "max_ms": latency["max"] / 1000,
        "errors": errors,
        "error_count": sum(errors.values()),
        "tracking_numbers": tracking,
        "connections": connections,
        "threads": threads,
        "wrk_output": run.stdout,
    }


CHECK_SNIPPET = """
import json, sys
from complaints.models import Complaint
wanted = json.load(open(%(path)r))
found = set(Complaint.objects.filter(tracking_no__in=wanted).values_list("tracking_no", flat=True))
print(json.dumps({"wanted": len(set(wanted)), "duplicates": len(wanted) - len(set(wanted)), "found": len(found),
                  "missing": sorted(set(wanted) - found)[:20]}))
"""

STARTED_SNIPPET = """
import json, time
from complaints.forms import started_token
# Signed 10 s in the past: the form's 3-second minimum fill time is met honestly.
print(json.dumps(started_token(time.time() - 10)))
"""


def check_in_database(tracking_numbers: list[str], env: dict | None = None) -> dict:
    """How many of the accepted tracking numbers the database holds: {"wanted", "duplicates", "found", "missing"}."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(tracking_numbers, f)
    try:
        return shell_json(env, CHECK_SNIPPET % {"path": f.name})
    finally:
        os.unlink(f.name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--codes-file", required=True, help="elevator registration or rescue codes, one a line")
    parser.add_argument(
        "--started",
        help="a started token signed with the server's SECRET_KEY (default: made with "
        "manage.py shell, so the environment must match the server's)",
    )
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--check-db",
        action="store_true",
        help="look every accepted tracking number up (manage.py shell, this environment's database)",
    )
    parser.add_argument("--show-wrk", action="store_true", help="print wrk's own output too")
    args = parser.parse_args()
    codes = [line.strip() for line in Path(args.codes_file).read_text().splitlines() if line.strip()]
    started = args.started or shell_json(None, STARTED_SNIPPET)
    result = wrk_intake(
        args.port, codes, started, seconds=args.seconds, connections=args.connections, threads=args.threads
    )
    if args.show_wrk:
        print(result["wrk_output"])
    print(
        f"{result['accepted']} accepted in {result['seconds']:.1f} s = {result['accepted_per_second']:.0f}/s "
        f"({args.connections} connections, {args.threads} wrk threads); median {result['median_ms']:.1f} ms, "
        f"p95 {result['p95_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms; "
        f"errors {result['error_count']} {result['errors'] or ''}"
    )
    failed = bool(result["error_count"])
    if args.check_db:
        check = check_in_database(result["tracking_numbers"])
        print(
            f"in the database: {check['found']}/{check['wanted']}"
            + (f", missing {check['missing']}" if check["missing"] else "")
            + (f", {check['duplicates']} tracking numbers given twice" if check["duplicates"] else "")
        )
        failed = failed or check["found"] != check["wanted"] or bool(check["duplicates"])
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
