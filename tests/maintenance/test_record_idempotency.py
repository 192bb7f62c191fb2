"""A single maintenance-record upload takes the Idempotency-Key the bulk endpoint uses (issue 14: a client retrying
after a lost answer duplicated the record): the same key and body answer the first record (201, same id), another
body under the same key is a 409 with a message, and a refused upload leaves the key free."""

import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from maintenance.models import BulkUpload, MaintenanceRecord

from ..factories import JPEG, all_ok

API = "/api/v1/maintenance-records/"


@pytest.fixture
def firm(world, client):
    client.force_login(world["users"]["maintenance"])
    return client


def body(world, minutes=50, **extra):
    start = timezone.now() - timedelta(hours=3)
    return {
        "elevator": world["a"].registration_code,
        "tier": "half_monthly",
        "started_at": start.replace(microsecond=0).isoformat(),
        "ended_at": (start + timedelta(minutes=minutes)).replace(microsecond=0).isoformat(),
        "workers": [world["worker_a"].pk],
        "signed_by": world["worker_a"].pk,
        "items": [{"item": pk, "result": "ok"} for pk in all_ok()],
        **extra,
    }


def post(client, data, key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(API, data, content_type="application/json", **headers)


def test_a_retry_with_the_same_key_and_body_returns_the_first_record(world, firm):
    data = body(world)
    first = post(firm, data, key="visit-2026-12-01-a")
    assert first.status_code == 201, first.content
    again = post(firm, data, key="visit-2026-12-01-a")
    assert again.status_code == 201 and again.json()["id"] == first.json()["id"]
    assert MaintenanceRecord.objects.count() == 1


def test_another_body_under_the_same_key_is_a_409_with_a_message(world, firm):
    assert post(firm, body(world), key="k1").status_code == 201
    response = post(firm, body(world, minutes=55), key="k1")
    assert response.status_code == 409 and "幂等键" in response.json()["detail"]
    assert MaintenanceRecord.objects.count() == 1


def test_without_a_key_nothing_is_kept_and_keys_are_per_firm(world, firm, client):
    assert post(firm, body(world)).status_code == 201
    assert not BulkUpload.objects.exists()
    assert post(firm, body(world, minutes=40, tier="repair"), key="shared").status_code == 201
    client.force_login(world["users"]["maintenance_b"])
    other = body(world, elevator=world["b"].registration_code, workers=[world["worker_b"].pk])
    other["signed_by"] = world["worker_b"].pk
    response = post(client, other, key="shared")
    assert response.status_code == 201, response.content
    assert MaintenanceRecord.objects.count() == 3


def test_a_refused_upload_leaves_the_key_free_for_the_corrected_one(world, firm):
    bad = post(firm, body(world, signed_by=999999), key="k2")
    assert bad.status_code == 400 and not BulkUpload.objects.exists()
    good = post(firm, body(world), key="k2")
    assert good.status_code == 201, good.content


def test_a_key_used_by_a_bulk_upload_is_not_reused_for_one_record(world, firm):
    bulk = firm.post(
        f"{API}bulk/", {"records": [body(world)]}, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k3"
    )
    assert bulk.status_code == 201, bulk.content
    assert post(firm, body(world, minutes=30), key="k3").status_code == 409


def test_a_key_over_100_characters_is_a_400_naming_the_header(world, firm):
    response = post(firm, body(world), key="x" * 101)
    assert response.status_code == 400 and "Idempotency-Key" in response.json()
    assert not MaintenanceRecord.objects.exists()


def test_a_multipart_retry_with_the_same_photo_is_replayed_and_another_photo_is_a_409(world, firm):
    def multipart(photo: bytes):
        data = body(world)
        data["items"] = json.dumps(data["items"])
        data["attachments"] = [SimpleUploadedFile("p.jpg", photo, content_type="image/jpeg")]
        return firm.post(API, data, HTTP_IDEMPOTENCY_KEY="k4")

    first = multipart(JPEG)
    assert first.status_code == 201, first.content
    assert multipart(JPEG).json()["id"] == first.json()["id"]
    assert multipart(JPEG + b"\0").status_code == 409
    assert MaintenanceRecord.objects.count() == 1


def test_the_schema_documents_the_header_and_the_409(client, db):
    from drf_spectacular.generators import SchemaGenerator

    operation = SchemaGenerator().get_schema(request=None, public=True)["paths"][API]["post"]
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in operation["parameters"])
    assert "409" in operation["responses"]
