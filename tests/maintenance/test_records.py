"""Paperless maintenance records (TSG T5002-2017): upload, confirmation, immutability, corrections, files."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from maintenance import services
from maintenance.models import Attachment, ConfirmedRecordError, MaintenanceRecord

from ..factories import JPEG, PDF, PNG, all_ok, make_record

pytestmark = pytest.mark.django_db


def test_a_record_needs_every_checklist_item_of_its_tier(world):
    items = all_ok()
    items.popitem()
    with pytest.raises(ValidationError) as exc:
        make_record(world, items=items)
    assert exc.value.message_dict["items"][0].startswith("以下维保项目未填写：")


def test_a_worker_with_an_expired_certificate_is_refused_naming_the_worker_and_the_date(world):
    started = timezone.now() - timedelta(hours=2)
    day = timezone.localtime(started).date()  # the day of the work, yesterday between midnight and 2 a.m.
    worker = world["worker_a2"]
    worker.certificate_valid_until = day - timedelta(days=1)
    worker.save()
    with pytest.raises(ValidationError) as exc:
        make_record(world, workers=[world["worker_a"], worker], started=started)
    assert exc.value.message_dict["workers"] == [
        f"维保人员“赵师傅”的证书已于{day - timedelta(days=1)}过期，不能在{day}作业。"
    ]


def test_certificate_valid_on_the_last_day_is_accepted(world):
    worker = world["worker_a2"]
    started = timezone.now() - timedelta(hours=2)
    worker.certificate_valid_until = timezone.localtime(started).date()
    worker.save()
    assert make_record(world, workers=[world["worker_a"], worker], started=started).pk


def test_a_firm_writes_only_for_elevators_under_its_contracts(world):
    with pytest.raises(PermissionDenied, match="不在本单位履行中的维保合同内"):
        make_record(world, elevator=world["b"])


def test_workers_must_belong_to_the_firm(world):
    with pytest.raises(ValidationError) as exc:
        make_record(world, workers=[world["worker_a"], world["worker_b"]])
    assert exc.value.message_dict["workers"] == [f"人员（编号{world['worker_b'].pk}）不是本单位的维保作业人员。"]
    assert "刘师傅" not in str(exc.value)


def test_an_unknown_checklist_item_is_refused_naming_it(world):
    items = {**all_ok(), 999999: ("ok", "")}
    with pytest.raises(ValidationError) as exc:
        make_record(world, items=items)
    assert exc.value.message_dict["items"] == ["以下维保项目编号不存在：999999"]
    assert not MaintenanceRecord.objects.exists()


def test_a_wrong_result_is_named_once_whatever_the_number_of_items(world):
    with pytest.raises(ValidationError) as exc:
        make_record(world, items={pk: ("good", "") for pk in all_ok()})
    assert exc.value.message_dict["items"] == ["维保项目结果“good”无效。"]


def test_a_record_is_saved_with_its_workers_items_and_creator(world):
    record = make_record(
        world,
        workers=[world["worker_a"], world["worker_a2"], world["worker_a"]],
        items={pk: ("adjusted", "已调整" * 100) for pk in all_ok()},
        note="例行维保",
    )
    record.refresh_from_db()
    assert record.firm == world["firm_a"] and record.created_by == world["users"]["maintenance"]
    assert record.note == "例行维保"
    assert set(record.workers.all()) == {world["worker_a"], world["worker_a2"]}
    assert record.items.count() == len(all_ok())
    assert {len(note) for note in record.items.values_list("note", flat=True)} == {255}  # cut to the column


def test_times_must_be_ordered(world):
    with pytest.raises(ValidationError) as exc:
        make_record(world, minutes=0)
    assert exc.value.message_dict["ended_at"] == ["结束时间应晚于开始时间。"]


def test_attachments_are_checked_by_content_and_stored_with_a_checksum(world, settings):
    with pytest.raises(ValidationError, match="不是JPEG、PNG照片或PDF文件"):
        make_record(world, attachments=[services.UploadedFile("photo.jpg", b"<script>alert(1)</script>")])
    settings.ATTACHMENT_MAX_BYTES = 10
    with pytest.raises(ValidationError, match="过大"):
        make_record(world, attachments=[services.UploadedFile("big.jpg", JPEG)])
    settings.ATTACHMENT_MAX_BYTES = 1024
    record = make_record(
        world,
        attachments=[
            services.UploadedFile("a.jpg", JPEG),
            services.UploadedFile("b.png", PNG),
            services.UploadedFile("c.pdf", PDF),
        ],
    )
    kinds = sorted(record.attachments.values_list("kind", flat=True))
    assert kinds == ["pdf", "photo", "photo"]
    jpeg = record.attachments.get(original_name="a.jpg")
    assert jpeg.sha256 == Attachment.checksum(JPEG) and jpeg.file.read() == JPEG


def test_confirmation_updates_the_last_maintenance_date_shown_publicly(world, client):
    record = make_record(world)
    with pytest.raises(PermissionDenied):
        services.record_confirm(user=world["users"]["maintenance"], record=record)
    with pytest.raises(PermissionDenied):
        services.record_confirm(user=world["users"]["use_unit_b"], record=record)
    services.record_confirm(user=world["users"]["use_unit"], record=record)
    world["a"].refresh_from_db()
    day = timezone.localtime(record.ended_at).date()
    assert world["a"].last_maintenance_on == day
    assert day.isoformat() in client.get(f"/e/{world['a'].registration_code}/").content.decode()


def test_a_confirmed_record_cannot_be_changed_or_deleted_by_any_path(world, client):
    record = make_record(world)
    services.record_confirm(user=world["users"]["use_unit"], record=record)
    # the model, whatever calls it
    record.note = "改一下"
    with pytest.raises(ConfirmedRecordError):
        record.save()
    with pytest.raises(ConfirmedRecordError):
        record.delete()
    # the page
    client.force_login(world["users"]["maintenance"])
    response = client.post(reverse("maintenance:record_delete", args=[record.pk]), follow=True)
    assert "不能删除" in response.content.decode()
    # the API
    response = client.delete(f"/api/v1/maintenance-records/{record.pk}/")
    assert response.status_code == 400 and "不能删除" in response.content.decode()
    assert (
        client.patch(
            f"/api/v1/maintenance-records/{record.pk}/", {"note": "x"}, content_type="application/json"
        ).status_code
        == 405
    )
    # the admin, even for a superuser
    from accounts.models import User

    admin = User.objects.create_superuser("root", "root@example.cn", "pw")
    client.force_login(admin)
    response = client.post(f"/admin/maintenance/maintenancerecord/{record.pk}/change/", {"note": "x"})
    assert response.status_code == 403
    response = client.post(f"/admin/maintenance/maintenancerecord/{record.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    record.refresh_from_db()
    assert record.note == "" and record.status == "confirmed"


def test_a_correction_is_a_new_record_linked_to_the_old_one(world):
    record = make_record(world)
    services.record_confirm(user=world["users"]["use_unit"], record=record)
    correction = make_record(world, corrects=record, note="补录第3项")
    assert correction.pk != record.pk and correction.corrects == record
    assert list(record.corrections.all()) == [correction]


def test_an_unconfirmed_record_may_be_withdrawn_by_its_firm_only(world):
    record = make_record(world)
    with pytest.raises(PermissionDenied):
        services.record_delete(user=world["users"]["maintenance_b"], record=record)
    services.record_delete(user=world["users"]["maintenance"], record=record)
    assert not MaintenanceRecord.objects.filter(pk=record.pk).exists()


@pytest.mark.parametrize(
    "who, sees",
    [
        ("maintenance", True),
        ("maintenance_b", False),
        ("use_unit", True),
        ("use_unit_b", False),
        ("city", True),
        ("district", True),
        ("inspection", False),
        ("department", False),
    ],
)
def test_who_sees_a_record_and_its_attachments(world, client, who, sees):
    record = make_record(world, attachments=[services.UploadedFile("a.jpg", JPEG)])
    attachment = record.attachments.get()
    client.force_login(world["users"][who])
    assert (client.get(reverse("maintenance:record_detail", args=[record.pk])).status_code == 200) is sees
    assert (client.get(reverse("maintenance:attachment", args=[attachment.pk])).status_code == 200) is sees
    ids = [r["id"] for r in client.get("/api/v1/maintenance-records/").json()["results"]]
    assert (record.pk in ids) is sees
    assert (client.get(f"/api/v1/maintenance-records/{record.pk}/").status_code == 200) is sees


def test_anonymous_sees_no_record_or_attachment(world, client):
    record = make_record(world, attachments=[services.UploadedFile("a.jpg", JPEG)])
    assert client.get(reverse("maintenance:attachment", args=[record.attachments.get().pk])).status_code == 302
    assert client.get("/api/v1/maintenance-records/").status_code == 401


def test_firm_b_cannot_write_for_firm_a_through_the_api(world, client):
    client.force_login(world["users"]["maintenance_b"])
    start = timezone.now() - timedelta(hours=3)
    response = client.post(
        "/api/v1/maintenance-records/",
        {
            "elevator": world["a"].registration_code,
            "tier": "repair",
            "started_at": start.isoformat(),
            "ended_at": (start + timedelta(hours=1)).isoformat(),
            "workers": [world["worker_b"].pk],
            "signed_by": world["worker_b"].pk,
        },
        content_type="application/json",
    )
    assert response.status_code == 403 and "不在本单位履行中的维保合同内" in response.content.decode()


def test_api_create_with_multipart_attachments(world, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(world["users"]["maintenance"])
    start = timezone.now() - timedelta(hours=3)
    import json

    response = client.post(
        "/api/v1/maintenance-records/",
        {
            "elevator": world["a"].rescue_code,
            "tier": "half_monthly",
            "started_at": start.isoformat(),
            "ended_at": (start + timedelta(minutes=50)).isoformat(),
            "workers": [world["worker_a"].pk],
            "signed_by": world["worker_a"].pk,
            "items": json.dumps([{"item": pk, "result": "ok"} for pk in all_ok()]),
            "attachments": [SimpleUploadedFile("p.jpg", JPEG, content_type="image/jpeg")],
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["attachments"][0]["sha256"] == Attachment.checksum(JPEG)


def test_page_flow_phone_form_then_confirm(world, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(world["users"]["maintenance"])
    form = client.get(reverse("maintenance:record_new"), {"elevator": world["a"].registration_code})
    assert form.status_code == 200 and "层门地坎" in form.content.decode()
    start = timezone.localtime() - timedelta(hours=2)
    data = {
        "elevator_code": world["a"].registration_code,
        "tier": "half_monthly",
        "started_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ended_at": (start + timedelta(minutes=50)).strftime("%Y-%m-%dT%H:%M"),
        "workers": [world["worker_a"].pk],
        "signed_by": world["worker_a"].pk,
        "sign_off": "on",
        "attachments": [SimpleUploadedFile("p.jpg", JPEG, content_type="image/jpeg")],
    }
    data.update({f"item_{pk}": "ok" for pk in all_ok()})
    response = client.post(reverse("maintenance:record_new"), data, follow=True)
    assert "维保记录已上传，等待使用单位确认" in response.content.decode()
    record = MaintenanceRecord.objects.get()
    client.force_login(world["users"]["use_unit"])
    assert "确认维保记录" in client.get(reverse("maintenance:record_detail", args=[record.pk])).content.decode()
    response = client.post(reverse("maintenance:record_confirm", args=[record.pk]), follow=True)
    assert "已确认该维保记录" in response.content.decode()


def test_phone_form_names_the_field_on_errors(world, client):
    client.force_login(world["users"]["maintenance"])
    response = client.post(reverse("maintenance:record_new"), {"elevator_code": "99999", "tier": "half_monthly"})
    body = response.content.decode()
    assert "电梯注册代码或救援识别码：找不到代码为“99999”的电梯。" in body
    assert "本人确认以上维保内容真实有效" in body


def test_list_page_and_api_list_have_constant_query_counts(world, client, django_assert_num_queries):
    client.force_login(world["users"]["city"])
    make_record(world)
    # session, user, count, page of records joined to elevator, firm, signer, unread notifications
    with django_assert_num_queries(5):
        client.get(reverse("maintenance:records"))
    # session, user, count, page of records joined to elevator; prefetches of workers, items, their checklist
    # items and attachments
    with django_assert_num_queries(8):
        client.get("/api/v1/maintenance-records/")
    for hours in range(3, 9):
        make_record(
            world,
            started=timezone.now() - timedelta(hours=hours * 2),
            attachments=[services.UploadedFile(f"{hours}.jpg", JPEG + bytes([hours]))],
        )
    with django_assert_num_queries(5):
        client.get(reverse("maintenance:records"))
    with django_assert_num_queries(8):
        assert client.get("/api/v1/maintenance-records/").json()["count"] == 7
