"""The daily risk scan and key monitoring (plan §2(4)): edges, clearing, exactly-once, set-based, who sees what."""

import csv
import io
from datetime import date, datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.choices import Role
from maintenance.choices import FaultCause, FaultKind
from maintenance.models import Fault
from monitoring.services import risk_flag_assess, risk_scan
from notifications.models import Notification
from registry.choices import BuildingKind, ElevatorStatus, MaintenanceFund, RiskAssessment, RiskReason
from registry.models import RiskFlag

from ..factories import ElevatorFactory, OrganizationFactory, bulk_elevators, user_with_role
from ..processes import manage

TODAY = date(2026, 11, 29)
FIFTEEN_YEARS_AGO = date(2011, 11, 29)


def reasons_of(elevator, active=True):
    qs = RiskFlag.objects.filter(elevator=elevator)
    if active:
        qs = qs.filter(cleared_on__isnull=True)
    return set(qs.values_list("reason", flat=True))


def faults(elevator, n, *, kind=FaultKind.DOOR, cause=FaultCause.DOOR_SYSTEM, days_ago=10):
    at = timezone.make_aware(datetime.combine(TODAY - timedelta(days=days_ago), time(10)))
    Fault.objects.bulk_create(
        [Fault(elevator=elevator, source="firm", kind=kind, cause=cause, reported_at=at) for _ in range(n)]
    )


def complaints(elevator, n, *, status="submitted", days_ago=10):
    from complaints.models import Complaint
    from departments.models import Department

    department = Department.objects.first()
    deadline = timezone.now()
    made = [
        Complaint.objects.create(
            tracking_no=f"T{elevator.pk}{status[:3]}{i}{days_ago}",
            elevator=elevator,
            district=elevator.district,
            address="x",
            category="breakdown",
            description="x",
            department=department,
            accept_deadline=deadline,
            resolve_deadline=deadline,
            status=status,
        )
        for i in range(n)
    ]
    at = timezone.make_aware(datetime.combine(TODAY - timedelta(days=days_ago), time(10)))
    Complaint.objects.filter(pk__in=[c.pk for c in made]).update(created_at=at)


@pytest.fixture
def elevator(dongqu):
    return ElevatorFactory(district=dongqu, commission_date=date(2020, 1, 1))


@pytest.fixture
def regulator(dongqu):
    return user_with_role(Role.DISTRICT_REGULATOR, email="dongqu@example.cn")


# ---------------------------------------------------------------- edges


@pytest.mark.django_db
@pytest.mark.parametrize(
    "commissioned, flagged",
    [
        (FIFTEEN_YEARS_AGO + timedelta(days=1), False),  # a day less than 15 years
        (FIFTEEN_YEARS_AGO, False),  # exactly 15 years: not yet "超过15年"
        (FIFTEEN_YEARS_AGO - timedelta(days=1), True),  # a day more
    ],
)
def test_age_flag_at_exactly_15_years(elevator, commissioned, flagged):
    elevator.commission_date = commissioned
    elevator.save()
    risk_scan(today=TODAY)
    assert (RiskReason.AGE_OVER_15 in reasons_of(elevator)) is flagged
    if flagged:
        flag = RiskFlag.objects.get(elevator=elevator)
        assert (flag.measured, flag.threshold, flag.first_seen) == (15, 15, TODAY)


@pytest.mark.django_db
@pytest.mark.parametrize("n, flagged", [(5, False), (6, True), (7, True)])
def test_faults_threshold(elevator, n, flagged):
    faults(elevator, n)
    faults(elevator, 3, cause=FaultCause.EXTERNAL)  # a power cut is not the elevator's fault
    faults(elevator, 3, days_ago=366)  # older than 12 months
    risk_scan(today=TODAY)
    assert (RiskReason.FAULTS in reasons_of(elevator)) is flagged
    if flagged:
        assert RiskFlag.objects.get(elevator=elevator, reason=RiskReason.FAULTS).measured == n


@pytest.mark.django_db
@pytest.mark.parametrize("n, flagged", [(2, False), (3, True), (4, True)])
def test_complaints_threshold(plan, elevator, n, flagged):
    complaints(elevator, n)
    complaints(elevator, 2, status="rejected")  # not valid complaints
    risk_scan(today=TODAY)
    assert (RiskReason.COMPLAINTS in reasons_of(elevator)) is flagged


@pytest.mark.django_db
@pytest.mark.parametrize("n, flagged", [(1, False), (2, True), (3, True)])
def test_entrapments_threshold(elevator, n, flagged):
    faults(elevator, n, kind=FaultKind.ENTRAPMENT, cause=FaultCause.EXTERNAL)
    risk_scan(today=TODAY)
    assert (RiskReason.ENTRAPMENTS in reasons_of(elevator)) is flagged
    assert RiskReason.FAULTS not in reasons_of(elevator)


