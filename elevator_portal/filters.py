"""Filters shared by the FilterSets of several apps, and the one check of every date and datetime the portal is sent.

A date or datetime from outside (a filter, an upload, Open311) is refused with a message naming the field when the
database could not store or compare it (issue 14): PostgreSQL refuses UTC offsets beyond ±15:59 ("time zone
displacement out of range"), and a day at either end of Python's calendar overflows when it is turned into UTC or
into a day's bounds (`elevator_portal.dates.day_bounds`). No date the portal deals in is before 1900 or after 2999.
"""

from datetime import date, datetime, timedelta

import django_filters
from django import forms
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _
from django_filters.fields import IsoDateTimeField
from drf_spectacular.utils import extend_schema_field

EARLIEST = date(1900, 1, 1)
LATEST = date(2999, 12, 31)
# ISO 8601 offsets are ±hh:mm; PostgreSQL's timestamptz takes at most ±15:59.
MAX_UTC_OFFSET = timedelta(hours=15, minutes=59)


def date_problem(value: date) -> str | None:
    """Why a date cannot be used (a translated message), or None."""
    if not EARLIEST <= value <= LATEST:
        return _("日期应在%(earliest)s至%(latest)s之间。") % {"earliest": EARLIEST, "latest": LATEST}
    return None


def datetime_problem(value: datetime) -> str | None:
    """Why a datetime cannot be used (a translated message), or None: its UTC offset or its day out of range."""
    offset = value.utcoffset()
    if offset is not None and abs(offset) > MAX_UTC_OFFSET:
        return _("时区偏移应在-15:59至+15:59之间，例如+08:00。")
    return date_problem(value.date())


class CheckedDateField(forms.DateField):
    def clean(self, value):
        value = super().clean(value)
        if value is not None and (problem := date_problem(value)):
            raise forms.ValidationError(problem, code="out_of_range")
        return value


class CheckedIsoDateTimeField(IsoDateTimeField):
    def clean(self, value):
        value = super().clean(value)
        if value is not None and (problem := datetime_problem(value)):
            raise forms.ValidationError(problem, code="out_of_range")
        return value


class DateFilter(django_filters.DateFilter):
    """django-filter's DateFilter, refusing days outside EARLIEST..LATEST (a 400 naming the filter in the API)."""

    field_class = CheckedDateField


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """django-filter's IsoDateTimeFilter, refusing offsets beyond ±15:59 and days outside EARLIEST..LATEST."""

    field_class = CheckedIsoDateTimeField


@extend_schema_field({"type": "string", "pattern": "^[0-9]{6}$"})
class DivisionCodeFilter(django_filters.ModelMultipleChoiceFilter):
    """Districts by their six-digit administrative division code (e.g. 510402), repeatable: `?district=510402
    &district=510403`. The FilterSet passes the District queryset and `to_field_name="code"`."""


class NulParameterMiddleware:
    """A 400 naming the parameter for a query string holding NUL (`?q=%00`), before any view: PostgreSQL can neither
    store nor compare it, and a list that searched with it answered 500 (issue 14). Open311 answers it itself, in the
    spec's error format (complaints.open311)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/open311/"):
            for name, values in request.GET.lists():
                if "\x00" in name or any("\x00" in value for value in values):
                    return nul_parameter_response(request, name.replace("\x00", ""))
        return self.get_response(request)


def nul_parameter_response(request, name: str) -> HttpResponse:
    message = _("查询参数%(name)s不能包含空字符。") % {"name": name}
    if request.path.startswith("/api/"):
        return JsonResponse({name: [message]}, status=400, json_dumps_params={"ensure_ascii": False})
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
