"""The resident's side of the rescue loop (plan §2(10); docs/rules.md "Entrapment rescue loop"): a trapped report on
the public form or through Open311 opens the elevator's incident in the complaint's transaction, later reports join
it, trapped reports have their own rate limit, and the confirmation and tracking pages say whom the platform told
and how far the rescue has come, without anyone's personal data."""

import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from complaints import services as complaint_services
from complaints.choices import Source, Status
from complaints.forms import started_token
from complaints.models import Complaint, PartnerKey
from complaints.services import complaint_submit
from departments.choices import Category
from maintenance.models import Fault
from notifications.models import OutboxMessage
from notifications.sms import MemoryBackend
from rescue.choices import DutyLevel, ReportSource, Step
from rescue.models import DutyShift, IncidentReport, RescueStep
from rescue.services import incident_acknowledge, incident_stamp

pytestmark = pytest.mark.django_db
NEW = reverse("complaints:new")
KEY = "p" * 40


def trapped_form(world, **overrides) -> dict:
    data = {
        "trapped_now": "yes",
        "elevator_code": world["a"].registration_code,
        "district": "",
        "address": "",
        "category": "",
        "description": "我被困在3楼和4楼之间，轿厢灯还亮着。",
        "contact_name": "王小明",
        "contact_phone": "13800001234",
        "contact_email": "",
        "website": "",
        "started": started_token(time.time() - 10),
    }
    data.update(overrides)
    return data


def report(client, world, ip="10.0.0.1", follow=False, **overrides):
    return client.post(NEW, trapped_form(world, **overrides), REMOTE_ADDR=ip, follow=follow)


@pytest.fixture
def on_call(world):
    """Two of 安达维保's people on call now (names and phones the resident must never see)."""
    now = timezone.now()
    return [
        DutyShift.objects.create(
            firm=world["firm_a"],
            level=DutyLevel.ON_CALL,
            name=name,
            phone=phone,
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(hours=8),
        )
        for name, phone in (("值班甲", "13711112222"), ("值班乙", "13733334444"))
    ]


@pytest.fixture
def partner(db):
    return PartnerKey.objects.create(name="12345市民热线", key=KEY)


def open311_post(client, ip="10.1.0.1", **fields):
    data = {"api_key": KEY, "description": "有人被困在电梯里。", "first_name": "小红", "last_name": "李", **fields}
    return client.post(
        reverse("open311_requests", kwargs={"fmt": "json"}),
        {k: v for k, v in data.items() if v is not None},
        REMOTE_ADDR=ip,
    )


# --- One incident, whatever the channel --------------------------------------------------------------------------


def test_a_trapped_report_opens_the_incident_and_its_dispatch_with_the_complaint(client, world, plan, on_call):
    response = report(client, world)
    assert response.status_code == 302
    complaint = Complaint.objects.get()
    fault = Fault.objects.get()
    # In the complaint's own transaction, not after its commit: the incident is there when the response is sent.
    assert complaint.incident == fault and complaint.trapped_now and complaint.category == Category.ENTRAPMENT
    assert fault.elevator == world["a"] and fault.firm == world["firm_a"] and fault.reports == 1
    assert fault.reported_at == complaint.created_at.replace(microsecond=0)
    first = IncidentReport.objects.get()
    assert (first.source, first.external_ref, first.opened) == (ReportSource.WEB, complaint.tracking_no, True)
    assert (first.reporter, first.phone) == ("王小明", "13800001234")
    assert first.note == "我被困在3楼和4楼之间，轿厢灯还亮着。"
    assert RescueStep.objects.get(fault=fault, step=Step.DISPATCH).recipients == 3  # 2 on call + the safety manager
    assert OutboxMessage.objects.filter(subject_key=f"fault:{fault.pk}").exists()


def test_a_second_trapped_report_14_minutes_later_joins_the_same_incident(client, world, plan):
    assert report(client, world).status_code == 302
    first = Complaint.objects.get()
    Complaint.objects.filter(pk=first.pk).update(created_at=first.created_at - timedelta(minutes=14))
    Fault.objects.update(reported_at=first.created_at - timedelta(minutes=14))
    messages = OutboxMessage.objects.count()

    assert report(client, world, contact_name="邻居", contact_phone="13900002222").status_code == 302
    second = Complaint.objects.exclude(pk=first.pk).get()
    fault = Fault.objects.get()  # no second fault
    assert second.incident == fault and fault.reports == 2
    # The complaint rows keep their merge: the second is handled with the first.
    assert second.status == Status.MERGED and second.duplicate_of == first
    assert IncidentReport.objects.filter(fault=fault).count() == 2
    assert OutboxMessage.objects.count() == messages  # dispatched once


