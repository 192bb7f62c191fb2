"""The escalation ladder at its edges (docs/rules.md "Entrapment rescue loop"): acknowledgement within
RESCUE_ACK_MINUTES, arrival warnings per district (TSG T5002-2017 §5), 2 hours unreleased (条例 §64), each step once,
also with two workers at once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from maintenance.models import Fault
from notifications.models import OutboxMessage
from rescue.choices import DutyLevel, ReportSource, Step
from rescue.ladder import due_steps, ladder_run
from rescue.models import Accident, DutyShift, RescueStep
from rescue.services import incident_report

from ..processes import manage

T0 = timezone.now().replace(microsecond=0) - timedelta(hours=6)
S = timedelta(seconds=1)
M = timedelta(minutes=1)


def incident(elevator, **times):
    fault = incident_report(elevator=elevator, source=ReportSource.HOTLINE, reported_at=T0).fault
    if times:
        Fault.objects.filter(pk=fault.pk).update(**times)
        fault.refresh_from_db()
    return fault


def steps(fault) -> set[str]:
    return set(RescueStep.objects.filter(fault=fault).values_list("step", flat=True))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "acknowledged_after, missed",
    [(5 * M - S, False), (5 * M, False), (5 * M + S, True), (None, True)],
    ids=["4:59", "5:00", "5:01", "never"],
)
def test_acknowledged_within_five_minutes_or_the_manager_and_use_unit_hear_of_it(world, acknowledged_after, missed):
    fault = incident(world["a"])
    if acknowledged_after is not None:
        Fault.objects.filter(pk=fault.pk).update(acknowledged_at=T0 + acknowledged_after)
    assert ladder_run(now=T0 + 5 * M).steps == 0  # at the limit itself nothing is late yet
    ladder_run(now=T0 + 5 * M + 2 * S)
    assert (Step.ACK_MISSED in steps(fault)) is missed
    assert Step.ACK_MISSED_2 not in steps(fault)


@pytest.mark.django_db
def test_the_ladder_climbs_to_the_district_and_the_96333_centre(world):
    manager = DutyShift.objects.create(
        firm=world["firm_a"],
        level=DutyLevel.MANAGER,
        name="经理李",
        phone="13800000002",
        starts_at=T0 - timedelta(hours=1),
        ends_at=T0 + timedelta(hours=12),
    )
    fault = incident(world["a"])
    OutboxMessage.objects.all().delete()
    ladder_run(now=T0 + 6 * M)
    told = set(OutboxMessage.objects.values_list("address", "recipient__username"))
    assert (manager.phone, None) in told  # the duty manager by phone
    assert ("", world["users"]["use_unit"].username) in told  # the use unit's safety manager
    assert not OutboxMessage.objects.filter(recipient=world["users"]["district"]).exists()
    ladder_run(now=T0 + 10 * M + S)
    assert steps(fault) == {Step.DISPATCH, Step.ACK_MISSED, Step.ACK_MISSED_2}
    assert OutboxMessage.objects.filter(recipient=world["users"]["district"]).exists()
    assert OutboxMessage.objects.filter(recipient=world["users"]["rescue_centre"]).exists()
    assert not OutboxMessage.objects.filter(recipient=world["users"]["maintenance_b"]).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("side, limit", [("a", 30), ("b", 60)], ids=["东区 30 min", "米易县 60 min"])
def test_arrival_warnings_before_and_at_the_districts_limit(world, side, limit):
    fault = incident(world[side], acknowledged_at=T0 + M)
    warning = T0 + (limit - 5) * M
    assert Step.ARRIVAL_WARNING not in due_steps(fault, now=warning - S)
    assert Step.ARRIVAL_WARNING in due_steps(fault, now=warning)
    assert Step.ARRIVAL_MISSED not in due_steps(fault, now=T0 + limit * M)  # arriving at the limit is in time
    ladder_run(now=T0 + limit * M + S)
    assert steps(fault) == {Step.DISPATCH, Step.ARRIVAL_WARNING, Step.ARRIVAL_MISSED}
    # Arrived in time: no warning at all.
    other = incident(world[side], acknowledged_at=T0 + M)
    Fault.objects.filter(pk=fault.pk).update(released_at=T0 + 2 * M)  # the first one is over
    Fault.objects.filter(pk=other.pk).update(arrived_at=T0 + (limit - 6) * M)
    other.refresh_from_db()
    assert due_steps(other, now=T0 + limit * M + S) == []


@pytest.mark.django_db
def test_released_ends_the_ladder(world):
    fault = incident(world["a"], released_at=T0 + 3 * M)
    run = ladder_run(now=T0 + 3 * 60 * M)
    assert run.steps == 0 and steps(fault) == {Step.DISPATCH}
    assert not Accident.objects.exists()


@pytest.mark.django_db
def test_two_hours_unreleased_is_an_accident_record_and_alert(world):
    fault = incident(world["a"], acknowledged_at=T0 + M, arrived_at=T0 + 20 * M)
    ladder_run(now=T0 + 120 * M - S)
    assert not Accident.objects.exists()
    ladder_run(now=T0 + 120 * M)
    accident = Accident.objects.get()
    assert accident.fault == fault and accident.elevator == world["a"] and "2小时后仍未解救" in accident.summary
    assert OutboxMessage.objects.filter(recipient=world["users"]["city"], title__contains="事故").exists()
    again = ladder_run(now=T0 + 125 * M)
    assert again.steps == 0 and Accident.objects.count() == 1
    assert OutboxMessage.objects.filter(recipient=world["users"]["city"], channel="inbox").count() == 1


@pytest.mark.django_db
def test_each_step_once_however_often_the_ladder_runs(world):
    fault = incident(world["a"])
    for minute in (6, 11, 26, 31, 31, 40):
        ladder_run(now=T0 + minute * M)
    assert RescueStep.objects.filter(fault=fault).count() == 5
    keys = list(OutboxMessage.objects.values_list("key", flat=True))
    assert len(keys) == len(set(keys))


@pytest.mark.slow  # two real processes on a test database committed for them
@pytest.mark.django_db(transaction=True)
def test_two_workers_on_the_ladder_at_once_take_each_step_once(world):
    # Reported 40 minutes ago, never acknowledged: four steps are due at once on each of five elevators.
    from tests.factories import ElevatorFactory

    now = timezone.now()
    elevators = [world["a"]] + [
        ElevatorFactory(district=world["a"].district, use_unit=world["use_a"], maintenance_firm=world["firm_a"])
        for _ in range(4)
    ]
    for e in elevators:
        incident_report(elevator=e, source=ReportSource.HOTLINE, reported_at=now - 40 * M)
    procs = [manage("rescue_ladder") for _ in range(2)]
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    for e in elevators:
        assert RescueStep.objects.filter(fault__elevator=e).count() == 5, outputs  # dispatch + four
    inbox = OutboxMessage.objects.filter(channel="inbox", recipient=world["users"]["district"])
    assert inbox.count() == len(elevators) * 2  # ack_missed_2 and arrival_missed, once each
