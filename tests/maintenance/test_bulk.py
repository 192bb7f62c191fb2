"""The bulk JSON endpoint for firms' own systems: all-or-nothing, every bad item reported, idempotent."""

import base64
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from maintenance.models import MaintenanceRecord

from ..factories import JPEG, all_ok

pytestmark = pytest.mark.django_db
URL = "/api/v1/maintenance-records/bulk/"


def item(world, hours_ago=3, **extra):
    start = timezone.now() - timedelta(hours=hours_ago)
    data = {
        "elevator": world["a"].registration_code,
        "tier": "half_monthly",
        "started_at": start.isoformat(),
        "ended_at": (start + timedelta(minutes=45)).isoformat(),
        "workers": [world["worker_a"].pk],
        "signed_by": world["worker_a"].pk,
        "items": [{"item": pk, "result": "ok"} for pk in all_ok()],
    }
    data.update(extra)
    return data


def post(client, body, key="batch-1"):
    return client.post(URL, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key)


def test_the_same_batch_sent_twice_with_one_key_creates_one_set(world, client):
    client.force_login(world["users"]["maintenance"])
    body = {
        "records": [
            item(world, 3),
            item(world, 6, attachments=[{"name": "p.jpg", "content_base64": base64.b64encode(JPEG).decode()}]),
        ]
    }
    first = post(client, body)
    assert first.status_code == 201 and first.json()["created"] == 2
    again = post(client, body)
    assert again.status_code == 201 and again.json()["ids"] == first.json()["ids"] and again.json()["replayed"]
    assert MaintenanceRecord.objects.count() == 2


def test_one_key_with_another_body_is_refused(world, client):
    client.force_login(world["users"]["maintenance"])
    assert post(client, {"records": [item(world, 3)]}).status_code == 201
    response = post(client, {"records": [item(world, 9)]})
    assert response.status_code == 409 and "幂等键已用于另一批数据" in response.json()["detail"]


def test_a_batch_with_bad_items_creates_nothing_and_reports_each(world, client):
    client.force_login(world["users"]["maintenance"])
    bad_worker = item(world, 6)
    bad_worker["workers"] = [world["worker_b"].pk]
    bad_worker["signed_by"] = world["worker_b"].pk
    body = {
        "records": [
            item(world, 3),
            item(world, 5, tier="weekly"),
            bad_worker,
            item(world, 8, elevator=world["b"].registration_code),
        ]
    }
    response = post(client, body)
    assert response.status_code == 400 and response.json()["created"] == 0
    reported = {(e["index"], e["field"]) for e in response.json()["errors"]}
    assert reported == {(1, "tier"), (2, "workers"), (3, "elevator")}
    assert MaintenanceRecord.objects.count() == 0
    # the key was not used up: the corrected batch goes through under it
    fixed = post(client, {"records": [item(world, 3)]})
    assert fixed.status_code == 201


def test_key_is_required_and_only_firms_upload(world, client):
    client.force_login(world["users"]["maintenance"])
    assert post(client, {"records": [item(world)]}, key="").status_code == 400
    client.force_login(world["users"]["use_unit"])
    assert post(client, {"records": [item(world)]}).status_code == 403


def test_keys_are_per_firm(world, client):
    client.force_login(world["users"]["maintenance"])
    assert post(client, {"records": [item(world)]}, key="same").status_code == 201
    client.force_login(world["users"]["maintenance_b"])
    start = timezone.now() - timedelta(hours=2)
    other = {
        "elevator": world["b"].registration_code,
        "tier": "repair",
        "started_at": start.isoformat(),
        "ended_at": (start + timedelta(hours=1)).isoformat(),
        "workers": [world["worker_b"].pk],
        "signed_by": world["worker_b"].pk,
    }
    assert post(client, {"records": [other]}, key="same").status_code == 201


def test_every_bad_item_is_reported_by_index_and_field_in_chinese(world, client):
    client.force_login(world["users"]["maintenance"])
    missing_item = item(world, 4)
    missing_item["items"] = missing_item["items"][1:]
    body = {
        "records": [
            item(world, 3),  # 0: good
            item(world, 4, elevator="31105104022099999999"),  # 1: no such elevator
            item(world, 5, workers=[999999], signed_by=999999),  # 2: no such person
            item(world, 6, started_at="昨天上午"),  # 3: not a time
            item(world, 7, items="全部正常"),  # 4: items not a list
            item(world, 8, items=[{"item": 999999, "result": "ok"}], tier="repair"),  # 5: no such checklist item
            item(world, 9, items=[{"item": i["item"], "result": "fine"} for i in item(world)["items"]]),  # 6: result
            missing_item,  # 7: an item left out
            "not a record",  # 8: not an object
            item(world, 10, workers=None),  # 9: required
            item(world, 11, signed_by=world["worker_a2"].pk),  # 10: signer not among the workers
        ]
    }
    response = post(client, body)
    assert response.status_code == 400 and response.json()["created"] == 0
    errors = response.json()["errors"]
    assert list(dict.fromkeys((e["index"], e["field"]) for e in errors)) == [
        (1, "elevator"),
        (2, "workers"),
        (3, "started_at"),
        (4, "items"),
        (5, "items"),
        (6, "items"),
        (7, "items"),
        (8, "non_field_errors"),
        (9, "workers"),
        (10, "signed_by"),
    ]
    messages = {e["index"]: e["message"] for e in errors}
    assert messages[1] == "找不到电梯“31105104022099999999”。"
    assert messages[2] == "人员（编号999999）不是本单位的维保作业人员。"  # as for another firm's staff
    assert messages[3].startswith("日期时间格式错误")
    assert messages[5] == "以下维保项目编号不存在：999999"
    assert [e["message"] for e in errors if e["index"] == 6] == ["维保项目结果“fine”无效。"]
    assert messages[7].startswith("以下维保项目未填写：")
    assert messages[9] == "该字段是必填项。"
    assert MaintenanceRecord.objects.count() == 0


