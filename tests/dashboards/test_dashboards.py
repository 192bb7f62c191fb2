"""The regulators' dashboards: every number equals the list it links to, who sees what, the date range, and a
query count that does not grow with the rows."""

from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.choices import Role
from complaints.models import Complaint
from complaints.services import complaint_submit
from departments.choices import Category
from maintenance.choices import FaultCause, FaultKind, FaultSource
from maintenance.credit.services import credit_evaluate
from maintenance.models import Fault
from registry.choices import ElevatorStatus, ElevatorType

from ..factories import ElevatorFactory, at, bulk_elevators, user_with_role

pytestmark = pytest.mark.django_db
BOARD = reverse("dashboards:board")


def board_url(code: str) -> str:
    return reverse("dashboards:district", args=[code])


def fault(elevator, *, days_ago: int, kind=FaultKind.DOOR, arrive_after: int | None = None) -> Fault:
    reported = at(timezone.localdate() - timedelta(days=days_ago))
    return Fault.objects.create(
        elevator=elevator,
        firm=elevator.maintenance_firm,
        source=FaultSource.HOTLINE,
        kind=kind,
        cause=FaultCause.DOOR_SYSTEM,
        reported_at=reported,
        arrived_at=reported + timedelta(minutes=arrive_after) if arrive_after is not None else None,
    )


def populate(districts, *, copies: int = 1) -> None:
    """Elevators of every inspection and maintenance state and age in two districts, with faults and complaints."""
    today = timezone.localdate()
    for _ in range(copies):
        for code in ("510402", "510403"):
            d = districts[code]
            made = [
                ElevatorFactory(district=d, inspection_valid_until=today - timedelta(days=3)),  # overdue
                ElevatorFactory(district=d, inspection_valid_until=today + timedelta(days=30)),  # expiring (edge)
                ElevatorFactory(district=d, inspection_valid_until=today + timedelta(days=31)),  # valid
                ElevatorFactory(district=d, inspection_failed=True),
                ElevatorFactory(district=d, inspection_valid_until=None),
                ElevatorFactory(
                    district=d, elevator_type=ElevatorType.ESCALATOR, last_maintenance_on=today - timedelta(days=40)
                ),  # maintenance overdue
                ElevatorFactory(district=d, last_maintenance_on=today - timedelta(days=3)),
                ElevatorFactory(
                    district=d,
                    status=ElevatorStatus.SUSPENDED,  # not in use: not overdue
                    inspection_valid_until=today - timedelta(days=90),
                    last_maintenance_on=today - timedelta(days=90),
                ),
                ElevatorFactory(district=d, commission_date=today.replace(year=today.year - 16)),
                ElevatorFactory(district=d, commission_date=today.replace(year=today.year - 5)),  # band 5–10
                ElevatorFactory(district=d, commission_date=today - timedelta(days=100)),
                ElevatorFactory(district=d, commission_date=None),
            ]
            fault(made[0], days_ago=10, kind=FaultKind.ENTRAPMENT, arrive_after=20)  # in time
            fault(made[1], days_ago=40, kind=FaultKind.ENTRAPMENT, arrive_after=90)  # late
            fault(made[2], days_ago=70)
            fault(made[3], days_ago=500)  # outside the default 12 months
            complaint_submit(elevator=made[0], category=Category.BREAKDOWN, description="停梯")
            late = complaint_submit(elevator=made[1], category=Category.MAINTENANCE_QUALITY, description="维保差")
            Complaint.objects.filter(pk=late.pk).update(accept_deadline=timezone.now() - timedelta(hours=1))


@pytest.fixture
def data(plan, districts):
    populate(districts)
    return districts


