"""The rescue console, its live feed, the one-tap steps, the incident page, opening an incident from a call to 96333
and the outbox page (docs/rules.md "Entrapment rescue loop"; plan §2(10); TSG T5002-2017 §5)."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from maintenance.models import Fault
from notifications.choices import DeliveryState
from notifications.models import OutboxMessage
from rescue.choices import ReportSource
from rescue.models import IncidentCall, IncidentReport
from rescue.services import incident_report

from ..factories import ElevatorFactory

pytestmark = pytest.mark.django_db

CONSOLE_ROLES = {
    "anonymous": 302,
    "city": 200,
    "district": 200,
    "use_unit": 200,
    "maintenance": 200,
    "rescue_centre": 200,
    "inspection": 403,
    "department": 403,
}


def signed_in(client, world, role):
    if role != "anonymous":
        client.force_login(world["users"][role])
    return client


def reported(minutes=5):
    """A report some minutes ago (a stamp is to the second, so a stamp in the report's own second is refused)."""
    return timezone.now() - timedelta(minutes=minutes)


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.mark.parametrize("role, expected", CONSOLE_ROLES.items())
@pytest.mark.parametrize("name", ["rescue:console", "rescue:feed"])
def test_console_and_feed_are_for_the_centre_regulators_firms_and_use_units(client, world, role, expected, name):
    response = signed_in(client, world, role).get(reverse(name))
    assert response.status_code == expected
    if expected == 302:
        assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    "role, sees",
    [
        ("rescue_centre", {"a", "b"}),
        ("city", {"a", "b"}),
        ("district", {"a"}),
        ("maintenance", {"a"}),
        ("maintenance_b", {"b"}),
        ("use_unit", {"a"}),
        ("use_unit_b", {"b"}),
    ],
)
def test_the_feed_shows_only_the_incidents_in_scope(client, world, role, sees):
    faults = {key: incident_report(elevator=world[key], source="web").fault for key in ("a", "b")}
    data = signed_in(client, world, role).get(reverse("rescue:feed")).json()
    assert {row["id"] for row in data["open"]} == {faults[key].pk for key in sees}
    page = client.get(reverse("rescue:console")).content.decode()
    for key, fault in faults.items():
        assert (f'data-incident="{fault.pk}"' in page) is (key in sees)


def test_the_feed_carries_server_time_deadline_stage_and_the_row_markup(client, world):
    fault = incident_report(elevator=world["a"], source="web", trapped_people=2).fault
    incident_report(elevator=world["a"], source="hotline")
    data = signed_in(client, world, "maintenance").get(reverse("rescue:feed")).json()
    assert abs(timezone.datetime.fromisoformat(data["now"]) - timezone.now()) < timedelta(seconds=5)
    (row,) = data["open"]
    assert row["id"] == fault.pk and row["reports"] == 2 and row["trapped"] == 2
    assert row["stage"] == "reported" and row["stage_label"] == "待接警"
    assert row["limit_minutes"] == 30  # 东区 (TSG T5002-2017 §5)
    assert timezone.datetime.fromisoformat(row["deadline"]) == fault.reported_at + timedelta(minutes=30)
    assert row["status"] == "ok" and row["actions"] == ["acknowledge", "dispatched", "arrived", "released"]
    assert f'<tr data-incident="{fault.pk}"' in row["html"]
    assert 'name="action" value="acknowledge"' in row["html"] and "csrfmiddlewaretoken" in row["html"]


def test_rows_are_coloured_by_the_arrival_deadline(client, world, settings):
    settings.RESCUE_ARRIVAL_WARNING_MINUTES = 5
    now = timezone.now()
    ok = incident_report(elevator=world["a"], source="web", reported_at=now - timedelta(minutes=10)).fault
    warn_elevator = ElevatorFactory(
        district=world["a"].district, use_unit=world["use_a"], maintenance_firm=world["firm_a"]
    )
    warn = incident_report(elevator=warn_elevator, source="web", reported_at=now - timedelta(minutes=27)).fault
    late_elevator = ElevatorFactory(
        district=world["a"].district, use_unit=world["use_a"], maintenance_firm=world["firm_a"]
    )
    late = incident_report(elevator=late_elevator, source="web", reported_at=now - timedelta(minutes=31)).fault
    data = signed_in(client, world, "maintenance").get(reverse("rescue:feed")).json()
    status = {row["id"]: row["status"] for row in data["open"]}
    assert status == {ok.pk: "ok", warn.pk: "warn", late.pk: "late"}
    assert [row["id"] for row in data["open"]] == [late.pk, warn.pk, ok.pk]  # oldest report first


