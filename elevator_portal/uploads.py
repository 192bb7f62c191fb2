"""Request size caps, checked before a body is read and again while it is read (issue 14: a 300 MB attachment was read
whole into memory before the 8 MB check).

- `RequestSizeMiddleware` answers 413 to a request whose Content-Length exceeds REQUEST_MAX_BODY_BYTES, before anything
  reads the body, and turns an UploadTooBig raised while reading (below) into a 413 with the reason: JSON for the API,
  a short page otherwise.
- `SizeLimitUploadHandler`, first of FILE_UPLOAD_HANDLERS, counts each uploaded file's bytes as they arrive and stops
  the upload past UPLOAD_MAX_FILE_BYTES (the largest file any form takes); each form then applies its own, smaller
  limit (ATTACHMENT_MAX_BYTES, IMPORT_MAX_FILE_BYTES...) to a file that is already on disk, never in memory.
- The API's JSON parser (elevator_portal.api) reads at most DATA_UPLOAD_MAX_MEMORY_SIZE bytes of a JSON body.
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _

UPLOAD_TOO_BIG_ATTRIBUTE = "_upload_too_big"


class UploadTooBig(RequestDataTooBig):
    """A body or one uploaded file over its cap; `field` names the form field when it is known."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.message, self.field = message, field


def _mb(size: int) -> str:
    return f"{size / 2**20:g}"


def body_too_big() -> UploadTooBig:
    limit = settings.REQUEST_MAX_BODY_BYTES
    return UploadTooBig(_("请求内容过大（最大%(mb)sMB）。") % {"mb": _mb(limit)})


def json_too_big() -> UploadTooBig:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return UploadTooBig(_("JSON请求内容过大（最大%(mb)sMB），请分批提交。") % {"mb": _mb(limit)})


def file_too_big(field: str, name: str) -> UploadTooBig:
    limit = settings.UPLOAD_MAX_FILE_BYTES
    return UploadTooBig(
        _("%(field)s：文件“%(name)s”过大（最大%(mb)sMB）。") % {"field": field, "name": name, "mb": _mb(limit)},
        field=field,
    )


def content_length(meta) -> int:
    try:
        return max(int(meta.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


def too_big_response(request, error: UploadTooBig) -> HttpResponse:
    if request.path.startswith("/api/"):
        body = {error.field: [error.message]} if error.field else {"detail": error.message}
        return JsonResponse(body, status=413, json_dumps_params={"ensure_ascii": False})
    return HttpResponse(error.message, status=413, content_type="text/plain; charset=utf-8")


class RequestSizeMiddleware:
    """413 on Content-Length before the body is read; 413 with the reason when a cap was passed while reading (the
    CSRF check may be what read it, so the reason travels on the request, not as an exception)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if content_length(request.META) > settings.REQUEST_MAX_BODY_BYTES:
            return too_big_response(request, body_too_big())
        response = self.get_response(request)
        error = getattr(request, UPLOAD_TOO_BIG_ATTRIBUTE, None)
        if error is not None and response.status_code != 413:
            return too_big_response(request, error)
        return response


def refuse(request, error: UploadTooBig) -> UploadTooBig:
    """Remember why the request was refused (for RequestSizeMiddleware) and return the error to raise."""
    if request is not None:
        setattr(request, UPLOAD_TOO_BIG_ATTRIBUTE, error)
    return error


class SizeLimitUploadHandler(FileUploadHandler):
    """Stops an upload as soon as the body or one file passes its cap, before the rest is read (chunks of 64 KB)."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length > settings.REQUEST_MAX_BODY_BYTES:
            raise refuse(self.request, body_too_big())
        return None  # the other handlers parse as usual

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > settings.UPLOAD_MAX_FILE_BYTES:
            raise refuse(self.request, file_too_big(self.field_name, self.file_name))
        return raw_data  # on to the memory or temporary-file handler

    def file_complete(self, file_size):
        return None
