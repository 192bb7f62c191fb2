"""The public monthly safety bulletin (plan §2(10)): figures, JSON, privacy, month parameter, query count."""

import json
from datetime import date, datetime, timedelta
from itertools import count

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from complaints.models import Complaint
from dashboards.bulletin import bulletin_for_month, latest_complete_month
from departments.models import Department
from inspections.models import Inspection
from maintenance.models import Fault
from registry.choices import OrganizationKind, PersonKind
from registry.models import Elevator

from ..factories import ElevatorFactory, OrganizationFactory, PersonFactory, at

pytestmark = pytest.mark.django_db

_seq = count(1)
URL = reverse("dashboards:bulletin")
JSON_URL = reverse("dashboards:bulletin_json")


@pytest.fixture
def month():
    year, month = latest_complete_month(timezone.localdate())
    first = date(year, month, 1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return {"year": year, "month": month, "first": first, "last": last, "label": f"{year:04d}-{month:02d}"}


def _complaint(elevator, *, created: datetime, resolved: datetime | None = None):
    complaint = Complaint.objects.create(
        tracking_no=f"TS{next(_seq):018d}",
        elevator=elevator,
        district=elevator.district,
        address=elevator.address,
        category="breakdown",
        description="d",
        contact_name="李投诉人",
        contact_phone="13812345678",
        contact_email="resident@example.com",
        department=Department.objects.first(),
        accept_deadline=created,
        resolve_deadline=created,
        status="resolved" if resolved else "submitted",
    )
    Complaint.objects.filter(pk=complaint.pk).update(created_at=created, resolved_at=resolved)


def _fault(elevator, *, reported: datetime, kind="entrapment", arrive_after=None, release_after=None):
    Fault.objects.create(
        elevator=elevator,
        source="hotline",
        kind=kind,
        reported_at=reported,
        arrived_at=reported + timedelta(minutes=arrive_after) if arrive_after is not None else None,
        released_at=reported + timedelta(minutes=release_after) if release_after is not None else None,
    )


@pytest.fixture
def city(plan, districts, month):
    """东区 (30-minute limit) and 米易县 (60 minutes) with hand-countable figures for the month."""
    first, last = month["first"], month["last"]
    firm = OrganizationFactory(
        name="某某电梯维保有限公司", kind=OrganizationKind.MAINTENANCE, district=districts["510402"]
    )
    agency = OrganizationFactory(kind=OrganizationKind.INSPECTION)
    PersonFactory(name="赵维保", organization=firm, kind=PersonKind.MAINTENANCE_WORKER, phone="13900000001")
    dong, miyi = districts["510402"], districts["510421"]
    far = last + timedelta(days=300)
    ok = {"inspection_valid_until": far, "last_maintenance_on": last - timedelta(days=3), "maintenance_firm": firm}
    e_ok = ElevatorFactory(district=dong, **ok)
    ElevatorFactory(district=dong, **ok)
    # Overdue for inspection at the month's end by the registry date; overdue for maintenance (20 days).
    ElevatorFactory(
        district=dong,
        maintenance_firm=firm,
        inspection_valid_until=last - timedelta(days=10),
        last_maintenance_on=last - timedelta(days=20),
    )
    # Overdue at the month's end too, although an inspection after the month has since renewed it.
    renewed = ElevatorFactory(district=dong, **ok)
    Inspection.objects.create(
        elevator=renewed,
        kind="periodic",
        agency=agency,
        inspected_on=first - timedelta(days=400),
        result="passed",
        valid_until=first - timedelta(days=35),
        report_no="R-old",
        recorded_by=_user(),
    )
    Inspection.objects.create(
        elevator=renewed,
        kind="periodic",
        agency=agency,
        inspected_on=last + timedelta(days=1),
        result="passed",
        valid_until=far,
        report_no="R-new",
        recorded_by=_user(),
    )
    ElevatorFactory(district=dong, status="scrapped", **ok)
    e_miyi = ElevatorFactory(district=miyi, registration_code="31105104212012070001", **ok)
    Elevator.objects.update(created_at=at(first - timedelta(days=500)))
    ElevatorFactory(district=dong, commission_date=last + timedelta(days=1), **ok)  # commissioned after: not counted

    day = first + timedelta(days=5)
    _fault(e_ok, reported=at(day), arrive_after=20, release_after=40)  # in time
    _fault(e_ok, reported=at(day, 12), arrive_after=45, release_after=60)  # late in 东区
    _fault(e_ok, reported=at(day, 14), arrive_after=25, release_after=180)  # accident (3 hours)
    _fault(e_ok, reported=at(day, 16), kind="door")
    _fault(e_ok, reported=at(first - timedelta(days=2)), arrive_after=90)  # the month before
    _fault(e_miyi, reported=at(day), arrive_after=45, release_after=50)  # in time in 米易县 (60 minutes)

    _complaint(e_ok, created=at(day))
    _complaint(e_ok, created=at(day, 15))
    _complaint(e_ok, created=at(first - timedelta(days=3)), resolved=at(day))
    _complaint(e_miyi, created=at(last + timedelta(days=1)))  # the month after
    return {"dong": dong, "miyi": miyi}


def _user():
    from ..factories import UserFactory

    return UserFactory()


def _row(data, code):
    return next(row for row in data["districts"] if row["code"] == code)


def test_figures_match_counts_by_hand(city, month):
    data = bulletin_for_month(year=month["year"], month=month["month"])
    dong = _row(data, "510402")
    assert {
        k: dong[k]
        for k in (
            "elevators_registered",
            "elevators_in_use",
            "inspection_overdue",
            "maintenance_overdue",
            "faults",
            "entrapments",
            "arrived_within_limit",
            "accidents",
            "complaints_received",
            "complaints_resolved",
        )
    } == {
        "elevators_registered": 4,
        "elevators_in_use": 4,
        "inspection_overdue": 2,
        "maintenance_overdue": 1,
        "faults": 4,
        "entrapments": 3,
        "arrived_within_limit": 2,
        "accidents": 1,
        "complaints_received": 2,
        "complaints_resolved": 1,
    }
    assert dong["inspection_overdue_rate"] == 0.5
    assert dong["maintenance_overdue_rate"] == 0.25
    assert dong["arrival_rate"] == pytest.approx(0.6667)
    assert dong["arrival_limit_minutes"] == 30

    miyi = _row(data, "510421")
    assert (
        miyi["elevators_in_use"],
        miyi["entrapments"],
        miyi["arrived_within_limit"],
        miyi["arrival_rate"],
        miyi["complaints_received"],
    ) == (1, 1, 1, 1.0, 0)
    assert miyi["arrival_limit_minutes"] == 60

    assert data["city"]["elevators_in_use"] == 5
    assert data["city"]["entrapments"] == 4
    assert data["city"]["arrived_within_limit"] == 3
    assert data["city"]["accidents"] == 1
    assert data["city"]["arrival_rate"] == 0.75
    assert data["period"] == {
        "year": month["year"],
        "month": month["month"],
        "label": month["label"],
        "start": month["first"].isoformat(),
        "end": month["last"].isoformat(),
    }


def test_warnings_name_the_district_with_overdue_inspections_or_an_accident(city, month):
    data = bulletin_for_month(year=month["year"], month=month["month"])
    kinds = {(w["district"], w["kind"]) for w in data["warnings"]}
    assert ("510402", "accident") in kinds
    assert ("510402", "inspection_overdue") in kinds
    assert ("510402", "arrival") in kinds
    assert not any(code == "510421" for code, _kind in kinds)


def test_page_is_public_and_json_equals_the_page_data(client, city, month):
    page = client.get(URL, {"month": month["label"]})
    assert page.status_code == 200
    response = client.get(JSON_URL, {"month": month["label"]})
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    assert response.json() == json.loads(json.dumps(page.context["bulletin"], cls=DjangoJSONEncoder))


def test_default_is_the_latest_complete_month(client, city, month):
    assert client.get(URL).context["bulletin"]["period"]["label"] == month["label"]
    assert client.get(JSON_URL).json()["period"]["label"] == month["label"]


def test_month_navigation(client, city, month):
    response = client.get(URL, {"month": month["label"]})
    assert response.context["next_month"] is None  # the running month is not published yet
    previous = response.context["previous_month"]
    assert client.get(URL, {"month": previous}).status_code == 200
    assert f"?month={previous}" in response.content.decode()


@pytest.mark.parametrize("value", ["2025-13", "2025-00", "abc", "2025-1", "1999-12", "2999-01", "2025-01-01"])
def test_bad_month_is_refused(client, value):
    assert client.get(URL, {"month": value}).status_code == 400
    assert client.get(JSON_URL, {"month": value}).status_code == 400


def test_no_personal_or_company_data(client, city, month):
    html = client.get(URL, {"month": month["label"]}).content.decode()
    body = client.get(JSON_URL, {"month": month["label"]}).content.decode("utf-8")
    for text in (html, body):
        for secret in (
            "李投诉人",
            "13812345678",
            "resident@example.com",
            "赵维保",
            "13900000001",
            "某某电梯维保有限公司",
        ):
            assert secret not in text


def _bulletin_queries(client, label) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(JSON_URL, {"month": label}).status_code == 200
    return len(ctx.captured_queries)


def test_query_count_is_constant(client, city, month, django_assert_num_queries):
    # elevators (with subqueries for the month's end), faults, complaints, districts.
    with django_assert_num_queries(4):
        bulletin_for_month(year=month["year"], month=month["month"])
    before = _bulletin_queries(client, month["label"])
    elevator = Elevator.objects.filter(district=city["dong"]).first()
    for i in range(10):
        _fault(elevator, reported=at(month["first"] + timedelta(days=1), 8, i), arrive_after=10)
        _complaint(elevator, created=at(month["first"] + timedelta(days=2), 9, i))
    ElevatorFactory.create_batch(5, district=city["miyi"])
    assert _bulletin_queries(client, month["label"]) == before
    # The page adds nothing for anonymous visitors (base.html's unread count is only for signed-in users).
    with django_assert_num_queries(4):
        assert client.get(URL, {"month": month["label"]}).status_code == 200
