"""Request size caps (issue 14, elevator_portal/uploads.py): a body over its cap is refused on its Content-Length
before it is read, and an uploaded file over its cap while it is read, never read whole into memory."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, RequestFactory
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import reverse

from elevator_portal.uploads import RequestSizeMiddleware, UploadTooBig

pytestmark = pytest.mark.django_db
RECORDS = "/api/v1/maintenance-records/"
MB = 2**20


class CountingStream:
    """A request body that counts what is read from it, and can refuse any reading at all."""

    def __init__(self, inner=None):
        self.inner, self.read_bytes = inner, 0

    def read(self, size=-1):
        if self.inner is None:
            raise AssertionError("the body was read")
        data = self.inner.read(size)
        self.read_bytes += len(data)
        return data

    def readline(self, size=-1):
        data = self.inner.readline(size)
        self.read_bytes += len(data)
        return data


def big_file(size=3 * MB, name="big.jpg"):
    return SimpleUploadedFile(name, b"\xff\xd8\xff" + b"0" * size, content_type="image/jpeg")


def test_a_body_over_the_cap_is_refused_on_its_content_length_before_it_is_read(settings):
    settings.REQUEST_MAX_BODY_BYTES = 10 * MB
    request = RequestFactory().post(RECORDS, b"{}", content_type="application/json", CONTENT_LENGTH=str(300 * MB))
    request._stream = CountingStream()  # reading it fails the test
    response = RequestSizeMiddleware(lambda r: r.body)(request)
    assert response.status_code == 413 and "请求内容过大（最大10MB）" in json.loads(response.content)["detail"]


def test_a_page_over_the_cap_gets_a_413_page(client, world, settings):
    settings.REQUEST_MAX_BODY_BYTES = MB
    client.force_login(world["users"]["city"])
    response = client.post(reverse("registry:import_upload"), {"kind": "elevators", "file": big_file(2 * MB)})
    assert response.status_code == 413 and "请求内容过大" in response.content.decode()


def test_a_file_over_the_cap_stops_the_upload_while_it_is_read(settings):
    settings.UPLOAD_MAX_FILE_BYTES = MB
    request = RequestFactory().post("/registry/imports/", {"kind": "elevators", "file": big_file(3 * MB)})
    request._stream = counting = CountingStream(request._stream)
    with pytest.raises(UploadTooBig) as refused:
        request.FILES  # noqa: B018 - parsing the body is the point
    assert refused.value.field == "file" and "big.jpg" in refused.value.message
    assert counting.read_bytes < 1.5 * MB  # stopped past 1 MB, not after the whole 3 MB


def test_an_api_attachment_over_the_upload_cap_is_a_413_naming_the_field(client, world, settings):
    settings.UPLOAD_MAX_FILE_BYTES = MB
    client.force_login(world["users"]["maintenance"])
    response = client.post(RECORDS, {"elevator": world["a"].registration_code, "attachments": big_file(2 * MB)})
    assert response.status_code == 413, response.content
    assert "过大" in response.json()["attachments"][0]


@pytest.mark.parametrize("csrf", [False, True])
def test_an_import_file_over_the_upload_cap_is_a_413_page_with_the_reason(world, settings, csrf):
    settings.UPLOAD_MAX_FILE_BYTES = MB
    client = Client(enforce_csrf_checks=csrf)  # with CSRF checks the middleware reads the body before the view
    client.force_login(world["users"]["city"])
    client.cookies[settings.CSRF_COOKIE_NAME] = token = "t" * 32
    data = {"kind": "elevators", "file": big_file(2 * MB), "csrfmiddlewaretoken": token}
    response = client.post(reverse("registry:import_upload"), data)
    assert response.status_code == 413 and "文件“big.jpg”过大（最大1MB）" in response.content.decode()


def test_an_attachment_over_its_own_limit_is_refused_before_it_is_read(client, world, settings, monkeypatch):
    settings.ATTACHMENT_MAX_BYTES = 1000
    from django.core.files.uploadedfile import InMemoryUploadedFile

    def no_read(self, *args):
        raise AssertionError("read into memory")

    client.force_login(world["users"]["maintenance"])
    body = {
        "elevator": world["a"].registration_code,
        "tier": "half_monthly",
        "started_at": "2026-05-01T09:00:00+08:00",
        "ended_at": "2026-05-01T10:00:00+08:00",
        "workers": [world["worker_a"].pk],
        "signed_by": world["worker_a"].pk,
        "attachments": big_file(5000),
    }
    payload = encode_multipart(BOUNDARY, body)  # the test client reads the file while encoding it
    monkeypatch.setattr(InMemoryUploadedFile, "read", no_read)
    response = client.generic("POST", RECORDS, payload, content_type=MULTIPART_CONTENT)
    assert response.status_code == 400 and "过大" in response.json()["attachments"][0]


def test_a_json_body_over_the_cap_is_a_413(client, world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client.force_login(world["users"]["maintenance"])
    response = client.post(RECORDS, {"note": "x" * 2000}, content_type="application/json")
    assert response.status_code == 413 and "JSON请求内容过大" in response.json()["detail"]
