"""The public side of complaints: the form with its abuse protection, the tracking page, closing with a rating."""

import time

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.choices import Role
from complaints.choices import EventKind, Status
from complaints.forms import MIN_FILL_SECONDS, seconds_since, started_token
from complaints.models import Complaint, ComplaintEvent
from complaints.services import complaint_submit, complaint_transition
from departments.choices import Category
from maintenance.choices import FaultKind
from maintenance.models import Fault
from notifications.sms import MemoryBackend

from ..factories import JPEG, PNG, user_with_role

pytestmark = pytest.mark.django_db
NEW = reverse("complaints:new")


def form_data(**overrides) -> dict:
    """A complaint as a resident fills it, started ten seconds ago (past the minimum fill time)."""
    data = {
        "trapped_now": "no",
        "elevator_code": "12345",
        "district": "",
        "address": "",
        "category": Category.BREAKDOWN,
        "description": "电梯经常停在两层之间。",
        "contact_name": "王小明",
        "contact_phone": "13800001234",
        "contact_email": "wang@example.com",
        "website": "",
        "started": started_token(time.time() - 10),
    }
    data.update(overrides)
    return data


def post(client, ip="10.0.0.1", **overrides):
    return client.post(NEW, form_data(**overrides), REMOTE_ADDR=ip)


def test_form_prefilled_from_the_elevator_code_shows_its_address_and_the_hotlines(client, elevator):
    response = client.get(NEW, {"elevator": elevator.registration_code})
    body = response.content.decode()
    assert response.status_code == 200
    assert "东区炳草岗大街1号阳光花园3栋1单元" in body
    assert 'value="31105104022012070003"' in body
    assert "是否有人被困在电梯里？" in body
    assert 'href="tel:96333"' in body and 'href="tel:119"' in body


def test_resident_files_a_complaint_gets_a_tracking_number_and_it_is_routed(
    client, elevator, plan, settings, django_capture_on_commit_callbacks
):
    settings.SMS_BACKEND = "notifications.sms.MemoryBackend"
    MemoryBackend.outbox.clear()
    photo = SimpleUploadedFile("car.jpg", JPEG, content_type="image/jpeg")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(NEW, {**form_data(), "photos": [photo]}, REMOTE_ADDR="10.0.0.1", follow=True)

    complaint = Complaint.objects.get()
    assert response.redirect_chain == [(reverse("complaints:track", args=[complaint.tracking_no]), 302)]
    body = response.content.decode()
    assert "投诉已提交，查询编号" in body and f'id="new-tracking-no">{complaint.tracking_no}<' in body
    # Plan §2(8): breakdowns go to 市市场监管局, the district government is co-responsible (属地).
    assert complaint.department == plan["scjgj"]
    assert plan["dq"] in complaint.co_departments.all()
    assert complaint.elevator == elevator and complaint.status == Status.SUBMITTED
    assert complaint.photos.count() == 1
    assert complaint.submitter_hash  # the IP is kept only as a salted hash
    assert MemoryBackend.outbox[-1][0] == "13800001234" and complaint.tracking_no in MemoryBackend.outbox[-1][1]
    assert mail.outbox[-1].to == ["wang@example.com"]


def test_address_and_district_stand_in_for_an_unknown_code(client, plan, districts):
    response = post(
        client,
        elevator_code="",
        district=districts["510403"].pk,
        address="西区清香坪街道某小区2栋",
        category=Category.VANDALISM,
    )
    complaint = Complaint.objects.get()
    assert response.status_code == 302
    assert complaint.elevator is None and complaint.district == districts["510403"]
    assert complaint.department == plan["gaj"]  # vandalism → 市公安局


def test_field_errors_are_named_in_chinese(client, elevator):
    response = post(client, elevator_code="", description="", contact_phone="12345")
    body = response.content.decode()
    assert response.status_code == 200
    assert not Complaint.objects.exists()
    assert "注册代码或救援识别码：请填写电梯注册代码或救援识别码，或填写地址并选择区县。" in body
    assert "问题描述：请描述遇到的问题。" in body
    assert "手机号：请填写11位手机号码，或留空。" in body


def test_unknown_elevator_code_is_named_on_its_field(client, elevator):
    body = post(client, elevator_code="99999").content.decode()
    assert "注册代码或救援识别码：未找到该电梯" in body
    assert not Complaint.objects.exists()


