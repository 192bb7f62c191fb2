"""POST /api/v1/iot/events/: devices (or their vendor's gateway) send a JSON array of signed events.

No user session and no token: each event is authenticated by its own signature (iot/signing.py), so the view is
CSRF-exempt and anonymous. Answers: 200 when every event was stored, 207 when some were refused (per-event results
either way), 400 for a body that is not a JSON array of at most IOT_BATCH_MAX_EVENTS events, 413 for a body over
IOT_HTTP_MAX_BYTES."""

import json

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .choices import Channel
from .services import ingest_events


def _error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status, json_dumps_params={"ensure_ascii": False})


@csrf_exempt
@require_POST
def events(request):
    limit = settings.IOT_HTTP_MAX_BYTES
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit:
        return _error(_("请求体不能超过%(limit)d字节。") % {"limit": limit}, 413)
    try:
        body = request.read(limit + 1)
    except RequestDataTooBig:
        return _error(_("请求体不能超过%(limit)d字节。") % {"limit": limit}, 413)
    if len(body) > limit:
        return _error(_("请求体不能超过%(limit)d字节。") % {"limit": limit}, 413)
    try:
        batch = json.loads(body)
    except (ValueError, RecursionError):
        batch = None
    if not isinstance(batch, list):
        return _error(_("请求体必须是由事件组成的JSON数组。"), 400)
    if len(batch) > settings.IOT_BATCH_MAX_EVENTS:
        return _error(_("每批最多%(limit)d个事件。") % {"limit": settings.IOT_BATCH_MAX_EVENTS}, 400)
    result = ingest_events(batch, channel=Channel.HTTP)
    return JsonResponse(
        {
            "sent": result.sent,
            "stored": result.stored,
            "rejected": result.rejected,
            "results": [
                {
                    "index": r.index,
                    "event_id": r.event_id,
                    "status": r.status,
                    **({"reason": r.reason} if r.reason else {}),
                }
                for r in result.results
            ],
        },
        status=200 if result.stored == result.sent else 207,
        json_dumps_params={"ensure_ascii": False},
    )
