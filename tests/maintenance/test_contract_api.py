"""The contract API's list: every contract's elevator ids, read in one query for the page."""

from datetime import timedelta

import pytest
from django.utils import timezone

from maintenance import services

from ..factories import ElevatorFactory

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
URL = "/api/v1/maintenance-contracts/"


def test_contract_list_query_count_does_not_grow_with_contracts(world, client, django_assert_num_queries):
    user = world["users"]["maintenance"]
    client.force_login(user)
    elevators = [world["a"], ElevatorFactory(use_unit=world["use_a"], maintenance_firm=world["firm_a"])]
    services.contract_create(
        user=world["users"]["use_unit"],
        number="HT-0",
        use_unit=world["use_a"],
        firm=world["firm_a"],
        starts_on=TODAY - timedelta(days=10),
        ends_on=TODAY + timedelta(days=300),
        elevators=elevators,
        today=TODAY,
    )
    with django_assert_num_queries(5) as one:  # session, user, count, page, elevator ids of the page
        first = client.get(URL).json()["results"]
    assert [sorted(row["elevators"]) for row in first] == [sorted(e.pk for e in elevators)]
    for n in range(1, 4):
        services.contract_create(
            user=world["users"]["use_unit"],
            number=f"HT-{n}",
            use_unit=world["use_a"],
            firm=world["firm_a"],
            starts_on=TODAY + timedelta(days=400 + 20 * n),
            ends_on=TODAY + timedelta(days=410 + 20 * n),
            elevators=[elevators[1]],
            today=TODAY,
        )
    with django_assert_num_queries(len(one.captured_queries)):
        rows = client.get(URL).json()["results"]
    assert len(rows) == 4
    assert {row["number"]: row["elevators"] for row in rows if row["number"] != "HT-0"} == {
        f"HT-{n}": [elevators[1].pk] for n in range(1, 4)
    }