def count_behind(client, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.context["page"].paginator.count


@pytest.fixture
def city(client):
    user = user_with_role(Role.CITY_REGULATOR)
    client.force_login(user)
    return client


# ---------------------------------------------------------------- numbers equal the lists behind them


def test_city_numbers_equal_the_registry_lists_they_link_to(city, data):
    n = city.get(BOARD).context["n"]
    e = n["elevators"]
    assert e["total"] == 24 and e["maintenance_overdue"] == 2
    checks = [
        (e["total"], e["url"]),
        (e["in_use"], e["in_use_url"]),
        (e["maintenance_overdue"], e["maintenance_overdue_url"]),
    ]
    checks += [(s["count"], s["url"]) for s in e["inspection"] + e["by_type"] + e["by_status"] + e["by_age"]]
    for row in e["by_district"]:
        checks += [
            (row["total"], row["url"]),
            (row["in_use"], row["in_use_url"]),
            (row["maintenance_overdue"], row["maintenance_overdue_url"]),
        ]
        checks += [(row[key], url) for key, url in row["urls"].items()]
    for number, url in checks:
        assert number == count_behind(city, url), url
    by_code = {row["code"]: row for row in e["by_district"]}
    assert by_code["510402"]["expired"] == 1 and by_code["510402"]["expiring"] == 1
    assert {s["key"]: s["count"] for s in e["by_age"]}["ge15"] == 2
    assert e["age_unknown"] == 2


def test_fault_and_complaint_numbers_equal_the_lists_they_link_to(city, data):
    n = city.get(BOARD).context["n"]
    f, c = n["faults"], n["complaints"]
    assert (f["total"]["faults"], f["total"]["entrapments"], f["total"]["within"]) == (6, 4, 2)
    assert f["total"]["within_rate"] == 0.5
    checks = [(f["total"]["faults"], f["total"]["url"]), (f["total"]["entrapments"], f["total"]["entrapments_url"])]
    checks += [(m["faults"], m["url"]) for m in f["months"]] + [
        (m["entrapments"], m["entrapments_url"]) for m in f["months"]
    ]
    assert c["total"] == {
        "total": 4,
        "open": 4,
        "overdue": 2,
        **{k: c["total"][k] for k in c["total"] if k.endswith("url")},
    }
    for row in c["by_category"] + c["by_department"] + [c["total"]]:
        checks += [(row["total"], row["url"]), (row["open"], row["open_url"]), (row["overdue"], row["overdue_url"])]
    for number, url in checks:
        assert number == count_behind(city, url), url


def test_firm_grades_count_the_latest_ranking(city, data):
    credit_evaluate(today=timezone.localdate())
    n = city.get(BOARD).context["n"]
    assert sum(g["count"] for g in n["grades"]) == count_behind(city, n["grades_url"]) > 0


def test_city_regulator_chooses_a_district(city, data):
    response = city.get(BOARD, {"district": "510403", "since": "2020-01-01"})
    assert response.status_code == 302 and response.url == board_url("510403") + "?since=2020-01-01"
    n = city.get(board_url("510403")).context["n"]
    assert n["elevators"]["total"] == 12
    assert [row["code"] for row in n["elevators"]["by_district"]] == ["510403"]
    assert n["complaints"]["total"]["total"] == 2 and n["faults"]["total"]["faults"] == 3
    assert n["elevators"]["inspection"][2]["count"] == count_behind(city, n["elevators"]["inspection"][2]["url"])


# ---------------------------------------------------------------- who sees what


def test_district_regulator_sees_only_its_district(client, data):
    client.force_login(user_with_role(Role.DISTRICT_REGULATOR))  # 东区 510402
    response = client.get(BOARD)
    assert response.status_code == 302 and response.url == board_url("510402")
    assert client.get(board_url("510403")).status_code == 404
    assert client.get(BOARD, {"district": "510403"}).url == board_url("510402")
    response = client.get(board_url("510402"))
    n = response.context["n"]
    assert n["elevators"]["total"] == 12 and n["complaints"]["total"]["total"] == 2
    assert n["faults"]["total"]["faults"] == 3
    assert [d.code for d in response.context["districts"]] == ["510402"]
    for row in n["elevators"]["inspection"]:
        assert row["count"] == count_behind(client, row["url"])
    assert n["elevators"]["maintenance_overdue"] == count_behind(client, n["elevators"]["maintenance_overdue_url"]) == 1


@pytest.mark.parametrize("role", [Role.USE_UNIT, Role.MAINTENANCE, Role.INSPECTION, Role.DEPARTMENT])
def test_non_regulators_are_refused(client, districts, role):
    client.force_login(user_with_role(role))
    assert client.get(BOARD).status_code == 403
    assert client.get(board_url("510402")).status_code == 403


def test_anonymous_is_sent_to_login(client, districts):
    response = client.get(board_url("510402"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_unknown_district_is_404(city, districts):
    assert city.get(board_url("999999")).status_code == 404


# ---------------------------------------------------------------- the date range


def test_date_range_defaults_to_the_last_12_months_and_filters_faults(city, data):
    today = timezone.localdate()
    response = city.get(BOARD)
    assert response.context["until"] == today and (today - response.context["since"]).days in (364, 365)
    assert len(response.context["n"]["faults"]["months"]) in (12, 13)
    since = (today - timedelta(days=45)).isoformat()
    n = city.get(BOARD, {"since": since, "until": today.isoformat()}).context["n"]
    assert n["faults"]["total"]["faults"] == 4  # the 10 and 40 days old ones of both districts
    n = city.get(BOARD, {"since": (today - timedelta(days=600)).isoformat()}).context["n"]
    assert n["faults"]["total"]["faults"] == 8
    assert n["faults"]["total"]["faults"] == count_behind(city, n["faults"]["total"]["url"])


def test_reversed_date_range_is_reported_and_the_default_used(city, data):
    response = city.get(BOARD, {"since": "2026-01-01", "until": "2025-01-01"})
    assert response.status_code == 200 and response.context["form"].errors
    assert response.context["until"] == timezone.localdate()


def test_page_renders_charts_data_and_links(city, data):
    response = city.get(BOARD)
    html = response.content.decode()
    assert 'id="dashboard-data"' in html and "chartjs-4.6.1/chart.umd.min.js" in html and "js/dashboard.js" in html
    assert "inspection_status=expired" in html and "maintenance_overdue=true" in html and "overdue=true" in html
    assert "<script>" not in html  # no inline script beyond the json_script block


# ---------------------------------------------------------------- queries


def test_query_count_does_not_grow_with_rows(city, plan, districts, django_assert_num_queries):
    populate(districts)
    # 1 session, 2 user, 3 districts in scope (the chooser and the per-district rows), 4 elevators grouped by
    # district/type/status, 5 faults by month, 6 complaints by category and lead department, 7 firm grades of the
    # latest evaluated month, 8 liability insurance coverage by district (plan §2(12), one grouped query, never
    # cached), 9 unread notifications (base.html).
    # On PostgreSQL one more: the data version the cached figures are keyed by.
    queries = 10 if connection.vendor == "postgresql" else 9
    with django_assert_num_queries(queries):
        city.get(BOARD)
    populate(districts, copies=3)
    bulk_elevators(50, district=districts["510403"])
    with django_assert_num_queries(queries):
        response = city.get(BOARD)
    assert response.context["n"]["elevators"]["total"] == 24 * 4 + 50


# ---------------------------------------------------------------- the cache (PostgreSQL)

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the data version is raised by PostgreSQL triggers"
)


def data_version() -> int:
    from dashboards.models import DataVersion

    return DataVersion.objects.filter(name="dashboard").values_list("version", flat=True).first() or 0


@postgres_only
def test_every_kind_of_write_raises_the_data_version(districts):
    from registry.models import District

    elevator = ElevatorFactory(district=districts["510402"])
    steps = [
        lambda: ElevatorFactory(district=districts["510403"]),  # insert
        lambda: type(elevator).objects.filter(pk=elevator.pk).update(last_maintenance_on=timezone.localdate()),
        lambda: fault(elevator, days_ago=3),  # a fault
        lambda: District.objects.filter(pk=districts["510402"].pk).update(name="东区（新）"),
        lambda: Fault.objects.filter(elevator=elevator).delete(),
    ]
    for step in steps:
        before = data_version()
        step()
        assert data_version() > before


@postgres_only
def test_cached_figures_are_served_until_the_data_changes_even_by_a_bare_update(
    city, plan, districts, django_assert_num_queries
):
    populate(districts)
    first = city.get(BOARD).context["n"]["elevators"]
    # Same data: the elevator and fault figures come from the cache (two queries fewer; the insurance coverage is
    # counted afresh each time).
    with django_assert_num_queries(8):
        again = city.get(BOARD).context["n"]["elevators"]
    assert again["total"] == first["total"] and again["maintenance_overdue"] == first["maintenance_overdue"]
    # A QuerySet.update() sends no signal, but the trigger raises the version: the figures are recomputed.
    from registry.models import Elevator

    overdue = timezone.localdate() - timedelta(days=60)
    changed = Elevator.objects.filter(status=ElevatorStatus.IN_USE, last_maintenance_on__isnull=True).update(
        last_maintenance_on=overdue
    )
    assert changed
    after = city.get(BOARD).context["n"]["elevators"]
    assert after["maintenance_overdue"] == first["maintenance_overdue"] + changed
    assert (
        after["maintenance_overdue"]
        == Elevator.objects.filter(
            status=ElevatorStatus.IN_USE, last_maintenance_on__lt=timezone.localdate() - timedelta(days=15)
        ).count()
    )
    # A new fault changes the fault figures at once, too.
    total = city.get(BOARD).context["n"]["faults"]["total"]["faults"]
    fault(Elevator.objects.first(), days_ago=2)
    assert city.get(BOARD).context["n"]["faults"]["total"]["faults"] == total + 1


@postgres_only
def test_a_district_regulator_never_gets_the_city_figures_from_the_cache(city, plan, districts, client):
    populate(districts)
    city_total = city.get(BOARD).context["n"]["elevators"]["total"]
    client.force_login(user_with_role(Role.DISTRICT_REGULATOR))  # 东区 510402
    own = client.get(board_url("510402")).context["n"]["elevators"]["total"]
    assert own < city_total
    assert own == city.get(board_url("510402")).context["n"]["elevators"]["total"]


@pytest.mark.slow  # the cache client's connection retries take seconds
def test_the_dashboard_answers_while_the_cache_is_down(client, world, settings, monkeypatch):
    """Redis down: the figures are computed instead of read from the cache; the page answers, no server error."""
    from dashboards import selectors

    monkeypatch.setattr(selectors, "_data_version", lambda scope: 7)  # as on PostgreSQL, where figures are cached
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    client.force_login(world["users"]["city"])
    response = client.get(reverse("dashboards:board"))
    assert response.status_code == 200 and world["a"].district.name in response.content.decode()
