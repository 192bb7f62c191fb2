"""Absurd values and unreadable encodings are refused with a Chinese message naming the field or file (issue 14):
a latitude of 999, a lift commissioned on 0001-01-01 or a fault reported in 1900 were accepted; Big5 and Latin-1
CSVs were silently decoded as GB18030."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from complaints.models import Complaint
from maintenance.choices import FaultKind, FaultSource
from maintenance.faults import services as fault_services
from maintenance.models import Fault

from .complaints.test_open311 import assert_spec_error, partner, post  # noqa: F401  (partner: a fixture)
from .factories import ElevatorFactory, FaultFactory

BEIJING = datetime.timezone(datetime.timedelta(hours=8))


# ---------------------------------------------------------------- absurd values


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("latitude", Decimal("999"), "纬度"),
        ("latitude", Decimal("-90.5"), "纬度"),
        ("longitude", Decimal("180.000001"), "经度"),
        ("longitude", Decimal("-999"), "经度"),
        ("commission_date", datetime.date(1, 1, 1), "1950"),
        ("commission_date", datetime.date(1949, 12, 31), "1950"),
    ],
)
def test_an_elevator_with_an_absurd_value_is_refused_naming_the_field(field, value, words):
    elevator = ElevatorFactory.build(district=ElevatorFactory().district, manufacture_date=None)
    setattr(elevator, field, value)
    with pytest.raises(ValidationError) as caught:
        elevator.full_clean(validate_unique=False, validate_constraints=False)
    assert field in caught.value.message_dict
    assert any(words in message for message in caught.value.message_dict[field])


@pytest.mark.django_db
def test_edge_values_are_accepted():
    elevator = ElevatorFactory.build(district=ElevatorFactory().district, manufacture_date=None)
    elevator.latitude, elevator.longitude = Decimal("-90"), Decimal("180")
    elevator.commission_date = datetime.date(1950, 1, 1)
    elevator.full_clean(validate_unique=False, validate_constraints=False)
    elevator.latitude, elevator.longitude = Decimal("26.58"), Decimal("101.71")
    elevator.full_clean(validate_unique=False, validate_constraints=False)


@pytest.mark.django_db
def test_the_api_refuses_a_latitude_of_999_naming_it(client, world):
    client.force_login(world["users"]["city"])
    url = f"/api/v1/elevators/{world['a'].pk}/"
    response = client.patch(url, {"latitude": "999"}, content_type="application/json")
    assert response.status_code == 400, response.content
    assert "纬度" in response.json()["latitude"][0]
    response = client.patch(url, {"commission_date": "0001-01-01"}, content_type="application/json")
    assert response.status_code == 400 and "1950" in response.json()["commission_date"][0]
    world["a"].refresh_from_db()
    assert world["a"].latitude != Decimal("999")


@pytest.mark.django_db
def test_a_fault_reported_in_1900_is_refused_naming_reported_at(world):
    with pytest.raises(ValidationError) as caught:
        fault_services.fault_report(
            user=world["users"]["use_unit"],
            elevator=world["a"],
            source=FaultSource.COMPLAINT,
            kind=FaultKind.STOPPED,
            reported_at=datetime.datetime(1900, 1, 1, 10, tzinfo=BEIJING),
        )
    assert "2000" in caught.value.message_dict["reported_at"][0]
    assert not Fault.objects.exists()
    # The admin and any other form call the same clean.
    fault = FaultFactory.build(elevator=world["a"], reported_at=datetime.datetime(1999, 12, 31, 23, tzinfo=BEIJING))
    with pytest.raises(ValidationError) as caught:
        fault.full_clean()
    assert "reported_at" in caught.value.message_dict
    fault.reported_at = datetime.datetime(2000, 1, 1, tzinfo=BEIJING)
    fault.full_clean()
    fault.reported_at = timezone.now()
    fault.full_clean()


@pytest.mark.parametrize(("field", "value"), [("lat", "999"), ("lat", "-90.1"), ("long", "181"), ("long", "nan")])
def test_open311_refuses_an_absurd_point_naming_the_field(client, plan, partner, districts, field, value):  # noqa: F811
    description = assert_spec_error(post(client, **{field: value}), 400)
    assert field in description and ("纬度" in description or "经度" in description)
    assert not Complaint.objects.exists()
