"""The public monthly safety bulletin (plan §2(10)): a printable page and the same data as JSON. No login."""

import re
from datetime import date

from django.http import HttpResponseBadRequest, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from .bulletin import bulletin_for_month, latest_complete_month

FIRST_YEAR = 2000
MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")


class BadMonth(ValueError):
    pass


def _month(value: str | None) -> tuple[int, int]:
    """The month asked for (`YYYY-MM`), or the latest complete month; a malformed month, or one not yet over,
    is refused (the figures of a running month would change under the reader)."""
    latest = latest_complete_month(timezone.localdate())
    if not value:
        return latest
    match = MONTH_PATTERN.match(value)
    if not match:
        raise BadMonth(_("月份格式应为 YYYY-MM。"))
    year, month = int(match[1]), int(match[2])
    if not 1 <= month <= 12 or year < FIRST_YEAR or (year, month) > latest:
        raise BadMonth(_("没有该月份的安全状况通报。"))
    return year, month


def _shift(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def _label(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


@require_GET
@cache_control(public=True, max_age=3600)
def bulletin(request):
    try:
        year, month = _month(request.GET.get("month"))
    except BadMonth as exc:
        return HttpResponseBadRequest(str(exc))
    latest = latest_complete_month(timezone.localdate())
    previous = _shift(year, month, -1)
    following = _shift(year, month, 1)
    return render(
        request,
        "dashboards/bulletin.html",
        {
            "bulletin": bulletin_for_month(year=year, month=month),
            "month_start": date(year, month, 1),
            "previous_month": _label(*previous) if previous[0] >= FIRST_YEAR else None,
            "next_month": _label(*following) if following <= latest else None,
        },
    )


@require_GET
@cache_control(public=True, max_age=3600)
def bulletin_json(request):
    try:
        year, month = _month(request.GET.get("month"))
    except BadMonth as exc:
        return JsonResponse({"error": str(exc)}, status=400, json_dumps_params={"ensure_ascii": False})
    return JsonResponse(bulletin_for_month(year=year, month=month), json_dumps_params={"ensure_ascii": False})
