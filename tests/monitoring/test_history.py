"""The elevator history page: every source in time order, scoped like the registry, without personal data."""

from datetime import date, timedelta
from itertools import count

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from complaints.models import Complaint
from departments.models import Department
from inspections.models import Defect, Inspection
from maintenance.models import (
    ContractElevator,
    Fault,
    MaintenanceContract,
    MaintenanceRecord,
)
from monitoring.history import EventKind, elevator_history
from registry.choices import OrganizationKind, PersonKind

from ..factories import OrganizationFactory, PersonFactory, at

pytestmark = pytest.mark.django_db

_seq = count(1)


@pytest.fixture(autouse=True)
def _departments(plan):
    """Complaints are routed to a department, so the plan's departments must exist."""


def _risk_flag_model():
    try:
        return apps.get_model("registry", "RiskFlag")
    except LookupError:
        return None


def build_story(world, *, n: int = 1, base: date | None = None) -> dict:
    """`n` events of every kind on elevator "a", one day apart per kind, starting at `base`."""
    elevator, user = world["a"], world["users"]["city"]
    base = base or timezone.localdate() - timedelta(days=400)
    agency = OrganizationFactory(kind=OrganizationKind.INSPECTION)
    worker = PersonFactory(organization=world["firm_a"], kind=PersonKind.MAINTENANCE_WORKER, phone="13900000001")
    department = Department.objects.first()
    made = {"contract": [], "record": [], "fault": [], "complaint": [], "inspection": [], "defect": []}
    for i in range(n):
        day = base + timedelta(days=10 * i)
        contract = MaintenanceContract.objects.create(
            number=f"HT-{next(_seq)}",
            use_unit=world["use_a"],
            firm=world["firm_a"],
            starts_on=day,
            ends_on=day + timedelta(days=5000),
            status="active",
            created_by=user,
        )
        ContractElevator.objects.create(contract=contract, elevator=elevator)
        made["contract"].append(contract)
        made["record"].append(
            MaintenanceRecord.objects.create(
                elevator=elevator,
                firm=world["firm_a"],
                tier="half_monthly",
                started_at=at(day + timedelta(days=1)),
                ended_at=at(day + timedelta(days=1), 11),
                signed_by=worker,
                created_by=user,
            )
        )
        made["fault"].append(
            Fault.objects.create(
                elevator=elevator,
                source="hotline",
                kind="entrapment",
                trapped_people=2,
                description="王秘密 13700000009 被困",
                reported_at=at(day + timedelta(days=2)),
                arrived_at=at(day + timedelta(days=2)) + timedelta(minutes=20),
                released_at=at(day + timedelta(days=2)) + timedelta(minutes=40),
            )
        )
        complaint = Complaint.objects.create(
            tracking_no=f"TS{next(_seq):018d}",
            elevator=elevator,
            district=elevator.district,
            address="x",
            category="breakdown",
            description="d",
            contact_name="张投诉人",
            contact_phone="13812345678",
            contact_email="resident@example.com",
            department=department,
            accept_deadline=timezone.now(),
            resolve_deadline=timezone.now(),
        )
        Complaint.objects.filter(pk=complaint.pk).update(created_at=at(day + timedelta(days=3)))
        made["complaint"].append(complaint)
        inspection = Inspection.objects.create(
            elevator=elevator,
            kind="periodic",
            agency=agency,
            inspected_on=day + timedelta(days=4),
            result="failed",
            report_no=f"R-{next(_seq)}",
            recorded_by=user,
        )
        made["inspection"].append(inspection)
        made["defect"].append(
            Defect.objects.create(
                inspection=inspection,
                description="门锁回路短接",
                deadline=day + timedelta(days=30),
                status="rectified",
                rectified_at=at(day + timedelta(days=5)),
            )
        )
    RiskFlag = _risk_flag_model()
    if RiskFlag is not None:
        import uuid

        RiskFlag.objects.create(
            elevator=elevator,
            reason="age_over_15",
            measured=16,
            threshold=15,
            first_seen=base + timedelta(days=6),
            last_seen=base + timedelta(days=7),
            cleared_on=base + timedelta(days=7),
            run_id=uuid.uuid4(),
        )
    elevator.address = "东区新地址1号"
    elevator.save()
    return made


