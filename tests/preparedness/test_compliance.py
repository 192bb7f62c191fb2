"""The compliance page and the regulators' overview (preparedness/selectors/compliance.py, views/overview.py,
api/overview.py): each item's state in Python agrees with the list filter and the overview's figures; who sees what;
query counts."""

import csv
import io
import random
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from preparedness.choices import ComplianceState
from preparedness.models import EmergencyPlan, InsurancePolicy, SafetyAssignment
from preparedness.selectors.compliance import (
    ITEMS,
    compliance_queryset,
    compliance_row,
    compliance_summary,
    preparedness_overview,
)
from registry.choices import ElevatorStatus
from registry.models import Elevator
from tests.factories import ElevatorFactory

ROLES = ["anonymous", "city", "district", "use_unit", "maintenance", "inspection", "department", "rescue_centre"]
PDF = b"%PDF-1.4\n%%EOF\n"


def client_for(client, world, role):
    if role != "anonymous":
        client.force_login(world["users"][role])
    return client


def make_green(world, elevator, *, today=None):
    """Put every item of `elevator` (of use_a) right."""
    today = today or timezone.localdate()
    Elevator.objects.filter(pk=elevator.pk).update(
        use_certificate_no="梯11川D00001(19)",
        last_drill_on=today - timedelta(days=30),
        last_maintenance_on=today - timedelta(days=3),
        inspection_valid_until=today + timedelta(days=200),
    )
    SafetyAssignment.objects.get_or_create(person=world["manager_a"], elevator=elevator)
    plan = EmergencyPlan.objects.filter(use_unit=world["use_a"]).first() or EmergencyPlan.objects.create(
        use_unit=world["use_a"],
        title="困人应急预案",
        version="1",
        adopted_on=today,
        document=ContentFile(PDF, name="p.pdf"),
        created_by=world["users"]["use_unit"],
    )
    plan.elevators.add(elevator)
    policy = InsurancePolicy.objects.filter(insured=world["use_a"]).first() or InsurancePolicy.objects.create(
        insurer="人保",
        policy_no="P-1",
        insured=world["use_a"],
        cover_per_person=100_000,
        cover_per_accident=1_000_000,
        starts_on=today - timedelta(days=10),
        ends_on=today + timedelta(days=300),
    )
    policy.elevators.add(elevator)


def rows_for(user, **filters):
    today = timezone.localdate()
    return {e.pk: compliance_row(e, today=today) for e in compliance_queryset(user=user, today=today, **filters)}


@pytest.mark.django_db
def test_an_elevator_with_nothing_on_record_is_red_and_turns_green_item_by_item(world):
    user = world["users"]["use_unit"]
    row = rows_for(user)[world["a"].pk]
    states = {item.key: item.state for item in row.items}
    assert states["certificate"] == states["manager"] == states["plan"] == states["insurance"] == "missing"
    assert row.state == "red"
    make_green(world, world["a"])
    row = rows_for(user)[world["a"].pk]
    assert {item.key: item.state for item in row.items} == dict.fromkeys(ITEMS, ComplianceState.OK)
    assert row.state == "green"
    assert row.next_due is not None  # the next maintenance, at the latest


@pytest.mark.django_db
def test_the_list_filter_and_the_summary_agree_with_each_elevators_items(world):
    """Random elevators in every combination: for each item, the `missing` filter returns exactly the elevators
    whose item is red in Python, and the summary counts them."""
    rng = random.Random(15)
    today = timezone.localdate()
    make_green(world, world["a"])
    plan = EmergencyPlan.objects.get()
    policy = InsurancePolicy.objects.get()
    for _ in range(40):
        e = ElevatorFactory(
            use_unit=world["use_a"],
            maintenance_firm=world["firm_a"],
            district=world["a"].district,
            use_certificate_no=rng.choice(["", "梯11川D00002(20)"]),
            last_drill_on=rng.choice([None, today - timedelta(days=rng.randint(1, 260))]),
            last_maintenance_on=rng.choice([None, today - timedelta(days=rng.randint(1, 30))]),
            inspection_valid_until=rng.choice([None, today + timedelta(days=rng.randint(-40, 90))]),
            inspection_failed=rng.random() < 0.1,
        )
        if rng.random() < 0.5:
            SafetyAssignment.objects.create(person=world["manager_a"], elevator=e)
        if rng.random() < 0.5:
            plan.elevators.add(e)
        if rng.random() < 0.5:
            policy.elevators.add(e)
    user = world["users"]["use_unit"]
    every = rows_for(user)
    summary = compliance_summary(compliance_queryset(user=user, today=today), today=today)
    assert summary["total"] == len(every) == 41
    for item in ITEMS:
        red = {pk for pk, row in every.items() if next(i for i in row.items if i.key == item).is_red}
        assert set(rows_for(user, missing=item)) == red, item
        assert summary["red"][item] == len(red), item


@pytest.mark.django_db
def test_stopped_elevators_are_not_on_the_page(world):
    Elevator.objects.filter(pk=world["a"].pk).update(status=ElevatorStatus.SUSPENDED)
    assert world["a"].pk not in rows_for(world["users"]["use_unit"])