def test_honeypot_refuses_quietly_and_shows_the_form_again(client, elevator):
    response = post(client, website="http://spam.example")
    body = response.content.decode()
    assert response.status_code == 200
    assert not Complaint.objects.exists()
    assert "提交未成功，请检查填写的内容后重新提交。" in body
    assert 'id="complaint-form"' in body and "电梯经常停在两层之间。" in body
    assert "http://spam.example" not in body


def test_a_form_sent_back_faster_than_a_person_can_fill_it_is_refused(client, elevator):
    response = post(client, started=started_token())
    assert response.status_code == 200
    assert "提交太快了" in response.content.decode()
    assert not Complaint.objects.exists()


def test_a_forged_start_time_is_refused(client, elevator):
    response = post(client, started="1700000000")
    assert "页面已过期" in response.content.decode()
    assert not Complaint.objects.exists()


def test_rate_limit_per_ip(client, elevator, settings):
    settings.COMPLAINT_RATE_PER_IP = "2/h"
    assert post(client, contact_phone="13800000001").status_code == 302
    assert post(client, contact_phone="13800000002").status_code == 302
    refused = post(client, contact_phone="13800000003")
    assert refused.status_code == 429
    assert "提交过于频繁，请稍后再试" in refused.content.decode()
    assert post(client, ip="10.0.0.2", contact_phone="13800000004").status_code == 302
    assert Complaint.objects.count() == 3


def test_rate_limit_per_phone_whatever_the_ip(client, elevator, settings):
    settings.COMPLAINT_RATE_PER_PHONE = "1/d"
    assert post(client, ip="10.0.0.1").status_code == 302
    assert post(client, ip="10.0.0.2").status_code == 429
    assert post(client, ip="10.0.0.3", contact_phone="", contact_email="").status_code == 302
    assert Complaint.objects.count() == 2


def test_photos_are_checked_by_content_not_by_name(client, elevator):
    fake = SimpleUploadedFile("car.jpg", b"<?php echo 'x'; ?>", content_type="image/jpeg")
    response = client.post(NEW, {**form_data(), "photos": [fake]}, REMOTE_ADDR="10.0.0.1")
    assert "照片（选填，最多3张，JPEG或PNG）：“car.jpg”不是JPEG或PNG照片。" in response.content.decode()
    assert not Complaint.objects.exists()


def test_more_than_three_photos_are_refused(client, elevator):
    photos = [SimpleUploadedFile(f"p{i}.png", PNG, content_type="image/png") for i in range(4)]
    response = client.post(NEW, {**form_data(), "photos": photos}, REMOTE_ADDR="10.0.0.1")
    assert "最多上传3张照片" in response.content.decode()
    assert not Complaint.objects.exists()