def test_elevators_are_named_by_registration_code_rescue_code_or_id(world, client):
    client.force_login(world["users"]["maintenance"])
    a = world["a"]
    body = {
        "records": [
            item(world, 3),
            item(world, 4, elevator=a.rescue_code),
            item(world, 5, elevator=str(a.pk)),
            item(world, 6, elevator=f"  {a.registration_code} "),
        ]
    }
    response = post(client, body)
    assert response.status_code == 201 and response.json()["created"] == 4
    assert set(MaintenanceRecord.objects.values_list("elevator_id", flat=True)) == {a.pk}


def test_records_are_saved_with_their_items_workers_and_corrections(world, client):
    client.force_login(world["users"]["maintenance"])
    first = post(client, {"records": [item(world, 30)]}, key="first").json()["ids"][0]
    crew = [world["worker_a"].pk, world["worker_a2"].pk, world["worker_a"].pk]  # a repeated id counts once
    body = {
        "records": [
            item(
                world,
                3,
                workers=crew,
                note="更正：补记制动器间隙",
                corrects=first,
                items=[{"item": pk, "result": "adjusted", "note": "已调整"} for pk in all_ok()],
            )
        ]
    }
    response = post(client, body, key="second")
    assert response.status_code == 201
    record = MaintenanceRecord.objects.get(pk=response.json()["ids"][0])
    assert (
        record.corrects_id == first
        and record.note == "更正：补记制动器间隙"
        and record.created_by.role == "maintenance"
    )
    assert sorted(record.workers.values_list("pk", flat=True)) == sorted({world["worker_a"].pk, world["worker_a2"].pk})
    assert record.items.count() == len(all_ok()) and set(record.items.values_list("result", "note")) == {
        ("adjusted", "已调整")
    }
    assert record.firm == world["firm_a"] and record.signed_by == world["worker_a"]


def test_only_own_records_of_the_same_elevator_can_be_corrected(world, client):
    client.force_login(world["users"]["maintenance_b"])
    start = timezone.now() - timedelta(hours=2)
    other = {
        "elevator": world["b"].registration_code,
        "tier": "repair",
        "started_at": start.isoformat(),
        "ended_at": (start + timedelta(hours=1)).isoformat(),
        "workers": [world["worker_b"].pk],
        "signed_by": world["worker_b"].pk,
    }
    theirs = post(client, {"records": [other]}, key="b").json()["ids"][0]
    client.force_login(world["users"]["maintenance"])
    response = post(client, {"records": [item(world, corrects=theirs), item(world, corrects=999999)]})
    assert [(e["index"], e["field"]) for e in response.json()["errors"]] == [(0, "corrects"), (1, "corrects")]


def test_the_query_count_does_not_grow_with_the_batch(world, client):
    client.force_login(world["users"]["maintenance"])

    def statements(n, key):
        body = {"records": [item(world, 3 + i % 50) for i in range(n)]}
        with CaptureQueriesContext(connection) as queries:
            response = post(client, body, key=key)
        assert response.status_code == 201 and response.json()["created"] == n
        return [q["sql"] for q in queries.captured_queries]

    ten, hundred = statements(10, "ten"), statements(100, "hundred")
    if connection.vendor == "postgresql":
        # session, user; SAVEPOINT; INSERT the key; SELECT elevators, people, checklist; INSERT records, workers,
        # items; UPDATE the key with the answer; RELEASE SAVEPOINT.
        assert len(ten) == len(hundred) == 12
    # SQLite splits an INSERT at 999 parameters (the items of 100 records take several); everything else is the same.
    assert len([s for s in ten if not s.startswith("INSERT")]) == len(
        [s for s in hundred if not s.startswith("INSERT")]
    )
    assert {s.split('"')[1] for s in ten if s.startswith("INSERT")} == {
        s.split('"')[1] for s in hundred if s.startswith("INSERT")
    }


def test_a_batch_over_the_limit_is_refused_whole(world, client, settings):
    settings.BULK_UPLOAD_MAX_RECORDS = 3
    client.force_login(world["users"]["maintenance"])
    response = post(client, {"records": [item(world, h) for h in range(3, 7)]})
    assert response.status_code == 400 and response.json()["detail"] == "一次最多上传3条记录。"
    assert MaintenanceRecord.objects.count() == 0
