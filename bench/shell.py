"""Run a snippet of Python inside the project's Django (`manage.py shell -c`) and read its answer: the one helper
the bench's scripts share."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def shell_json(env: dict | None, code: str, timeout: float | None = None):
    """Run `code` in `manage.py shell -c` with `env` (default: this process's environment); its last stdout line
    is JSON. On failure, show the end of its output and stop."""
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env or os.environ,
        text=True,
        capture_output=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-4000:] + result.stderr[-4000:])
        sys.exit(f"bench: `manage.py shell` exited with {result.returncode}")
    return json.loads(result.stdout.strip().splitlines()[-1])
