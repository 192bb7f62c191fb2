"""`/api/v1/incidents/` (rescue/api/): firms' own systems and the 96333 platform report entrapments into the rescue
loop, read the incidents in their scope and take the alarm / stamp the rescue (plan §2(10))."""

from datetime import timedelta

import pytest
from django.utils import timezone

from maintenance.models import Fault
from rescue.models import IncidentReport

pytestmark = pytest.mark.django_db
URL = "/api/v1/incidents/"


@pytest.fixture
def firm(client, world):
    client.force_login(world["users"]["maintenance"])
    return client


def post(client, url=URL, **data):
    return client.post(url, data, "application/json")


def test_a_report_opens_an_incident_a_second_joins_it_and_a_replay_creates_nothing(firm, world):
    opened = post(firm, elevator=world["a"].rescue_code, trapped_people=2, note="监控看到2人", external_ref="E-1")
    assert opened.status_code == 201, opened.content
    body = opened.json()
    fault = Fault.objects.get()
    assert body["id"] == fault.pk and body["created"] is True and body["joined"] is False
    assert body["state"] == "reported" and body["reports"] == 1 and body["trapped_people"] == 2
    assert body["registration_code"] == world["a"].registration_code and body["arrival_limit_minutes"] == 30
    first = IncidentReport.objects.get()
    assert first.source == "api" and first.created_by == world["users"]["maintenance"]

    joined = post(firm, elevator=world["a"].registration_code, external_ref="E-2")
    assert joined.status_code == 200
    assert joined.json()["id"] == fault.pk and joined.json()["joined"] is True and joined.json()["reports"] == 2

    replay = post(firm, elevator=world["a"].rescue_code, trapped_people=2, note="监控看到2人", external_ref="E-1")
    assert replay.status_code == 200
    assert replay.json()["report"] == body["report"] and replay.json()["created"] is False
    assert replay.json()["reports"] == 2
    assert IncidentReport.objects.count() == 2 and Fault.objects.count() == 1


def test_one_firms_external_ref_is_not_anothers(client, world):
    client.force_login(world["users"]["maintenance"])
    assert post(client, elevator=world["a"].rescue_code, external_ref="1").status_code == 201
    client.force_login(world["users"]["maintenance_b"])
    other = post(client, elevator=world["b"].registration_code, external_ref="1")
    assert other.status_code == 201  # its own incident, not firm A's
    assert Fault.objects.count() == 2


def test_acknowledge_and_stamp_follow_the_rescue_services(firm, world):
    pk = post(firm, elevator=world["a"].rescue_code).json()["id"]
    ack = post(firm, f"{URL}{pk}/acknowledge/")
    assert ack.status_code == 200 and ack.json()["state"] == "acknowledged" and ack.json()["acknowledged_at"]
    again = post(firm, f"{URL}{pk}/acknowledge/")
    assert again.status_code == 400 and "已于" in again.json()["acknowledged_at"][0]

    assert post(firm, f"{URL}{pk}/stamp/", step="teleported").status_code == 400
    assert "step" in post(firm, f"{URL}{pk}/stamp/", step="teleported").json()
    for step in ("dispatched", "arrived", "released"):
        stamped = post(firm, f"{URL}{pk}/stamp/", step=step)
        assert stamped.status_code == 200, stamped.content
        assert stamped.json()["state"] == step and stamped.json()[f"{step}_at"]
    assert post(firm, f"{URL}{pk}/stamp/", step="arrived").status_code == 400  # a step is stamped once
    fault = Fault.objects.get()
    assert fault.acknowledged_at <= fault.dispatched_at <= fault.arrived_at <= fault.released_at


def test_list_and_detail_show_the_times_in_scope_and_firm_b_gets_404(client, world):
    client.force_login(world["users"]["maintenance"])
    pk = post(client, elevator=world["a"].rescue_code).json()["id"]
    post(client, f"{URL}{pk}/acknowledge/")
    rows = client.get(URL).json()["results"]
    assert [r["id"] for r in rows] == [pk]
    assert {"reported_at", "acknowledged_at", "dispatched_at", "arrived_at", "released_at"} <= set(rows[0])
    assert rows[0]["acknowledged_at"] and rows[0]["dispatched_at"] is None
    assert "phone" not in rows[0] and "reporter" not in rows[0]
    assert [r["id"] for r in client.get(URL, {"open": "true"}).json()["results"]] == [pk]

    client.force_login(world["users"]["maintenance_b"])
    assert client.get(URL).json()["results"] == []
    assert client.get(f"{URL}{pk}/").status_code == 404
    assert post(client, f"{URL}{pk}/acknowledge/").status_code == 404
    assert post(client, f"{URL}{pk}/stamp/", step="arrived").status_code == 404
    # Nor can it report into firm A's elevator.
    refused = post(client, elevator=world["a"].rescue_code)
    assert refused.status_code == 400 and "elevator" in refused.json()
    assert Fault.objects.get().acknowledged_at is not None and Fault.objects.get().reports == 1


def test_the_96333_centre_reports_for_any_elevator_and_sees_every_incident(client, world):
    client.force_login(world["users"]["rescue_centre"])
    reported = timezone.now() - timedelta(minutes=3)
    response = post(
        client, elevator=world["b"].rescue_code or world["b"].registration_code, reported_at=reported.isoformat()
    )
    assert response.status_code == 201, response.content
    assert abs(Fault.objects.get().reported_at - reported) < timedelta(seconds=1)
    assert len(client.get(URL).json()["results"]) == 1


@pytest.mark.parametrize(
    "data, field",
    [
        ({"elevator": "12"}, "elevator"),
        ({"elevator": "99999"}, "elevator"),
        ({"elevator": "A", "trapped_people": 99}, "trapped_people"),
        ({}, "elevator"),
    ],
)
def test_errors_are_400_with_field_messages(firm, world, data, field):
    response = post(firm, **data)
    assert response.status_code == 400 and field in response.json()
    assert not Fault.objects.exists()


def test_a_report_in_the_future_is_refused(firm, world):
    later = (timezone.now() + timedelta(hours=1)).isoformat()
    response = post(firm, elevator=world["a"].rescue_code, reported_at=later)
    assert response.status_code == 400 and "reported_at" in response.json()


def test_who_may_use_it(client, world):
    assert client.get(URL).status_code == 401
    for role in ("inspection", "department"):
        client.force_login(world["users"][role])
        assert client.get(URL).status_code == 403
        assert post(client, elevator=world["a"].rescue_code).status_code == 403


def test_it_is_in_the_openapi_schema(admin_client):
    schema = admin_client.get("/api/schema/").content.decode()  # signed in: the schema is not public
    for path in ("/api/v1/incidents/", "/api/v1/incidents/{id}/acknowledge/", "/api/v1/incidents/{id}/stamp/"):
        assert path in schema