def test_web_form_open311_and_a_firms_system_report_into_one_incident(client, world, plan, partner):
    assert report(client, world).status_code == 302
    assert open311_post(client, service_code=Category.ENTRAPMENT, address_id=world["a"].rescue_code).status_code == 200
    api = client.__class__()
    api.force_login(world["users"]["maintenance"])
    response = api.post(
        "/api/v1/incidents/", {"elevator": world["a"].registration_code, "external_ref": "A-1"}, "application/json"
    )
    assert response.status_code == 200 and response.json()["joined"] is True
    fault = Fault.objects.get()
    assert fault.reports == 3
    assert sorted(IncidentReport.objects.values_list("source", flat=True)) == ["api", "open311", "web"]
    assert set(Complaint.objects.values_list("incident", flat=True)) == {fault.pk}


def test_a_failing_complaint_save_leaves_no_incident_and_no_message(world, plan, monkeypatch):
    real = complaint_services.incident_report

    def then_fail(**kwargs):
        real(**kwargs)
        assert Fault.objects.exists() and OutboxMessage.objects.exists()  # written, inside the transaction
        raise RuntimeError("the database went away")

    monkeypatch.setattr(complaint_services, "incident_report", then_fail)
    with pytest.raises(RuntimeError):
        complaint_submit(elevator=world["a"], category=Category.ENTRAPMENT, description="", trapped_now=True)
    assert not Complaint.objects.exists()
    assert not Fault.objects.exists() and not IncidentReport.objects.exists()
    assert not OutboxMessage.objects.exists() and not RescueStep.objects.exists()


def test_an_ordinary_complaint_opens_no_incident(client, world, plan):
    response = report(client, world, trapped_now="no", category=Category.BREAKDOWN)
    assert response.status_code == 302
    assert Complaint.objects.get().incident is None and not Fault.objects.exists()


# --- Rate limits -------------------------------------------------------------------------------------------------


def test_the_complaint_limit_never_blocks_a_trapped_report_and_the_rescue_limit_does_at_its_edge(
    client, world, plan, settings
):
    settings.COMPLAINT_RATE_PER_IP = "1/h"
    settings.RESCUE_REPORTS_PER_HOUR = 3
    assert report(client, world, trapped_now="no", category=Category.BREAKDOWN).status_code == 302
    assert report(client, world, trapped_now="no", category=Category.BREAKDOWN).status_code == 429  # complaint limit
    assert [report(client, world, contact_phone="").status_code for _ in range(3)] == [302, 302, 302]
    refused = report(client, world, contact_phone="")
    assert refused.status_code == 429
    assert "96333" in refused.content.decode()
    assert report(client, world, ip="10.0.0.9", contact_phone="").status_code == 302  # another address
    assert Fault.objects.get().reports == 4


def test_a_phone_over_its_complaint_limit_still_reports_but_gets_no_second_text(
    client, world, plan, settings, django_capture_on_commit_callbacks
):
    settings.COMPLAINT_RATE_PER_PHONE = "1/d"
    settings.SMS_BACKEND = "notifications.sms.MemoryBackend"
    settings.OUTBOX_KICK = False
    MemoryBackend.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert report(client, world).status_code == 302
        assert report(client, world, ip="10.0.0.2").status_code == 302
    assert Complaint.objects.count() == 2 and Fault.objects.get().reports == 2
    texts = [text for phone, text in MemoryBackend.outbox if phone == "13800001234"]
    assert len(texts) == 1


def test_open311_trapped_reports_have_their_own_limit_per_key(client, world, plan, partner, settings):
    settings.OPEN311_RATE_PER_KEY = "1/m"
    settings.RESCUE_REPORTS_PER_HOUR = 2
    fields = {"service_code": Category.BREAKDOWN, "address_id": world["a"].registration_code, "description": "异响"}
    assert open311_post(client, **fields).status_code == 200
    assert open311_post(client, **fields).status_code == 429  # the complaint limit of the key
    trapped = {**fields, "trapped": "true"}
    assert [open311_post(client, **trapped).status_code for _ in range(2)] == [200, 200]
    assert open311_post(client, **trapped).status_code == 429
    assert Fault.objects.get().reports == 2


def test_open311_trapped_flag_and_the_entrapment_code(client, world, plan, partner):
    response = open311_post(client, service_code=Category.BREAKDOWN, address_id=world["a"].rescue_code, trapped="true")
    assert response.status_code == 200, response.content
    [row] = response.json()
    complaint = Complaint.objects.get(tracking_no=row["service_request_id"])
    assert complaint.source == Source.OPEN311 and complaint.category == Category.ENTRAPMENT
    assert complaint.incident.incident_reports.get().source == ReportSource.OPEN311
    assert (
        "平台已于" in row["service_notice"] and "安达维保" in row["service_notice"] and "96333" in row["service_notice"]
    )
    # An entrapment complaint about an earlier event, said so: no incident.
    later = open311_post(
        client, service_code=Category.ENTRAPMENT, address_id=world["b"].registration_code, trapped="false"
    )
    assert later.status_code == 200 and Fault.objects.count() == 1
    # Trapped without an elevator: the code on the sign is asked for.
    no_lift = open311_post(
        client, service_code=Category.ENTRAPMENT, address_string="西区某小区", district="510403", trapped="true"
    )
    assert no_lift.status_code == 400 and "address_id" in no_lift.json()[0]["description"]
    assert open311_post(client, service_code=Category.BREAKDOWN, trapped="maybe").status_code == 400


