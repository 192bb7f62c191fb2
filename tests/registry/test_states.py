"""The two date rules of registry.states at their edges, their Q and Python forms agreeing row for row, and the
settings that move them."""

from datetime import timedelta

import pytest
from django.db.models import F
from django.utils import timezone

from registry.choices import ElevatorStatus, InspectionStatus
from registry.filtersets import ElevatorFilterSet
from registry.models import Elevator
from registry.states import (
    inspection_status_for,
    inspection_status_q,
    inspection_validity_q,
    maintenance_overdue_for,
    maintenance_overdue_q,
)

from ..factories import ElevatorFactory

TODAY = timezone.localdate()

# (days from today to the end of validity or None, failed, status on TODAY with the default 30-day window)
INSPECTION_CASES = [
    (-1, False, InspectionStatus.EXPIRED),  # ended yesterday
    (0, False, InspectionStatus.EXPIRING),  # valid through its last day
    (30, False, InspectionStatus.EXPIRING),
    (31, False, InspectionStatus.VALID),
    (None, False, InspectionStatus.UNKNOWN),
    (200, True, InspectionStatus.FAILED),  # a failed result wins over any date
    (-1, True, InspectionStatus.FAILED),
    (None, True, InspectionStatus.FAILED),
]

# (status, days since the last confirmed routine maintenance or None, overdue on TODAY with the default 15 days)
MAINTENANCE_CASES = [
    (ElevatorStatus.IN_USE, 0, False),
    (ElevatorStatus.IN_USE, 15, False),  # exactly the interval: still in time
    (ElevatorStatus.IN_USE, 16, True),
    (ElevatorStatus.IN_USE, None, False),  # never maintained, registered today: its 15 days count from today
    (ElevatorStatus.SUSPENDED, 16, False),  # not in use: nothing is due
    (ElevatorStatus.SCRAPPED, 400, False),
]


def _day(offset):
    return None if offset is None else TODAY + timedelta(days=offset)


def _elevator(**fields):
    return ElevatorFactory(use_unit=None, maintenance_firm=None, **fields)


def _inspection_rows():
    return [
        _elevator(inspection_valid_until=_day(days), inspection_failed=failed) for days, failed, _ in INSPECTION_CASES
    ]


def _maintenance_rows():
    return [
        _elevator(status=status, last_maintenance_on=_day(None if ago is None else -ago))
        for status, ago, _ in MAINTENANCE_CASES
    ]


def _dates(**fields):
    """The dates maintenance_overdue_for reads, of an elevator registered today, commissioned long ago, no contract."""
    return {"commission_date": _day(-3000), "registered_on": TODAY, "contract_starts_on": None, **fields}


def _dates_of(e):
    return _dates(
        status=e.status,
        last_maintenance_on=e.last_maintenance_on,
        commission_date=e.commission_date,
        registered_on=timezone.localdate(e.created_at),
        contract_starts_on=e.contract_starts_on,
    )


def _twin_statuses(elevators, today=TODAY):
    return {
        e.pk: inspection_status_for(valid_until=e.inspection_valid_until, failed=e.inspection_failed, today=today)
        for e in elevators
    }


def _q_statuses(today=TODAY):
    """Each row's status by asking the database once per status; a row matching two statuses fails the test."""
    found = {}
    for status in InspectionStatus.values:
        for pk in Elevator.objects.filter(inspection_status_q(status, today=today)).values_list("pk", flat=True):
            assert pk not in found, f"elevator {pk} is both {found[pk]} and {status}"
            found[pk] = status
    return found


@pytest.mark.parametrize("days, failed, status", INSPECTION_CASES)
def test_inspection_status_at_its_edges(days, failed, status):
    assert inspection_status_for(valid_until=_day(days), failed=failed, today=TODAY) == status


def test_inspection_status_q_gives_each_elevator_the_status_the_python_twin_gives(db):
    elevators = _inspection_rows()
    assert _q_statuses() == _twin_statuses(elevators)
    assert [e.inspection_status(today=TODAY) for e in elevators] == [status for *_, status in INSPECTION_CASES]