@pytest.mark.django_db
def test_only_elevators_in_use_are_flagged(elevator):
    elevator.commission_date = date(2000, 1, 1)
    elevator.status = ElevatorStatus.SCRAPPED
    elevator.save()
    risk_scan(today=TODAY)
    assert not RiskFlag.objects.exists()


# ---------------------------------------------------------------- clearing and history


@pytest.mark.django_db
def test_a_flag_clears_when_the_condition_ends_and_history_is_kept(elevator):
    faults(elevator, 6, days_ago=300)
    risk_scan(today=TODAY)
    later = TODAY + timedelta(days=70)  # the faults are now more than 12 months old
    risk_scan(today=later)
    flag = RiskFlag.objects.get(elevator=elevator, reason=RiskReason.FAULTS)
    assert (flag.first_seen, flag.last_seen, flag.cleared_on) == (TODAY, TODAY, later)
    faults(elevator, 6, days_ago=-70)  # troubles again by `later`: a new flag, the old one stays
    risk_scan(today=later)
    assert RiskFlag.objects.filter(elevator=elevator, reason=RiskReason.FAULTS).count() == 2
    assert reasons_of(elevator) == {RiskReason.FAULTS}


@pytest.mark.django_db
def test_a_flag_still_true_is_refreshed(elevator):
    faults(elevator, 6)
    risk_scan(today=TODAY)
    faults(elevator, 2)
    risk_scan(today=TODAY + timedelta(days=1))
    flag = RiskFlag.objects.get(elevator=elevator)
    assert (flag.first_seen, flag.last_seen, flag.measured, flag.cleared_on) == (
        TODAY,
        TODAY + timedelta(days=1),
        8,
        None,
    )


# ---------------------------------------------------------------- exactly once


@pytest.mark.django_db
def test_running_twice_creates_no_second_flag_and_no_second_digest(elevator, regulator, mailoutbox):
    elevator.commission_date = date(2000, 1, 1)
    elevator.save()
    faults(elevator, 2, kind=FaultKind.ENTRAPMENT)
    first = risk_scan(today=TODAY)
    second = risk_scan(today=TODAY)
    assert first["created"] == {RiskReason.AGE_OVER_15: 1, RiskReason.ENTRAPMENTS: 1} and second["created"] == {}
    assert RiskFlag.objects.count() == 2
    digest = Notification.objects.get(recipient=regulator)
    assert digest.body.count(elevator.registration_code) == 2
    assert len(mailoutbox) == 1 and second["recipients"] == 0


@pytest.mark.django_db
def test_regulators_of_other_districts_hear_nothing(elevator, xiqu):
    other = user_with_role(Role.DISTRICT_REGULATOR, organization=OrganizationFactory(kind="regulator", district=xiqu))
    elevator.commission_date = date(2000, 1, 1)
    elevator.save()
    risk_scan(today=TODAY)
    assert not Notification.objects.filter(recipient=other).exists()


@pytest.mark.slow  # two real processes
@pytest.mark.django_db(transaction=True)
def test_two_processes_at_once_create_each_flag_once(dongqu, regulator):
    old = [ElevatorFactory(district=dongqu, commission_date=date(2000, 1, 1)) for _ in range(20)]
    procs = [manage("risk_scan") for _ in range(2)]
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    assert RiskFlag.objects.filter(reason=RiskReason.AGE_OVER_15).count() == len(old)
    bodies = list(Notification.objects.filter(recipient=regulator).values_list("body", flat=True))
    for elevator in old:
        assert sum(body.count(elevator.registration_code) for body in bodies) == 1


@pytest.mark.django_db
def test_the_scan_query_count_does_not_depend_on_the_registry_size(dongqu, regulator):
    def scan_queries(n):
        RiskFlag.objects.all().delete()
        Notification.objects.all().delete()
        bulk_elevators(n, district=dongqu, commission_date=date(2000, 1, 1))
        with CaptureQueriesContext(connection) as ctx:
            risk_scan(today=TODAY)
        return len(ctx.captured_queries)

    small = scan_queries(10)
    assert scan_queries(990) == small  # 1000 elevators now
    assert RiskFlag.objects.count() == 1000


# ---------------------------------------------------------------- pages, export, API: who sees what


@pytest.fixture
def two_districts(dongqu, xiqu):
    a = ElevatorFactory(district=dongqu, commission_date=date(2000, 1, 1))
    b = ElevatorFactory(district=xiqu, commission_date=date(2000, 1, 1))
    risk_scan(today=timezone.localdate())
    return a, b


