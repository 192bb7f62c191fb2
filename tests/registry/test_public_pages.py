from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from registry.choices import ElevatorStatus

from ..factories import ElevatorFactory, PersonFactory

TODAY = timezone.localdate()


@pytest.fixture
def elevator(db):
    e = ElevatorFactory(
        rescue_code="12345",
        address="东区炳草岗大街8号阳光花园2栋",
        building_name="阳光花园",
        last_maintenance_on=TODAY - timedelta(days=3),
    )
    # Personal data that exists in the registry but must never reach a public page.
    PersonFactory(organization=e.use_unit, name="王安全", phone="13912345678")
    e.use_unit.contact_phone = "0812-1234567"
    e.use_unit.save()
    return e


def test_home_page_offers_lookup_and_the_hotline(client, db):
    body = client.get("/").content.decode()
    assert 'name="q"' in body and "96333" in body and "119" in body


@pytest.mark.parametrize("field", ["registration_code", "rescue_code"])
def test_lookup_by_code_goes_straight_to_the_public_page(client, elevator, field):
    response = client.get("/", {"q": getattr(elevator, field)})
    assert response.status_code == 302
    assert response["Location"] == f"/e/{elevator.registration_code}/"


def test_lookup_by_address_lists_matches(client, elevator):
    ElevatorFactory(address="东区炳草岗大街8号阳光花园3栋")
    body = client.get("/", {"q": "阳光花园"}).content.decode()
    assert "找到 2 部电梯" in body


def test_lookup_without_match_says_so(client, db):
    assert "没有找到匹配的电梯" in client.get("/", {"q": "99999"}).content.decode()


def test_public_page_shows_status_but_no_personal_data(client, elevator):
    response = client.get(f"/e/{elevator.registration_code}/")
    body = response.content.decode()
    assert response.status_code == 200
    for shown in (
        elevator.address,
        elevator.use_unit.name,
        elevator.maintenance_firm.name,
        "96333",
        elevator.inspection_valid_until.isoformat(),
        elevator.last_maintenance_on.isoformat(),
        "12345",
    ):
        assert shown in body
    for private in ("王安全", "13912345678", "0812-1234567", elevator.use_unit.credit_code or "never-empty"):
        assert private not in body


def test_rescue_code_url_redirects_to_the_registration_code_url(client, elevator):
    response = client.get("/e/12345/")
    assert response.status_code == 302 and response["Location"] == f"/e/{elevator.registration_code}/"


@pytest.mark.parametrize("code", ["1234", "abcde", "31105104022012070099", "1" * 21])
def test_unknown_or_malformed_codes_are_not_found(client, db, code):
    assert client.get(f"/e/{code}/").status_code == 404


def test_expired_elevator_is_marked_not_to_be_used(client, db):
    elevator = ElevatorFactory(inspection_valid_until=TODAY - timedelta(days=1))
    body = client.get(f"/e/{elevator.registration_code}/").content.decode()
    assert "依法不得继续使用" in body and "已超期" in body


def test_expiring_elevator_warns(client, db):
    elevator = ElevatorFactory(inspection_valid_until=TODAY + timedelta(days=30))
    assert "30天内届满" in client.get(f"/e/{elevator.registration_code}/").content.decode()


def test_suspended_elevator_warns(client, db):
    elevator = ElevatorFactory(status=ElevatorStatus.SUSPENDED)
    assert "当前不在使用中" in client.get(f"/e/{elevator.registration_code}/").content.decode()


def test_qr_code_points_at_the_public_page(client, elevator):
    import segno  # noqa: F401  (the same library renders it)

    svg = client.get(reverse("elevator_qr", args=[elevator.registration_code]))
    assert svg.status_code == 200 and svg["Content-Type"] == "image/svg+xml" and b"<svg" in svg.content
    png = client.get(reverse("elevator_qr", args=[elevator.registration_code]), {"format": "png"})
    assert png["Content-Type"] == "image/png" and png.content.startswith(b"\x89PNG")


def test_printable_sign_has_qr_rescue_code_and_hotline_on_a6(client, elevator):
    body = client.get(reverse("elevator_sign", args=[elevator.registration_code])).content.decode()
    assert "size: A6" in body and "12345" in body and "96333" in body
    assert reverse("elevator_qr", args=[elevator.registration_code]) in body


def test_hotline_is_a_setting(client, elevator, settings):
    settings.EMERGENCY_HOTLINE = "96933"
    assert "96933" in client.get(f"/e/{elevator.registration_code}/").content.decode()


def test_english_is_available(client, elevator):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    body = client.get(f"/e/{elevator.registration_code}/").content.decode()
    assert '<html lang="en">' in body


def test_lookup_with_many_matches_says_only_the_first_twenty_are_shown(client, db):
    from ..factories import bulk_elevators

    bulk_elevators(25, address="东区人民街1号")
    body = client.get("/", {"q": "人民街"}).content.decode()
    assert "匹配的电梯超过20部，仅显示前20部" in body and body.count("list-group-item-action") == 20