def test_elevator_filterset_uses_the_same_inspection_rule(db):
    elevators = _inspection_rows()
    twin = _twin_statuses(elevators)
    for status in InspectionStatus.values:
        filtered = ElevatorFilterSet({"inspection_status": status}, queryset=Elevator.objects.all()).qs
        assert set(filtered.values_list("pk", flat=True)) == {pk for pk, s in twin.items() if s == status}


def test_expiring_window_follows_the_setting(db, settings):
    settings.INSPECTION_EXPIRING_DAYS = 60
    elevators = [_elevator(inspection_valid_until=_day(days)) for days in (31, 60, 61)]
    assert [e.inspection_status(today=TODAY) for e in elevators] == [
        InspectionStatus.EXPIRING,
        InspectionStatus.EXPIRING,
        InspectionStatus.VALID,
    ]
    assert _q_statuses() == _twin_statuses(elevators)

    settings.INSPECTION_EXPIRING_DAYS = 7
    assert elevators[0].inspection_status(today=TODAY) == InspectionStatus.VALID
    assert _q_statuses() == _twin_statuses(elevators) == {e.pk: InspectionStatus.VALID for e in elevators}


def test_inspection_validity_q_reads_another_date_field(db):
    """The bulletin asks the rule about a reconstructed validity (a subquery alias), not the registry's date."""
    expired = _elevator(inspection_valid_until=_day(-1), inspection_failed=True)
    _elevator(inspection_valid_until=_day(0))
    qs = Elevator.objects.alias(validity=F("inspection_valid_until"))
    assert list(qs.filter(inspection_validity_q(InspectionStatus.EXPIRED, today=TODAY, field="validity"))) == [expired]


def test_public_page_names_the_window_of_the_setting(client, db, settings):
    settings.INSPECTION_EXPIRING_DAYS = 45
    elevator = _elevator(inspection_valid_until=_day(40))
    assert "45天内届满" in client.get(f"/e/{elevator.registration_code}/").content.decode()


@pytest.mark.parametrize("status, ago, overdue", MAINTENANCE_CASES)
def test_maintenance_overdue_at_its_edges(status, ago, overdue):
    last = _day(None if ago is None else -ago)
    assert maintenance_overdue_for(**_dates(status=status, last_maintenance_on=last), today=TODAY) is overdue


def test_maintenance_overdue_q_selects_the_rows_the_python_twin_selects(db):
    elevators = _maintenance_rows()
    expected = {e.pk for e, (*_, overdue) in zip(elevators, MAINTENANCE_CASES, strict=True) if overdue}
    twin = {e.pk for e in elevators if maintenance_overdue_for(**_dates_of(e), today=TODAY)}
    by_q = set(Elevator.objects.filter(maintenance_overdue_q(today=TODAY)).values_list("pk", flat=True))
    assert by_q == twin == expected
    filtered = ElevatorFilterSet({"maintenance_overdue": "true"}, queryset=Elevator.objects.all()).qs
    assert set(filtered.values_list("pk", flat=True)) == expected
    not_overdue = ElevatorFilterSet({"maintenance_overdue": "false"}, queryset=Elevator.objects.all()).qs
    assert set(not_overdue.values_list("pk", flat=True)) == {e.pk for e in elevators} - expected


def test_maintenance_interval_follows_the_setting(db, settings):
    elevator = _elevator(last_maintenance_on=_day(-16))
    settings.MAINTENANCE_INTERVAL_DAYS = 20
    assert not maintenance_overdue_for(**_dates_of(elevator), today=TODAY)
    assert not Elevator.objects.filter(maintenance_overdue_q(today=TODAY)).exists()
    settings.MAINTENANCE_INTERVAL_DAYS = 10
    assert maintenance_overdue_for(**_dates_of(elevator), today=TODAY)
    assert list(Elevator.objects.filter(maintenance_overdue_q(today=TODAY))) == [elevator]


def test_maintenance_overdue_q_reads_another_date_field(db):
    """The bulletin asks the rule about the last visit on or before a past month's end (a subquery alias)."""
    overdue = _elevator(last_maintenance_on=_day(-16))
    _elevator(last_maintenance_on=_day(-15))
    qs = Elevator.objects.alias(visit=F("last_maintenance_on"))
    assert list(qs.filter(maintenance_overdue_q(today=TODAY, field="visit"))) == [overdue]