def test_trapped_now_opens_the_urgent_fault_exactly_once(client, elevator, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = post(client, trapped_now="yes", category="", description="", contact_phone="")
    assert response.status_code == 302
    complaint = Complaint.objects.get()
    assert complaint.trapped_now and complaint.category == Category.ENTRAPMENT

    for callback in callbacks:  # a retried job or a second worker runs the callbacks again
        callback()
    fault = Fault.objects.get()
    assert fault.kind == FaultKind.ENTRAPMENT and fault.elevator == elevator
    assert fault.firm == elevator.maintenance_firm and complaint.incident == fault
    # The incident is opened in the complaint's transaction; its report is the complaint (tests/complaints/
    # test_rescue_reports.py has the rest of the rescue loop's side of the form).
    assert fault.incident_reports.get().external_ref == complaint.tracking_no


def test_trapped_without_an_elevator_code_asks_for_the_rescue_code_and_keeps_the_hotlines_in_view(client, plan):
    body = post(client, trapped_now="yes", elevator_code="", description="").content.decode()
    assert "请填写轿厢内标牌上的救援识别码" in body
    assert '<div id="trapped-help" class="mt-3" role="alert">' in body  # shown, not hidden
    assert 'href="tel:96333"' in body
    assert not Fault.objects.exists()


def _submitted(elevator, **extra):
    fields = {
        "elevator": elevator,
        "category": Category.BREAKDOWN,
        "description": "电梯门关不上。",
        "contact_name": "李秘密",
        "contact_phone": "13999998888",
        "contact_email": "secret@example.com",
    }
    return complaint_submit(**{**fields, **extra})


def test_tracking_page_shows_public_events_and_never_personal_data_or_internal_notes(client, elevator):
    complaint = _submitted(elevator)
    ComplaintEvent.objects.create(complaint=complaint, kind=EventKind.NOTE, text="内部备注：住户脾气大", public=False)
    response = client.get(reverse("complaints:track", args=[complaint.tracking_no]))
    body = response.content.decode()
    assert response.status_code == 200
    assert complaint.tracking_no in body and "已提交" in body and "电梯故障、停梯" in body
    assert elevator.address in body and "投诉已提交。" in body
    # The resident's own words are shown back to them (as Open311 publishes them, contacts masked).
    assert "电梯门关不上" in body
    for secret in ("李秘密", "13999998888", "8888", "secret@example.com", "内部备注"):
        assert secret not in body


def test_unknown_tracking_number_is_404(client, db):
    assert client.get(reverse("complaints:track", args=["TS202601010000000000"])).status_code == 404


def test_a_merged_complaint_names_the_one_it_is_handled_with_and_its_status(client, elevator):
    first = _submitted(elevator)
    second = _submitted(elevator, contact_phone="")
    assert second.duplicate_of == first
    body = client.get(reverse("complaints:track", args=[second.tracking_no])).content.decode()
    assert f'<strong class="code">{first.tracking_no}</strong> 合并办理' in body
    assert "该投诉当前状态：<strong>已提交</strong>" in body


def test_resident_closes_a_resolved_complaint_with_a_rating(client, elevator):
    complaint = _submitted(elevator)
    url = reverse("complaints:track", args=[complaint.tracking_no])
    assert 'id="close-form"' not in client.get(url).content.decode()

    regulator = user_with_role(Role.CITY_REGULATOR)
    complaint_transition(user=regulator, complaint=complaint, action="accept")
    complaint_transition(user=regulator, complaint=complaint, action="resolve", text="已更换门机皮带，运行正常。")
    body = client.get(url).content.decode()
    assert "已更换门机皮带，运行正常。" in body and 'id="close-form"' in body

    # The tracking number alone is public (Open311 lists it): someone else cannot close it.
    stranger = client.post(reverse("complaints:close", args=[complaint.tracking_no]), {"rating": "1"}, follow=True)
    assert "请输入投诉时留下的手机号后四位" in stranger.content.decode()
    wrong = client.post(
        reverse("complaints:close", args=[complaint.tracking_no]), {"rating": "1", "phone_last4": "0000"}, follow=True
    )
    assert "请输入投诉时留下的手机号后四位" in wrong.content.decode()
    complaint.refresh_from_db()
    assert complaint.status == Status.RESOLVED

    response = client.post(
        reverse("complaints:close", args=[complaint.tracking_no]), {"rating": "4", "phone_last4": "8888"}, follow=True
    )
    complaint.refresh_from_db()
    assert complaint.status == Status.CLOSED and complaint.rating == 4
    body = response.content.decode()
    assert "感谢您的评价，投诉已办结。" in body and "★★★★" in body and 'id="close-form"' not in body

    again = client.post(
        reverse("complaints:close", args=[complaint.tracking_no]), {"rating": "1", "phone_last4": "8888"}, follow=True
    )
    assert "只有已答复的投诉可以评价办结。" in again.content.decode()
    complaint.refresh_from_db()
    assert complaint.rating == 4


def test_a_rating_outside_one_to_five_is_refused(client, elevator):
    complaint = _submitted(elevator)
    response = client.post(reverse("complaints:close", args=[complaint.tracking_no]), {"rating": "9"}, follow=True)
    assert "请选择1至5星的评价。" in response.content.decode()
    complaint.refresh_from_db()
    assert complaint.status == Status.SUBMITTED


def test_tracking_page_query_count(client, elevator, django_assert_num_queries):
    complaint = _submitted(elevator)
    regulator = user_with_role(Role.CITY_REGULATOR)
    complaint_transition(user=regulator, complaint=complaint, action="accept")
    complaint_transition(user=regulator, complaint=complaint, action="resolve", text="已修复。")
    _submitted(elevator, category=Category.MAINTENANCE_QUALITY)
    merged = _submitted(elevator, category=Category.MAINTENANCE_QUALITY)  # joins the one above
    url = reverse("complaints:track", args=[complaint.tracking_no])
    # 1. the complaint's public columns, joined with its district, elevator and the complaint it is merged into;
    # 2. its public events with the responding organisation's name; 3. its description and incident (none here).
    with django_assert_num_queries(3):
        assert client.get(url).status_code == 200
    with django_assert_num_queries(3):
        assert client.get(reverse("complaints:track", args=[merged.tracking_no])).status_code == 200


def test_the_browser_that_filed_a_complaint_may_close_it_without_the_phone(client, elevator, plan):
    response = post(client, contact_phone="")
    complaint = Complaint.objects.get()
    regulator = user_with_role(Role.CITY_REGULATOR)
    complaint_transition(user=regulator, complaint=complaint, action="accept")
    complaint_transition(user=regulator, complaint=complaint, action="resolve", text="已处理。")
    assert 'name="phone_last4"' not in client.get(response["Location"]).content.decode()
    client.post(reverse("complaints:close", args=[complaint.tracking_no]), {"rating": "5"})
    complaint.refresh_from_db()
    assert complaint.status == Status.CLOSED


def test_filing_a_complaint_from_the_form_takes_eight_queries(client, elevator, django_assert_num_queries):
    # Intake throughput is a target (bench/intake.py; bench/README.md): the rate limits live in the cache, the filing
    # browser is remembered in a signed cookie (no session row), and the routing table is read in one query.
    # 1. the elevator by its code, with its district; 2. the routing (lead, district and sector departments);
    # 3. the holidays of the deadlines' years (both deadlines); 4. the elevator's row lock (simultaneous reports of
    # one lift are filed one after the other, so the later ones merge); 5. the open complaint it would join, locked;
    # 6. the complaint; 7. its co-departments; 8. its public event;
    # and, because a test runs inside a transaction, the SAVEPOINT and RELEASE of complaint_submit's atomic block.
    with django_assert_num_queries(10):
        assert post(client, contact_phone="", contact_email="").status_code == 302


def test_the_filing_browser_is_remembered_in_a_signed_cookie_not_a_session(client, elevator):
    response = post(client, contact_phone="")
    complaint = Complaint.objects.get()
    assert "sessionid" not in response.cookies
    assert response.cookies["filed_complaints"]["httponly"]
    regulator = user_with_role(Role.CITY_REGULATOR)
    complaint_transition(user=regulator, complaint=complaint, action="accept")
    complaint_transition(user=regulator, complaint=complaint, action="resolve", text="已处理。")

    # A browser that forges the cookie is a stranger: it is asked for the phone digits.
    forged = client.__class__()
    forged.cookies["filed_complaints"] = complaint.tracking_no
    body = forged.post(
        reverse("complaints:close", args=[complaint.tracking_no]), {"rating": "1"}, follow=True
    ).content.decode()
    assert "只能在提交投诉的浏览器上评价办结" in body
    complaint.refresh_from_db()
    assert complaint.status == Status.RESOLVED

    client.post(reverse("complaints:close", args=[complaint.tracking_no]), {"rating": "5"})
    complaint.refresh_from_db()
    assert complaint.status == Status.CLOSED and complaint.rating == 5


def test_the_filing_browser_remembers_its_last_twenty_complaints(client, elevator, settings):
    settings.COMPLAINT_RATE_PER_IP = "100/m"
    numbers = []
    for n in range(22):
        response = post(client, contact_phone="", category=Category.choices[n % 5][0])
        numbers.append(response["Location"].split("/")[-2])
    remembered = (
        client.get(response["Location"])
        .wsgi_request.get_signed_cookie("filed_complaints", salt="complaints.filed")
        .split("-")
    )
    assert remembered == numbers[-20:]


def test_the_form_carries_a_start_time_signed_when_it_is_shown(client, elevator):
    body = client.get(NEW).content.decode()
    token = body.split('name="started" value="', 1)[1].split('"', 1)[0]
    assert 0 <= seconds_since(token) < MIN_FILL_SECONDS