@pytest.mark.parametrize("role", ["rescue_centre", "district", "maintenance", "use_unit"])
def test_the_feed_reads_a_fixed_number_of_queries_however_many_incidents(client, world, role):
    signed_in(client, world, role)
    incident_report(elevator=world["a"], source="web")
    client.get(reverse("rescue:feed"))  # session and user loaded once
    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse("rescue:feed")).status_code == 200
    for _ in range(4):
        elevator = ElevatorFactory(
            district=world["a"].district, use_unit=world["use_a"], maintenance_firm=world["firm_a"]
        )
        fault = incident_report(elevator=elevator, source="web").fault
        Fault.objects.filter(pk=fault.pk).update(released_at=timezone.now())  # some in the released table too
        incident_report(elevator=elevator, source="web")
    with CaptureQueriesContext(connection) as many:
        data = client.get(reverse("rescue:feed")).json()
    assert len(data["open"]) == 5 and len(data["recent"]) == 4
    assert len(many) == len(one), [q["sql"] for q in many.captured_queries]
    assert len(many) <= 6


def test_acknowledge_twice_is_an_error_message_and_stamps_go_in_order(client, world):
    fault = incident_report(elevator=world["a"], source="web", reported_at=reported()).fault
    signed_in(client, world, "maintenance")
    url = reverse("rescue:act", args=[fault.pk])
    response = client.post(url, {"action": "acknowledge"})
    assert response.status_code == 302 and response["Location"] == reverse("rescue:console")
    assert any("接警" in t for t in texts(response))
    fault.refresh_from_db()
    assert fault.acknowledged_at is not None
    response = client.post(url, {"action": "acknowledge"}, follow=True)
    assert response.status_code == 200
    assert "已于" in response.content.decode()  # "已于…接警。" as an error message, not a 500
    for step in ("dispatched", "arrived"):
        assert client.post(url, {"action": step}).status_code == 302
    fault.refresh_from_db()
    assert fault.acknowledged_at <= fault.dispatched_at <= fault.arrived_at and fault.released_at is None
    row = client.get(reverse("rescue:feed")).json()["open"][0]
    assert row["stage"] == "arrived" and row["actions"] == ["released"] and row["status"] == "arrived_ok"
    # A step before the latest one recorded is refused with a message.
    response = client.post(url, {"action": "dispatched"}, follow=True)
    assert response.status_code == 200 and fault.dispatched_at == Fault.objects.get(pk=fault.pk).dispatched_at
    client.post(url, {"action": "released", "next": reverse("rescue:incident", args=[fault.pk])})
    data = client.get(reverse("rescue:feed")).json()
    assert data["open"] == [] and [row["id"] for row in data["recent"]] == [fault.pk]


def test_the_console_acts_without_a_reload_by_json(client, world):
    fault = incident_report(elevator=world["a"], source="web", reported_at=reported()).fault
    signed_in(client, world, "rescue_centre")
    url = reverse("rescue:act", args=[fault.pk])
    headers = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}
    first = client.post(url, {"action": "acknowledge"}, **headers).json()
    second = client.post(url, {"action": "acknowledge"}, **headers).json()
    assert first["ok"] is True and second["ok"] is False and "已于" in second["message"]
    assert client.post(url, {"action": "bogus"}, **headers).json()["ok"] is False


def test_no_one_acts_on_an_incident_out_of_scope(client, world):
    fault = incident_report(elevator=world["a"], source="web").fault
    for role in ("maintenance_b", "use_unit_b"):
        client.force_login(world["users"][role])
        assert client.post(reverse("rescue:act", args=[fault.pk]), {"action": "acknowledge"}).status_code == 404
        assert client.get(reverse("rescue:incident", args=[fault.pk])).status_code == 404
    client.force_login(world["users"]["inspection"])
    assert client.post(reverse("rescue:act", args=[fault.pk]), {"action": "acknowledge"}).status_code == 404
    assert Fault.objects.get(pk=fault.pk).acknowledged_at is None


