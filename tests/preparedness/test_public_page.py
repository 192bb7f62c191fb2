"""The public page /e/<code>/ says whether the elevator is registered for use (特种设备安全法 §33) and insured
(plan §2(12)), yes or no only: no certificate or policy number, no amount, no insurer, no names of people."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import resolve, reverse
from django.utils import timezone

from monitoring import views as monitoring_views
from preparedness.models import InsurancePolicy

from ..factories import ElevatorFactory

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def policy(elevator, *, starts_on, ends_on):
    p = InsurancePolicy.objects.create(
        insurer="中国人保财险攀枝花分公司",
        policy_no="PZH2026ELV000123",
        insured=elevator.use_unit,
        cover_per_person=Decimal("987654.00"),
        cover_per_accident=Decimal("3456789.00"),
        starts_on=starts_on,
        ends_on=ends_on,
    )
    p.elevators.add(elevator)
    return p


def page(client, elevator) -> str:
    response = client.get(reverse("public_elevator", args=[elevator.registration_code]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_url_and_its_name_are_kept_and_served_by_monitoring(db):
    elevator = ElevatorFactory()
    assert reverse("public_elevator", args=[elevator.registration_code]) == f"/e/{elevator.registration_code}/"
    assert resolve(f"/e/{elevator.registration_code}/").func is monitoring_views.public_elevator


def test_registered_and_insured(client):
    elevator = ElevatorFactory(
        use_certificate_no="梯11川D00123(19)", use_certificate_authority="攀枝花市市场监督管理局东区分局"
    )
    policy(elevator, starts_on=TODAY - timedelta(days=10), ends_on=TODAY + timedelta(days=300))
    body = page(client, elevator)
    assert "已登记" in body and "未登记" not in body
    assert "已投保" in body and "未投保" not in body
    # Yes or no only: no number, no authority, no insurer, no policy number, no amounts.
    for private in (
        "梯11川D00123(19)",
        "东区分局",
        "人保",
        "PZH2026ELV000123",
        "987654",
        "987,654",
        "3456789",
        "3,456,789",
    ):
        assert private not in body, private


def test_unregistered_and_uninsured(client):
    elevator = ElevatorFactory(use_certificate_no="")
    body = page(client, elevator)
    assert "未登记" in body and "未投保" in body
    assert "已登记" not in body and "已投保" not in body


@pytest.mark.parametrize(
    "starts, ends, insured",
    [
        (0, 0, True),  # a one-day policy, today
        (-30, 0, True),  # its last day
        (-30, -1, False),  # ended yesterday
        (1, 30, False),  # starts tomorrow
        (0, 30, True),  # its first day
    ],
)
def test_insured_on_the_days_the_policy_is_in_force(client, starts, ends, insured):
    elevator = ElevatorFactory()
    policy(elevator, starts_on=TODAY + timedelta(days=starts), ends_on=TODAY + timedelta(days=ends))
    body = page(client, elevator)
    assert ("已投保" in body) is insured and ("未投保" in body) is not insured


def test_a_policy_of_another_elevator_does_not_count(client):
    elevator, other = ElevatorFactory(), ElevatorFactory()
    policy(other, starts_on=TODAY - timedelta(days=1), ends_on=TODAY + timedelta(days=1))
    assert "未投保" in page(client, elevator)


def test_everything_the_page_showed_before_is_still_there(client):
    elevator = ElevatorFactory(rescue_code="54321", building_name="阳光花园", last_maintenance_on=TODAY)
    body = page(client, elevator)
    for shown in (
        elevator.address,
        "阳光花园",
        elevator.use_unit.name,
        elevator.maintenance_firm.name,
        elevator.inspection_valid_until.isoformat(),
        TODAY.isoformat(),
        "54321",
        "96333",
        reverse("elevator_sign", args=[elevator.registration_code]),
    ):
        assert shown in body, shown


def test_rescue_code_redirects_and_bad_codes_are_not_found(client):
    elevator = ElevatorFactory(rescue_code="54322")
    response = client.get("/e/54322/")
    assert response.status_code == 302 and response["Location"] == f"/e/{elevator.registration_code}/"
    assert client.get("/e/abcde/").status_code == 404
    assert client.get("/e/99999/").status_code == 404


def test_two_queries(client, django_assert_num_queries):
    elevator = ElevatorFactory(use_certificate_no="梯11川D00123(19)")
    policy(elevator, starts_on=TODAY, ends_on=TODAY)
    url = reverse("public_elevator", args=[elevator.registration_code])
    # 1. the elevator with its district, use unit and firm; 2. whether a policy in force covers it.
    with django_assert_num_queries(2):
        assert client.get(url).status_code == 200