@pytest.mark.django_db
def test_the_overview_figures_are_the_lists_behind_them(world):
    today = timezone.localdate()
    make_green(world, world["a"])
    ElevatorFactory(use_unit=world["use_a"], district=world["a"].district)  # red on most items
    city = world["users"]["city"]
    lines, total = preparedness_overview(user=city, today=today)
    for line in lines:
        for item in ITEMS:
            listed = compliance_queryset(user=city, today=today, district=line.district, missing=item).count()
            assert line.red[item] == listed, (line.district.code, item)
        assert line.total == compliance_queryset(user=city, today=today, district=line.district).count()
    dongqu = next(line for line in lines if line.district.code == "510402")
    assert dongqu.total == 2 and dongqu.red["insurance"] == 1 and dongqu.coverage_percent == 50.0
    assert total.total == sum(line.total for line in lines)
    miyi = next(line for line in lines if line.district.code == "510421")
    assert miyi.use_units_without_manager == 0  # 周安全 is valid
    assert [line.district.code for line in preparedness_overview(user=world["users"]["district"])[0]] == ["510402"]


# ---------------------------------------------------------------- who sees what

COMPLIANCE_PAGE = {
    "anonymous": 302,
    "city": 200,
    "district": 200,
    "use_unit": 200,
    "maintenance": 403,
    "inspection": 403,
    "department": 403,
    "rescue_centre": 403,
}
# Which of elevators a (东区, use_a) and b (米易县, use_b) each role finds on the compliance page and API.
VISIBLE = {"city": {"a", "b"}, "district": {"a"}, "use_unit": {"a"}}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_compliance_page(client, world, role):
    response = client_for(client, world, role).get(reverse("preparedness:compliance"))
    assert response.status_code == COMPLIANCE_PAGE[role]
    if response.status_code == 200:
        body = response.content.decode()
        shown = {key for key in ("a", "b") if world[key].registration_code in body}
        assert shown == VISIBLE[role]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_compliance_export(client, world, role, fmt):
    response = client_for(client, world, role).get(reverse("preparedness:compliance"), {"export": fmt})
    assert response.status_code == COMPLIANCE_PAGE[role]
    if response.status_code == 200 and fmt == "csv":
        body = b"".join(response.streaming_content).decode("utf-8-sig")
        codes = {row[0] for row in list(csv.reader(io.StringIO(body)))[1:]}
        assert codes == {world[key].registration_code for key in VISIBLE[role]}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_compliance_api(client, world, role):
    response = client_for(client, world, role).get("/api/v1/compliance/")
    expected = {"anonymous": 401}.get(role, COMPLIANCE_PAGE[role])
    assert response.status_code == expected
    if expected == 200:
        codes = {row["registration_code"] for row in response.json()["results"]}
        assert codes == {world[key].registration_code for key in VISIBLE[role]}
        items = response.json()["results"][0]["items"]
        assert [i["key"] for i in items] == list(ITEMS)


OVERVIEW = {"anonymous": 302, "city": 200, "district": 200}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_overview_page_and_api(client, world, role):
    c = client_for(client, world, role)
    assert c.get(reverse("preparedness:overview")).status_code == OVERVIEW.get(role, 403)
    api = c.get("/api/v1/preparedness-overview/")
    assert api.status_code == {"anonymous": 401, "city": 200, "district": 200}.get(role, 403)
    if role == "district":
        assert [line["district"] for line in api.json()] == ["510402"]


@pytest.mark.django_db
def test_a_regulator_filters_by_use_unit_only_within_the_scope(client, world):
    client.force_login(world["users"]["district"])
    body = client.get(reverse("preparedness:compliance"), {"use_unit": world["use_b"].pk}).content.decode()
    assert world["b"].registration_code not in body  # 米易 is outside 东区: the filter is ignored, not widened
    client.force_login(world["users"]["city"])
    body = client.get(reverse("preparedness:compliance"), {"use_unit": world["use_b"].pk}).content.decode()
    assert world["b"].registration_code in body and world["a"].registration_code not in body
    assert "米易物业" in body  # the page says which filter applies


@pytest.mark.django_db
def test_each_red_item_links_to_the_page_that_puts_it_right(client, world):
    client.force_login(world["users"]["use_unit"])
    body = client.get(reverse("preparedness:compliance")).content.decode()
    for url in (
        reverse("preparedness:certificate_edit", args=[world["a"].pk]),
        reverse("preparedness:safety"),
        reverse("preparedness:plan_new"),
        reverse("preparedness:policy_new"),
    ):
        assert f'href="{url}' in body, url


# ---------------------------------------------------------------- query counts


@pytest.mark.django_db
def test_the_compliance_page_and_api_read_a_fixed_number_of_queries(client, world, django_assert_max_num_queries):
    for _ in range(12):
        e = ElevatorFactory(use_unit=world["use_a"], district=world["a"].district)
        make_green(world, e)
    client.force_login(world["users"]["use_unit"])
    # Session and user; the person behind the login (the menu); the summary aggregate; the page's count and rows;
    # the prefetched assignments and their managers; the unread count. Twelve elevators or one: the same.
    with django_assert_max_num_queries(10):
        assert client.get(reverse("preparedness:compliance")).status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get("/api/v1/compliance/").status_code == 200
    client.force_login(world["users"]["city"])
    with django_assert_max_num_queries(8):  # session, user, districts, the two grouped counts
        assert client.get(reverse("preparedness:overview")).status_code == 200