# --- The confirmation and the tracking page ----------------------------------------------------------------------


def test_the_confirmation_says_whom_the_platform_told_and_when_without_phone_numbers(client, world, plan, on_call):
    response = report(client, world, follow=True)
    body = response.content.decode()
    complaint = Complaint.objects.get()
    fault = complaint.incident
    dispatched = RescueStep.objects.get(fault=fault, step=Step.DISPATCH).taken_at
    assert "困人报告已收到" in body and f'id="new-tracking-no">{complaint.tracking_no}<' in body
    assert 'href="tel:96333"' in body and 'id="rescue-hotline"' in body
    told = body.split('id="rescue-dispatch">')[1].split("</p>")[0]
    assert f"<strong>{timezone.localtime(dispatched):%H:%M}</strong>" in told
    assert "维保单位安达维保的值班人员（2人）和使用单位金江物业的安全管理员（1人）" in told
    # Organisations are named; no one's name or phone number, not even the resident's own.
    addresses = set(OutboxMessage.objects.exclude(address="").values_list("address", flat=True))
    names = set(OutboxMessage.objects.exclude(name="").values_list("name", flat=True))
    assert addresses and names
    for secret in addresses | names | {"王小明", "13800001234", "值班甲", "陈安全"}:
        assert secret not in body
    assert '<meta http-equiv="refresh" content="15">' in body


def test_the_tracking_page_follows_the_rescue_and_stops_refreshing_once_released(client, world, plan):
    report(client, world)
    complaint = Complaint.objects.get()
    fault = complaint.incident
    url = reverse("complaints:track", args=[complaint.tracking_no])

    def milestone(body, key):
        return body.split(f'data-milestone="{key}">')[1].split("</li>")[0]

    body = client.get(url).content.decode()
    assert "等待中" in milestone(body, "acknowledged")
    assert "我被困在3楼和4楼之间" in body  # the resident's own words

    firm = world["users"]["maintenance"]
    incident_acknowledge(user=firm, fault=fault)
    fault.refresh_from_db()
    body = client.get(url).content.decode()
    assert "维保单位接警" in milestone(body, "acknowledged")
    assert f"{timezone.localtime(fault.acknowledged_at):%H:%M}" in milestone(body, "acknowledged")
    assert "等待中" in milestone(body, "arrived")

    for step in ("dispatched", "arrived", "released"):
        incident_stamp(user=firm, fault=fault, step=step)
    body = client.get(url).content.decode()
    for key in ("reported", "acknowledged", "dispatched", "arrived", "released"):
        assert "等待中" not in milestone(body, key)
    assert "被困人员已解救" in body
    assert 'http-equiv="refresh"' not in body


def test_a_joined_report_shows_nothing_of_the_first_reporter(client, world, plan):
    report(client, world, description="第一位：我叫张三，电话13812345678。")
    report(client, world, ip="10.0.0.2", contact_name="李四", contact_phone="13900009999", description="我在楼下。")
    second = Complaint.objects.get(contact_name="李四")
    body = client.get(reverse("complaints:track", args=[second.tracking_no])).content.decode()
    assert "我在楼下。" in body and "共收到2次报告" in body
    for secret in ("张三", "13812345678", "第一位", "王小明", "13800001234", "李四", "13900009999"):
        assert secret not in body


def test_phone_numbers_in_the_residents_own_words_are_masked(client, world, plan):
    report(client, world, description="请打我电话 13812345678 或 a@b.cn")
    body = client.get(reverse("complaints:track", args=[Complaint.objects.get().tracking_no])).content.decode()
    assert "请打我电话 *** 或 ***" in body and "13812345678" not in body


@pytest.mark.slow  # the cache client's connection retries take seconds
def test_a_trapped_report_gets_through_while_the_cache_is_down(client, world, plan, partner, settings):
    """Redis down (the rate limiter's cache unreachable): the trapped report is still filed and dispatched, from the
    form and from Open311; the limits fail open, since a person may be trapped (docs/rules.md "Entrapment rescue
    loop")."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    assert report(client, world).status_code == 302
    fault = Fault.objects.get()
    assert fault.elevator == world["a"] and fault.rescue_steps.filter(step="dispatch").exists()
    response = open311_post(client, service_code=Category.ENTRAPMENT, address_id=world["b"].rescue_code)
    assert response.status_code == 200
    assert Fault.objects.filter(elevator=world["b"]).exists()
