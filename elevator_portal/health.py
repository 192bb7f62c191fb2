"""/healthz: is the database reachable, and is the Celery broker? 200 when both are, 503 naming what is not.

/livez: is this web process alive? Always 200, touching neither the database nor the broker, so that a
load balancer's liveness probe never restarts every web process at once because the database is slow.
"""

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from .celery import app as celery_app


def check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure to reach the database is the answer, not an error of this view
        return f"database: {exc.__class__.__name__}: {exc}"
    return None


def check_broker() -> str | None:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:
        return f"broker: {exc.__class__.__name__}: {exc}"
    return None


@never_cache
def healthz(request):
    problems = [p for p in (check_database(), check_broker()) if p]
    body = {"status": "ok" if not problems else "unhealthy", "problems": problems}
    return JsonResponse(body, status=200 if not problems else 503)


@never_cache
def livez(request):
    """The liveness probe: the process answers. No database, no broker, no session (the cheapest Django view)."""
    return JsonResponse({"status": "ok"})