def test_events_from_every_source_appear_newest_first(world):
    build_story(world)
    events = elevator_history(elevator=world["a"])
    kinds = {event.kind for event in events}
    expected = {
        EventKind.REGISTRY,
        EventKind.CONTRACT,
        EventKind.MAINTENANCE,
        EventKind.FAULT,
        EventKind.COMPLAINT,
        EventKind.INSPECTION,
        EventKind.DEFECT,
    }
    if _risk_flag_model() is not None:
        expected.add(EventKind.RISK)
    assert expected <= kinds
    assert [e.when for e in events] == sorted((e.when for e in events), reverse=True)
    # The oldest real-world events come in the order they happened: contract, record, fault, complaint, inspection.
    story = [
        e.kind
        for e in reversed(events)
        if e.kind
        in (EventKind.CONTRACT, EventKind.MAINTENANCE, EventKind.FAULT, EventKind.COMPLAINT, EventKind.INSPECTION)
    ]
    assert story[:5] == [
        EventKind.CONTRACT,
        EventKind.MAINTENANCE,
        EventKind.FAULT,
        EventKind.COMPLAINT,
        EventKind.INSPECTION,
    ]
    change = next(e for e in events if e.kind == EventKind.REGISTRY and "东区新地址1号" in e.detail)
    assert "安装地址" in change.detail


def test_page_shows_the_timeline_to_users_in_scope(client, world):
    build_story(world)
    url = reverse("elevator_history", args=[world["a"].pk])
    for role in ("city", "district", "use_unit", "maintenance"):
        client.force_login(world["users"][role])
        response = client.get(url)
        assert response.status_code == 200, role
        assert "门锁回路短接" in response.content.decode()


def test_filter_chip_keeps_only_that_kind(client, world):
    build_story(world)
    client.force_login(world["users"]["city"])
    response = client.get(reverse("elevator_history", args=[world["a"].pk]), {"kind": "fault"})
    assert {e.kind for e in response.context["events"]} == {EventKind.FAULT}


def test_detail_page_links_to_the_history(client, world):
    client.force_login(world["users"]["city"])
    response = client.get(reverse("registry:elevator_detail", args=[world["a"].pk]))
    assert reverse("elevator_history", args=[world["a"].pk]) in response.content.decode()


@pytest.mark.parametrize(
    "role,status",
    [("district", 404), ("use_unit", 404), ("maintenance", 404), ("inspection", 403), ("department", 403)],
)
def test_out_of_scope_users_are_refused(client, world, role, status):
    client.force_login(world["users"][role])
    assert client.get(reverse("elevator_history", args=[world["b"].pk])).status_code == status


def test_anonymous_users_are_sent_to_login(client, world):
    response = client.get(reverse("elevator_history", args=[world["a"].pk]))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_no_personal_data_of_complainants_or_people(client, world):
    build_story(world)
    client.force_login(world["users"]["city"])
    html = client.get(reverse("elevator_history", args=[world["a"].pk])).content.decode()
    for secret in ("张投诉人", "13812345678", "resident@example.com", "13900000001", "王秘密", "13700000009"):
        assert secret not in html


@pytest.mark.parametrize("n", [1, 6])
def test_query_count_does_not_grow_with_events(client, world, django_assert_num_queries, n):
    build_story(world, n=n)
    client.force_login(world["users"]["city"])
    url = reverse("elevator_history", args=[world["a"].pk])
    # session, user, the elevator (with district, use unit, firm); one per source: registry history, contracts,
    # maintenance records, faults, complaints, inspections, defects (+ risk flags once that model exists);
    # base.html's unread-notification count.
    expected = 11 + (1 if _risk_flag_model() is not None else 0)
    with django_assert_num_queries(expected):
        response = client.get(url)
    assert response.status_code == 200
    assert len(response.context["events"]) >= 7 * n
