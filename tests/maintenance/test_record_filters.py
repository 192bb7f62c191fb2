"""The record list page filters with the API's FilterSet: the same `q` and `status`, the same refusals."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from maintenance import services

from ..factories import make_record

pytestmark = pytest.mark.django_db
PAGE = reverse("maintenance:records")
API = "/api/v1/maintenance-records/"


@pytest.fixture
def two(world):
    """A record awaiting confirmation and a confirmed one, both for elevator a (东区, 金江物业)."""
    confirmed = make_record(world)
    services.record_confirm(user=world["users"]["use_unit"], record=confirmed)
    waiting = make_record(world, started=timezone.now() - timedelta(hours=6))
    return waiting, confirmed


def page_ids(client, params=None) -> set[int]:
    return {record.pk for record in client.get(PAGE, params or {}).context["page"].object_list}


def api_ids(client, params=None) -> set[int]:
    return {row["id"] for row in client.get(API, params or {}).json()["results"]}


def test_the_use_unit_starts_from_the_records_awaiting_its_confirmation(client, world, two):
    waiting, confirmed = two
    client.force_login(world["users"]["use_unit"])
    assert page_ids(client) == {waiting.pk}
    assert page_ids(client, {"status": ""}) == {waiting.pk, confirmed.pk}  # the "all" option
    assert page_ids(client, {"status": "confirmed"}) == {confirmed.pk}


def test_the_firm_starts_from_all_its_records(client, world, two):
    client.force_login(world["users"]["maintenance"])
    assert page_ids(client) == {r.pk for r in two}


@pytest.mark.parametrize("q", ["", "DOES-NOT-MATCH", "3110"])
def test_q_searches_the_same_on_the_page_and_the_api(client, world, two, q):
    client.force_login(world["users"]["city"])
    assert page_ids(client, {"q": q}) == api_ids(client, {"q": q})


def test_q_finds_an_address_on_both(client, world, two):
    world["a"].address = "东区炳草岗大街8号"
    world["a"].save(update_fields=["address"])
    client.force_login(world["users"]["city"])
    assert page_ids(client, {"q": "炳草岗"}) == api_ids(client, {"q": "炳草岗"}) == {r.pk for r in two}
    assert page_ids(client, {"q": "迤资路"}) == api_ids(client, {"q": "迤资路"}) == set()


def test_an_invalid_filter_is_a_form_error_on_the_page_and_400_on_the_api(client, world, two):
    client.force_login(world["users"]["city"])
    response = client.get(PAGE, {"status": "bogus"})
    assert response.status_code == 200 and 'id="filter-errors"' in response.content.decode()
    assert client.get(API, {"status": "bogus"}).status_code == 400
    assert client.get(API, {"started_after": "yesterday"}).status_code == 400
    assert 'id="filter-errors"' in client.get(PAGE, {"started_after": "yesterday"}).content.decode()
