"""The bulk JSON endpoint for firms' own systems: all-or-nothing, every bad item reported, idempotent."""

import base64
from datetime import timedelta

import pytest
from django.utils import timezone

from maintenance.models import MaintenanceRecord

from .helpers import JPEG, all_ok

pytestmark = pytest.mark.django_db
URL = "/api/v1/maintenance-records/bulk/"


def item(firms, hours_ago=3, **extra):
    start = timezone.now() - timedelta(hours=hours_ago)
    data = {"elevator": firms["a"].registration_code, "tier": "half_monthly", "started_at": start.isoformat(),
            "ended_at": (start + timedelta(minutes=45)).isoformat(), "workers": [firms["worker_a"].pk],
            "signed_by": firms["worker_a"].pk, "items": [{"item": pk, "result": "ok"} for pk in all_ok()]}
    data.update(extra)
    return data


def post(client, body, key="batch-1"):
    return client.post(URL, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key)


def test_the_same_batch_sent_twice_with_one_key_creates_one_set(firms, client):
    client.force_login(firms["users"]["firm_a"])
    body = {"records": [item(firms, 3), item(firms, 6, attachments=[
        {"name": "p.jpg", "content_base64": base64.b64encode(JPEG).decode()}])]}
    first = post(client, body)
    assert first.status_code == 201 and first.json()["created"] == 2
    again = post(client, body)
    assert again.status_code == 201 and again.json()["ids"] == first.json()["ids"] and again.json()["replayed"]
    assert MaintenanceRecord.objects.count() == 2


def test_one_key_with_another_body_is_refused(firms, client):
    client.force_login(firms["users"]["firm_a"])
    assert post(client, {"records": [item(firms, 3)]}).status_code == 201
    response = post(client, {"records": [item(firms, 9)]})
    assert response.status_code == 409 and "幂等键已用于另一批数据" in response.json()["detail"]


def test_a_batch_with_bad_items_creates_nothing_and_reports_each(firms, client):
    client.force_login(firms["users"]["firm_a"])
    bad_worker = item(firms, 6)
    bad_worker["workers"] = [firms["worker_b"].pk]
    bad_worker["signed_by"] = firms["worker_b"].pk
    body = {"records": [item(firms, 3), item(firms, 5, tier="weekly"), bad_worker,
                        item(firms, 8, elevator=firms["b"].registration_code)]}
    response = post(client, body)
    assert response.status_code == 400 and response.json()["created"] == 0
    reported = {(e["index"], e["field"]) for e in response.json()["errors"]}
    assert reported == {(1, "tier"), (2, "workers"), (3, "elevator")}
    assert MaintenanceRecord.objects.count() == 0
    # the key was not used up: the corrected batch goes through under it
    fixed = post(client, {"records": [item(firms, 3)]})
    assert fixed.status_code == 201


def test_key_is_required_and_only_firms_upload(firms, client):
    client.force_login(firms["users"]["firm_a"])
    assert post(client, {"records": [item(firms)]}, key="").status_code == 400
    client.force_login(firms["users"]["use_a"])
    assert post(client, {"records": [item(firms)]}).status_code == 403


def test_keys_are_per_firm(firms, client):
    client.force_login(firms["users"]["firm_a"])
    assert post(client, {"records": [item(firms)]}, key="same").status_code == 201
    client.force_login(firms["users"]["firm_b"])
    start = timezone.now() - timedelta(hours=2)
    other = {"elevator": firms["b"].registration_code, "tier": "repair", "started_at": start.isoformat(),
             "ended_at": (start + timedelta(hours=1)).isoformat(), "workers": [firms["worker_b"].pk],
             "signed_by": firms["worker_b"].pk}
    assert post(client, {"records": [other]}, key="same").status_code == 201
