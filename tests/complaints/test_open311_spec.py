"""Open311 GeoReport v2 as the spec has it (issue 14): an unknown service_code is a 404 on POST and on the service
definition, in the spec's error format; a POST with lat/long and an address_string but no district takes the
district from the address, or is refused naming `district`."""

import pytest

from complaints.models import Complaint
from departments.choices import Category

from .test_open311 import assert_spec_error, get, partner, post, url  # noqa: F401  (partner: a fixture)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_post_with_an_unknown_service_code_is_a_404(client, plan, partner, districts, fmt):  # noqa: F811
    description = assert_spec_error(post(client, fmt, service_code="no-such-service", address_id=None), 404, fmt)
    assert "service_code" in description and "no-such-service" in description
    assert not Complaint.objects.exists()
    # Any other problem stays a 400.
    assert_spec_error(post(client, fmt, service_code=Category.BREAKDOWN, address_id="123"), 400, fmt)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_the_service_definition_of_an_unknown_code_is_a_spec_404(client, db, fmt):
    description = assert_spec_error(get(client, "open311_service", fmt, service_code="nope"), 404, fmt)
    assert "nope" in description


def test_the_service_definition_of_a_known_code_has_no_attributes(client, db):
    response = get(client, "open311_service", service_code=Category.BREAKDOWN)
    assert response.status_code == 200 and response.json() == {"service_code": "breakdown", "attributes": []}
    xml = get(client, "open311_service", "xml", service_code=Category.BREAKDOWN)
    assert b"<service_definition><service_code>breakdown</service_code><attributes" in xml.content


@pytest.mark.parametrize(
    ("address", "division"),
    [("攀枝花市米易县攀莲镇某小区5栋", "510421"), ("米易攀莲镇某小区", "510421"), ("东区炳草岗大街12号", "510402")],
)
def test_a_spec_post_with_lat_long_and_an_address_takes_the_district_it_names(
    client,
    plan,
    partner,  # noqa: F811
    districts,
    address,
    division,
):
    response = post(client, address_id=None, address_string=address, service_code="retrofit", lat="26.5", long="101.7")
    assert response.status_code == 200, response.content
    complaint = Complaint.objects.get()
    assert complaint.district == districts[division] and complaint.elevator is None


@pytest.mark.parametrize("address", ["攀莲镇某小区5栋", "东区和西区交界处"])
def test_an_address_naming_no_district_or_two_is_refused_naming_district(client, plan, partner, districts, address):  # noqa: F811
    response = post(client, address_id=None, address_string=address, service_code="retrofit", lat="26.5", long="101.7")
    assert "district" in assert_spec_error(response, 400)
    assert not Complaint.objects.exists()


def test_the_url_of_an_unknown_service_is_answered_in_the_requested_format(client, db):
    assert url("open311_service", "xml", service_code="x").endswith("/open311/v2/services/x.xml")
