"""Maintenance overdue at its edges when an elevator in use was never maintained (特种设备安全监察条例 §31): the 15 days
count from the latest of its commissioning, its registration in the portal and the start of its current contract;
the rule (registry.states), the filter, the dashboard, the bulletin's past month and the job agree."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dashboards.bulletin import bulletin_for_month
from dashboards.selectors import dashboard_numbers
from maintenance import services
from maintenance.jobs import maintenance_overdue_queryset, maintenance_overdue_run
from notifications.choices import ReminderKind
from notifications.models import Notification, Reminder
from registry.filtersets import ElevatorFilterSet
from registry.models import Elevator
from registry.states import maintenance_counted_from, maintenance_overdue_for, maintenance_overdue_q

from ..factories import ElevatorFactory, at, bulk_elevators

pytestmark = pytest.mark.django_db

D = date(2026, 6, 10)  # the latest of the three dates in each case
EARLIER = D - timedelta(days=100)
_numbers = iter(range(1, 10_000))


def contract(world, elevators, *, starts_on: date, days: int = 365):
    """A contract of 金江物业 with 安达维保, registered on the day it starts (so it is in force at once)."""
    return services.contract_create(
        user=world["users"]["use_unit"],
        number=f"HT-{next(_numbers)}",
        use_unit=world["use_a"],
        firm=world["firm_a"],
        starts_on=starts_on,
        ends_on=starts_on + timedelta(days=days),
        elevators=elevators,
        today=starts_on,
    )


def never_maintained(world, *, commissioned: date | None, registered: date, contract_from: date | None, hour=10):
    """Elevator a of the world, never maintained, with these dates (registered at `hour` local time)."""
    e = world["a"]
    Elevator.objects.filter(pk=e.pk).update(
        commission_date=commissioned, created_at=at(registered, hour), maintenance_firm=None
    )
    if contract_from is not None:
        contract(world, [e], starts_on=contract_from)
    e.refresh_from_db()
    return e


def twin(e: Elevator, today: date) -> bool:
    return maintenance_overdue_for(
        status=e.status,
        last_maintenance_on=e.last_maintenance_on,
        commission_date=e.commission_date,
        registered_on=timezone.localdate(e.created_at),
        contract_starts_on=e.contract_starts_on,
        today=today,
    )


def by_q(today: date) -> set[int]:
    return set(Elevator.objects.filter(maintenance_overdue_q(today=today)).values_list("pk", flat=True))


@pytest.mark.parametrize("latest", ["commissioning", "registration", "contract"])
@pytest.mark.parametrize("days, overdue", [(15, False), (16, True)])
def test_never_maintained_counts_from_the_latest_of_commissioning_registration_and_contract(
    world, latest, days, overdue
):
    dates = {"commissioning": EARLIER, "registration": EARLIER, "contract": EARLIER, latest: D}
    e = never_maintained(
        world, commissioned=dates["commissioning"], registered=dates["registration"], contract_from=dates["contract"]
    )
    assert e.contract_starts_on == dates["contract"]  # the contract service keeps the copy on the elevator
    today = D + timedelta(days=days)
    assert (
        maintenance_counted_from(
            last_maintenance_on=None,
            commission_date=e.commission_date,
            registered_on=timezone.localdate(e.created_at),
            contract_starts_on=e.contract_starts_on,
        )
        == D
    )
    assert twin(e, today) is overdue
    assert by_q(today) == ({e.pk} if overdue else set())
    run = maintenance_overdue_run(today=today)
    assert run.created == (1 if overdue else 0)
    if overdue:
        assert Reminder.objects.get().cycle == D  # the cycle is the day counted from


@pytest.mark.parametrize("days, overdue", [(15, False), (16, True)])
def test_without_commissioning_date_or_contract_the_registration_day_counts(world, days, overdue):
    e = never_maintained(world, commissioned=None, registered=D, contract_from=None)
    today = D + timedelta(days=days)
    assert twin(e, today) is overdue and by_q(today) == ({e.pk} if overdue else set())


def test_registration_counts_by_the_local_date_of_created_at(world):
    # Registered at 00:30 in Panzhihua on D: still the day before in UTC; the 15 days count from D all the same.
    e = never_maintained(world, commissioned=EARLIER, registered=D, contract_from=None, hour=0)
    assert e.created_at.astimezone(timezone.get_fixed_timezone(0)).date() == D - timedelta(days=1)
    assert not twin(e, D + timedelta(days=15)) and by_q(D + timedelta(days=15)) == set()
    assert by_q(D + timedelta(days=16)) == {e.pk}


def test_the_last_maintenance_decides_even_when_a_contract_started_later(world):
    # Maintained on EARLIER, then a new firm's contract from D: the gap since the maintenance is what §31 counts.
    e = never_maintained(world, commissioned=EARLIER, registered=EARLIER, contract_from=D)
    Elevator.objects.filter(pk=e.pk).update(last_maintenance_on=D - timedelta(days=20))
    e.refresh_from_db()
    assert twin(e, D) and by_q(D) == {e.pk}


def test_an_elevator_not_in_use_is_never_overdue(world):
    e = never_maintained(world, commissioned=EARLIER, registered=EARLIER, contract_from=None)
    Elevator.objects.filter(pk=e.pk).update(status="suspended")
    e.refresh_from_db()
    assert not twin(e, D) and by_q(D) == set()


def test_the_contract_services_keep_the_contract_start_in_step(world):
    e = world["a"]
    first = contract(world, [e], starts_on=D)
    e.refresh_from_db()
    assert e.contract_starts_on == D
    services.contract_terminate(user=world["users"]["use_unit"], contract=first, on=D + timedelta(days=10))
    e.refresh_from_db()
    assert e.contract_starts_on is None  # terminated: no contract in force
    later = services.contract_create(
        user=world["users"]["use_unit"],
        number="HT-LATER",
        use_unit=world["use_a"],
        firm=world["firm_a"],
        starts_on=D + timedelta(days=30),
        ends_on=D + timedelta(days=400),
        elevators=[e],
        today=D + timedelta(days=20),
    )
    e.refresh_from_db()
    assert later.status == "pending" and e.contract_starts_on is None
    services.contracts_roll(today=D + timedelta(days=30))
    e.refresh_from_db()
    assert e.contract_starts_on == D + timedelta(days=30) and e.maintenance_firm == world["firm_a"]


def test_the_job_alerts_a_never_maintained_elevator_once_per_cycle(world):
    e = never_maintained(world, commissioned=EARLIER, registered=D, contract_from=None)
    assert maintenance_overdue_run(today=D + timedelta(days=15)).created == 0
    first = maintenance_overdue_run(today=D + timedelta(days=16))
    assert (first.created, first.recipients) == (1, 1)  # the use unit (no firm: no contract yet)
    body = Notification.objects.get().body
    assert e.registration_code in body and "无维保记录" in body and D.isoformat() in body
    assert maintenance_overdue_run(today=D + timedelta(days=16)).created == 0
    assert maintenance_overdue_run(today=D + timedelta(days=40)).created == 0  # the same gap
    # A contract from D+50 starts a new cycle: alerted again once its 15 days run out, firm included.
    contract(world, [e], starts_on=D + timedelta(days=50))
    assert maintenance_overdue_run(today=D + timedelta(days=65)).created == 0
    second = maintenance_overdue_run(today=D + timedelta(days=66))
    assert (second.created, second.recipients) == (1, 2)
    assert maintenance_overdue_run(today=D + timedelta(days=66)).created == 0
    assert sorted(Reminder.objects.filter(kind=ReminderKind.MAINTENANCE_OVERDUE).values_list("cycle", flat=True)) == [
        D,
        D + timedelta(days=50),
    ]
    # Maintained at last: the cycle is the day of the maintenance.
    Elevator.objects.filter(pk=e.pk).update(last_maintenance_on=D + timedelta(days=70))
    assert maintenance_overdue_run(today=D + timedelta(days=86)).created == 1
    assert Reminder.objects.order_by("-cycle").first().cycle == D + timedelta(days=70)


def test_the_job_query_count_does_not_depend_on_the_number_of_never_maintained_elevators(world):
    def run(n):
        Reminder.objects.all().delete()
        made = bulk_elevators(n, use_unit=world["use_a"], maintenance_firm=world["firm_a"])
        Elevator.objects.filter(pk__in=[e.pk for e in made]).update(created_at=at(EARLIER))
        with CaptureQueriesContext(connection) as ctx:
            created = maintenance_overdue_run(today=D).created
        return len(ctx.captured_queries), created

    small, created_small = run(5)
    big, created_big = run(200)
    assert small == big and (created_small, created_big) == (5, 205)


def test_the_registry_filter_and_the_dashboard_count_a_never_maintained_elevator(world, client):
    today = timezone.localdate()
    due = never_maintained(world, commissioned=None, registered=today - timedelta(days=16), contract_from=None)
    Elevator.objects.filter(pk=world["b"].pk).update(created_at=at(today - timedelta(days=15)))  # in time
    qs = ElevatorFilterSet({"maintenance_overdue": "true"}, queryset=Elevator.objects.all()).qs
    assert list(qs) == [due]
    assert set(maintenance_overdue_queryset(today=today).values_list("pk", flat=True)) == {due.pk}
    n = dashboard_numbers(user=world["users"]["city"], since=today - timedelta(days=30), until=today)
    assert n["elevators"]["maintenance_overdue"] == 1
    client.force_login(world["users"]["city"])
    body = client.get("/registry/elevators/", {"maintenance_overdue": "true"}).content.decode()
    assert due.registration_code in body and world["b"].registration_code not in body


def test_the_bulletin_reconstructs_a_past_month_for_never_maintained_elevators(world):
    """September 2026, as at its last day (the 30th): a contract that began later does not count."""
    use_unit = world["use_a"]

    def elevator(registered: date, contract_from: date | None = None) -> Elevator:
        e = ElevatorFactory(use_unit=use_unit, maintenance_firm=None, commission_date=date(2020, 1, 1))
        Elevator.objects.filter(pk=e.pk).update(created_at=at(registered))
        if contract_from is not None:
            contract(world, [e], starts_on=contract_from)
        return e

    elevator(date(2026, 8, 1))  # overdue on 30 September: counted from 1 August
    elevator(date(2026, 9, 15))  # 15 days on the 30th: in time
    elevator(date(2026, 9, 14))  # 16 days: overdue
    elevator(date(2026, 8, 1), contract_from=date(2026, 9, 20))  # the contract in force then: in time
    elevator(date(2026, 8, 1), contract_from=date(2026, 11, 1))  # its contract began after September: overdue
    elevator(date(2026, 10, 5))  # registered after the month: not known then
    bulletin = bulletin_for_month(year=2026, month=9)
    assert bulletin["city"]["maintenance_overdue"] == 3