@pytest.mark.django_db
def test_a_district_regulator_sees_only_its_district(client, regulator, two_districts):
    a, b = two_districts
    client.force_login(regulator)
    body = client.get(reverse("monitoring:key_list")).content.decode()
    assert a.registration_code in body and b.registration_code not in body
    response = client.get(reverse("monitoring:key_list"), {"export": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == [a.registration_code]
    data = client.get("/api/v1/risk-flags/").json()
    assert [f["registration_code"] for f in data["results"]] == [a.registration_code]


@pytest.mark.django_db
def test_the_city_sees_all_and_filters(client, two_districts, xiqu):
    a, b = two_districts
    client.force_login(user_with_role(Role.CITY_REGULATOR))
    body = client.get(reverse("monitoring:key_list"), {"district_id": xiqu.pk}).content.decode()
    assert b.registration_code in body and a.registration_code not in body
    body = client.get(reverse("monitoring:key_list"), {"reason": RiskReason.FAULTS}).content.decode()
    assert b.registration_code not in body
    assert client.get("/api/v1/risk-flags/", {"district": "510403", "active": "true"}).json()["count"] == 1
    assert client.get(reverse("monitoring:key_list"), {"export": "xlsx"}).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.USE_UNIT, Role.MAINTENANCE, Role.INSPECTION, Role.DEPARTMENT])
def test_only_regulators_open_the_monitoring_pages(client, role):
    client.force_login(user_with_role(role))
    assert client.get(reverse("monitoring:key_list")).status_code == 403
    assert client.get(reverse("monitoring:sanwu")).status_code == 403


@pytest.mark.django_db
def test_key_list_query_count_does_not_grow_with_rows(client, dongqu, django_assert_num_queries):
    client.force_login(user_with_role(Role.CITY_REGULATOR))
    bulk_elevators(3, district=dongqu, commission_date=date(2000, 1, 1))
    risk_scan(today=TODAY)
    # session, user, count of flags, unread notifications (menu), districts of the filter form,
    # the page of flags (elevator, district and organisations joined)
    with django_assert_num_queries(6) as small:
        client.get(reverse("monitoring:key_list"))
    bulk_elevators(30, district=dongqu, commission_date=date(2000, 1, 1))
    risk_scan(today=TODAY)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(reverse("monitoring:key_list"))
    assert response.status_code == 200


@pytest.mark.django_db
def test_assessment_by_a_regulator_in_scope(client, regulator, two_districts):
    a, b = two_districts
    flag = RiskFlag.objects.get(elevator=a)
    client.force_login(regulator)
    response = client.post(
        reverse("monitoring:assess", args=[flag.pk]), {"assessment": RiskAssessment.RENOVATION, "note": "曳引机磨损"}
    )
    assert response.status_code == 302
    flag.refresh_from_db()
    assert (flag.assessment, flag.assessment_note, flag.assessed_by) == (
        RiskAssessment.RENOVATION,
        "曳引机磨损",
        regulator,
    )
    other = RiskFlag.objects.get(elevator=b)
    assert client.post(reverse("monitoring:assess", args=[other.pk]), {"assessment": "done"}).status_code == 404
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        risk_flag_assess(user=regulator, flag=other, status=RiskAssessment.DONE)


# ---------------------------------------------------------------- 三无


@pytest.mark.django_db
def test_sanwu_list_shows_each_reason_and_exports(client, dongqu, xiqu, django_assert_max_num_queries):
    no_unit = ElevatorFactory(district=dongqu, use_unit=None)
    no_firm = ElevatorFactory(district=dongqu, maintenance_firm=None)
    no_fund = ElevatorFactory(
        district=dongqu, building_kind=BuildingKind.RESIDENTIAL, maintenance_fund=MaintenanceFund.NONE
    )
    fine = ElevatorFactory(district=dongqu, maintenance_fund=MaintenanceFund.ESTABLISHED)
    elsewhere = ElevatorFactory(district=xiqu, use_unit=None)
    client.force_login(user_with_role(Role.DISTRICT_REGULATOR))
    # session, user, the regulator's organisation (its district), count, unread notifications (menu),
    # districts of the filter form, page of elevators
    with django_assert_max_num_queries(7):
        body = client.get(reverse("monitoring:sanwu")).content.decode()
    for e in (no_unit, no_firm, no_fund):
        assert e.registration_code in body
    assert fine.registration_code not in body and elsewhere.registration_code not in body
    assert "无使用单位" in body and "无维保单位" in body and "无专项维修资金" in body
    assert "/registry/elevators/?inspection_status=expired" in body
    response = client.get(reverse("monitoring:sanwu"), {"export": "csv", "reason": "no_fund"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == [no_fund.registration_code]
