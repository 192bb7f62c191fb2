"""The application list page filters with the API's FilterSet: the same `q` and `status`, the same refusals."""

import pytest
from django.urls import reverse

from inspections import services

from ..factories import ElevatorFactory, make_application

pytestmark = pytest.mark.django_db
PAGE = reverse("inspections:applications")
API = "/api/v1/inspection-applications/"


@pytest.fixture
def two(world):
    """An open application (炳草岗) and a rejected one (仁和), both with the agency."""
    open_one = make_application(world, elevator=ElevatorFactory(address="东区炳草岗大街1号", use_unit=world["use_a"]))
    closed = make_application(world, elevator=ElevatorFactory(address="仁和区迤资路2号", use_unit=world["use_a"]))
    services.application_reject(user=world["users"]["inspection"], application=closed, reason="资料不全")
    return open_one, closed


def page_shows(client, params=None) -> set[str]:
    body = client.get(PAGE, params or {}).content.decode()
    return {a for a in ("炳草岗", "迤资路") if a in body}


def api_ids(client, params=None) -> set[int]:
    return {row["id"] for row in client.get(API, params or {}).json()["results"]}


def test_the_agency_starts_from_its_open_applications(client, world, two):
    open_one, closed = two
    client.force_login(world["users"]["inspection"])
    assert page_shows(client) == {"炳草岗"}
    assert page_shows(client, {"status": ""}) == {"炳草岗", "迤资路"}  # the "all" option
    assert page_shows(client, {"status": "rejected"}) == {"迤资路"}
    assert api_ids(client, {"status": "open"}) == {open_one.pk}
    assert api_ids(client) == {open_one.pk, closed.pk}


def test_others_start_from_all_applications(client, world, two):
    client.force_login(world["users"]["use_unit"])
    assert page_shows(client) == {"炳草岗", "迤资路"}


@pytest.mark.parametrize("q, expected", [("迤资", "迤资路"), ("3110", None)])
def test_q_searches_the_same_on_the_page_and_the_api(client, world, two, q, expected):
    open_one, closed = two
    client.force_login(world["users"]["city"])
    by_address = {"迤资路": {closed.pk}}
    shown = page_shows(client, {"q": q})
    ids = api_ids(client, {"q": q})
    if expected:
        assert shown == {expected} and ids == by_address[expected]
    else:  # a registration-code prefix every factory elevator shares
        assert shown == {"炳草岗", "迤资路"} and ids == {open_one.pk, closed.pk}


def test_an_invalid_filter_is_a_form_error_on_the_page_and_400_on_the_api(client, world, two):
    client.force_login(world["users"]["city"])
    response = client.get(PAGE, {"status": "bogus"})
    assert response.status_code == 200 and 'id="filter-errors"' in response.content.decode()
    assert client.get(API, {"status": "bogus"}).status_code == 400
