"""What every API endpoint shares: one exception handler that turns the services' errors into responses, and one JSON
parser that refuses what would otherwise become a server error.

Services raise Django's ValidationError and PermissionDenied, whoever calls them (a page, the API, a job). Pages put
them on the form (elevator_portal.forms.add_service_errors); here the API answers them with DRF's 400 and 403 and the
same messages, so a viewset calls a service directly and never catches its errors itself.

Bodies (issue 14: a 4xx for every bad input): the JSON parser (REST_FRAMEWORK "DEFAULT_PARSER_CLASSES") refuses JSON
nested deeper than API_JSON_MAX_DEPTH (100,000 brackets made the standard parser raise RecursionError, a 500) and any
text holding NUL (`\\u0000`, which PostgreSQL cannot store or compare), naming the field. `json_field` does the same
for a JSON document sent as one multipart field (a record's `items`).
"""

import json
import re

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from rest_framework import parsers, serializers
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .filters import datetime_problem
from .uploads import UploadTooBig, content_length, json_too_big, refuse


def exception_handler(exc, context):
    """DRF's handler, after a service's ValidationError became a 400 ({field: [messages]} or {"detail": [...]});
    Django's PermissionDenied (403, with its message) and Http404 are DRF's own conversions; a body or file over its
    cap (elevator_portal.uploads) is a 413 naming the field."""
    if isinstance(exc, UploadTooBig):
        return Response({exc.field: [exc.message]} if exc.field else {"detail": exc.message}, status=413)
    if isinstance(exc, RequestDataTooBig):  # Django's own check of DATA_UPLOAD_MAX_MEMORY_SIZE (DRF reads .body)
        return Response({"detail": json_too_big().message}, status=413)
    if isinstance(exc, (TooManyFieldsSent, TooManyFilesSent)):
        return Response({"detail": _("请求包含的字段或文件过多。")}, status=400)
    if isinstance(exc, DjangoValidationError):
        exc = ValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages})
    return drf_exception_handler(exc, context)


# NUL can only reach a JSON string escaped (a raw control character is a syntax error); an even number of
# backslashes before it means the backslash itself was escaped ("\\u0000" is the six characters \u0000).
_ESCAPED_NUL = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")


def _reject_constant(name):
    raise ValueError(_("不支持的数值：%(v)s。") % {"v": name})


def _too_deep(data, limit: int) -> bool:
    """Whether containers nest more than `limit` deep (iterative: a deep document cannot exhaust the stack)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            value = value.values()
        elif not isinstance(value, list):
            continue
        if depth > limit:
            return True
        stack.extend((v, depth + 1) for v in value if isinstance(v, (dict, list)))
    return False


def _nul_path(data, path: str = "") -> str | None:
    """The field (`records[0].note`) of the first text holding NUL, a key included, or None."""
    stack = [(data, path)]
    while stack:
        value, where = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return where or "detail"
        elif isinstance(value, dict):
            for key, item in value.items():
                name = f"{where}.{key}" if where else str(key)
                if "\x00" in key:
                    return name.replace("\x00", "\\u0000")
                stack.append((item, name))
        elif isinstance(value, list):
            stack.extend((item, f"{where}[{i}]") for i, item in enumerate(value))
    return None


def json_loads(text: str, *, field: str = ""):
    """A JSON document checked like every API body: ParseError (400) when it is not JSON or nests too deep,
    ValidationError (400) naming the field when a text holds NUL. `field` prefixes the names (multipart fields)."""
    limit = settings.API_JSON_MAX_DEPTH
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        data, too_deep = None, True
    except ValueError as exc:
        message = _("JSON格式错误：%(e)s") % {"e": exc}
        raise (ValidationError({field: [message]}) if field else ParseError(message)) from None
    else:
        too_deep = _too_deep(data, limit)
    if too_deep:
        message = _("JSON嵌套层数不能超过%(n)d层。") % {"n": limit}
        raise ValidationError({field: [message]}) if field else ParseError(message)
    if _ESCAPED_NUL.search(text) and (where := _nul_path(data, field)):
        raise ValidationError({where: [_("不能包含空字符（\\u0000）。")]})
    return data


def json_field(value, *, field: str, default=None):
    """A multipart field holding a JSON document (`items`), checked like a JSON body; `default` when absent."""
    if value in (None, ""):
        return default
    if not isinstance(value, str):
        raise ValidationError({field: [_("应为JSON文本。")]})
    return json_loads(value, field=field)


class JSONParser(parsers.JSONParser):
    """DRF's JSONParser with a depth limit and no NUL in texts (the parser of every endpoint, REST_FRAMEWORK), reading
    at most DATA_UPLOAD_MAX_MEMORY_SIZE bytes (DRF reads the body itself, past Django's own check of that setting)."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        request = getattr(parser_context.get("request"), "_request", None)
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if request is not None and content_length(request.META) > limit:
            raise refuse(request, json_too_big())
        raw = stream.read(limit + 1)
        if len(raw) > limit:
            raise refuse(request, json_too_big())
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = raw.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise ParseError(_("JSON格式错误：%(e)s") % {"e": exc}) from None
        return json_loads(text)


class DateTimeField(serializers.DateTimeField):
    """DRF's DateTimeField, refusing what the database cannot take (elevator_portal.filters.datetime_problem): an
    offset beyond ±15:59, a day before 1900 or after 2999."""

    def to_internal_value(self, value):
        try:
            parsed = parse_datetime(value) if isinstance(value, str) else None
        except ValueError:
            parsed = None  # DRF's own message
        if parsed is not None and (problem := datetime_problem(parsed)):
            raise ValidationError(problem, code="out_of_range")
        return super().to_internal_value(value)