def test_an_offsite_next_is_ignored(client, world):
    fault = incident_report(elevator=world["a"], source="web").fault
    signed_in(client, world, "maintenance")
    response = client.post(
        reverse("rescue:act", args=[fault.pk]), {"action": "acknowledge", "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("rescue:console")


# ---------------------------------------------------------------- the incident page


def test_incident_page_shows_timeline_reports_calls_steps_and_who_was_told(client, world):
    fault = incident_report(
        elevator=world["a"],
        source="web",
        reported_at=reported(),
        reporter="张女士",
        phone="13900001234",
        trapped_people=1,
    ).fault
    incident_report(elevator=world["a"], source="hotline", reporter="李先生", phone="13900005678")
    centre = world["users"]["rescue_centre"]
    signed_in(client, world, "rescue_centre")
    client.post(reverse("rescue:act", args=[fault.pk]), {"action": "acknowledge"})
    url = reverse("rescue:incident", args=[fault.pk])
    response = client.post(url, {"call-party": "维保值班员", "call-service": "119", "call-note": "已联系消防"})
    assert response.status_code == 302
    call = IncidentCall.objects.get(fault=fault)
    assert (call.service, call.created_by) == ("119", centre)
    body = client.get(url).content.decode()
    assert "救援时间线" in body and centre.username in body  # who acknowledged
    assert "张女士" in body and "13900005678" in body  # the centre sees the reporters
    assert "维保值班员" in body and "119消防救援" in body
    assert "派单通知" in body  # the escalation step taken
    messages = OutboxMessage.objects.filter(subject_key=f"fault:{fault.pk}")
    assert messages.exists()
    assert all((m.name or m.address) in body for m in messages)
    assert 'id="call-form"' in body


@pytest.mark.parametrize(
    "role, reporters, call_form, outbox",
    [
        ("rescue_centre", True, True, True),
        ("district", True, True, True),
        ("maintenance", True, False, False),
        ("use_unit", False, False, False),
    ],
)
def test_incident_page_shows_personal_data_and_forms_by_role(client, world, role, reporters, call_form, outbox):
    fault = incident_report(elevator=world["a"], source="web", reporter="张女士", phone="13900001234").fault
    body = signed_in(client, world, role).get(reverse("rescue:incident", args=[fault.pk])).content.decode()
    assert ("13900001234" in body) is reporters and ("张女士" in body) is reporters
    assert ('id="call-form"' in body) is call_form
    assert ("通知了谁、何时送达" in body) is outbox
    if not call_form:
        response = client.post(reverse("rescue:incident", args=[fault.pk]), {"call-party": "x"})
        assert response.status_code == 403
        assert not IncidentCall.objects.exists()


def test_a_call_without_a_party_is_a_field_error(client, world):
    fault = incident_report(elevator=world["a"], source="web").fault
    signed_in(client, world, "rescue_centre")
    response = client.post(reverse("rescue:incident", args=[fault.pk]), {"call-party": "", "call-service": "110"})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="error-summary"' in body and 'href="#id_call-party"' in body and "通话对象" in body


# ---------------------------------------------------------------- opening an incident from a call to 96333


def test_the_centre_opens_an_incident_by_rescue_code_and_a_second_call_joins_it(client, world):
    signed_in(client, world, "rescue_centre")
    form = {"code": world["a"].rescue_code, "reporter": "王先生", "phone": "13800000000", "trapped_people": 2}
    response = client.post(reverse("rescue:new"), form)
    fault = Fault.objects.get(elevator=world["a"])
    assert response.status_code == 302 and response["Location"] == reverse("rescue:incident", args=[fault.pk])
    (text,) = texts(response)
    assert "已开启困人事件" in text and "已通知" in text
    assert fault.trapped_people == 2
    report = IncidentReport.objects.get(fault=fault)
    assert (report.source, report.reporter, report.created_by) == (
        ReportSource.HOTLINE,
        "王先生",
        world["users"]["rescue_centre"],
    )
    # The same elevator again, by its 20-digit registration code: joined, no second dispatch.
    response = client.post(reverse("rescue:new"), {**form, "code": world["a"].registration_code})
    assert response["Location"] == reverse("rescue:incident", args=[fault.pk])
    text = texts(response)[-1]
    assert "已并入" in text
    fault.refresh_from_db()
    assert fault.reports == 2 and Fault.objects.filter(elevator=world["a"]).count() == 1


@pytest.mark.parametrize("code", ["99999", "12", "abcde", ""])
def test_an_unknown_code_is_a_field_error_with_a_summary(client, world, code):
    signed_in(client, world, "rescue_centre")
    response = client.post(reverse("rescue:new"), {"code": code, "trapped_people": 1})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="error-summary"' in body and 'href="#id_code"' in body
    assert "应急救援识别码或注册代码：" in body  # the error names its field
    assert not Fault.objects.exists()


def test_a_district_regulator_opens_incidents_only_in_the_district(client, world):
    signed_in(client, world, "district")
    response = client.post(reverse("rescue:new"), {"code": world["b"].rescue_code, "trapped_people": 1})
    assert response.status_code == 200 and "未找到代码" in response.content.decode()
    response = client.post(reverse("rescue:new"), {"code": world["a"].rescue_code, "trapped_people": 1})
    assert response.status_code == 302


@pytest.mark.parametrize(
    "role, expected",
    [
        ("anonymous", 302),
        ("maintenance", 403),
        ("use_unit", 403),
        ("inspection", 403),
        ("rescue_centre", 200),
        ("city", 200),
    ],
)
def test_the_phone_form_is_for_the_centre_and_regulators(client, world, role, expected):
    assert signed_in(client, world, role).get(reverse("rescue:new")).status_code == expected


# ---------------------------------------------------------------- the outbox


@pytest.mark.parametrize(
    "role, expected",
    [
        ("anonymous", 302),
        ("maintenance", 403),
        ("use_unit", 403),
        ("inspection", 403),
        ("department", 403),
        ("rescue_centre", 200),
        ("city", 200),
        ("district", 200),
    ],
)
def test_the_outbox_page_is_for_regulators_and_the_centre(client, world, role, expected):
    assert signed_in(client, world, role).get(reverse("rescue:outbox")).status_code == expected


def test_the_outbox_lists_messages_by_state_and_scope(client, world):
    a = incident_report(elevator=world["a"], source="web").fault
    b = incident_report(elevator=world["b"], source="web").fault
    OutboxMessage.objects.filter(subject_key=f"fault:{a.pk}").update(
        state=DeliveryState.DELIVERED, delivered_at=timezone.now()
    )
    OutboxMessage.objects.filter(subject_key=f"fault:{b.pk}").update(attempts=3, last_error="SMS gateway down")
    signed_in(client, world, "rescue_centre")
    body = client.get(reverse("rescue:outbox")).content.decode()
    assert f"#{a.pk}" in body and f"#{b.pk}" in body and "SMS gateway down" in body
    pending = client.get(reverse("rescue:outbox"), {"state": "pending"}).content.decode()
    assert "SMS gateway down" in pending and f'href="{reverse("rescue:incident", args=[a.pk])}"' not in pending
    by_incident = client.get(reverse("rescue:outbox"), {"q": str(a.pk)}).content.decode()
    assert "SMS gateway down" not in by_incident
    # 东区's regulator sees 东区's messages only.
    client.force_login(world["users"]["district"])
    body = client.get(reverse("rescue:outbox")).content.decode()
    assert f'href="{reverse("rescue:incident", args=[a.pk])}"' in body and "SMS gateway down" not in body


def test_the_outbox_page_reads_a_fixed_number_of_queries(client, world):
    signed_in(client, world, "rescue_centre")
    incident_report(elevator=world["a"], source="web")
    client.get(reverse("rescue:outbox"))
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("rescue:outbox"))
    for _ in range(3):
        elevator = ElevatorFactory(
            district=world["a"].district, use_unit=world["use_a"], maintenance_firm=world["firm_a"]
        )
        incident_report(elevator=elevator, source="web")
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("rescue:outbox"))
    assert OutboxMessage.objects.count() > 4
    assert response.status_code == 200 and len(many) == len(one)


def test_the_menu_links_the_console_and_the_roster(client, world):
    body = signed_in(client, world, "maintenance").get(reverse("rescue:console")).content.decode()
    assert f'href="{reverse("rescue:console")}"' in body and f'href="{reverse("rescue:roster")}"' in body
    client.force_login(world["users"]["inspection"])
    body = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("rescue:console")}"' not in body
