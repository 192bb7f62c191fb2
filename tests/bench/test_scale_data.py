"""generate_scale_data: a year of deterministic history at the rates bench/README.md describes (PostgreSQL), elevators
only on SQLite."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, F, Max
from django.utils import timezone

from accounts.models import User
from bench import scale
from complaints.models import Complaint
from inspections.models import Inspection
from maintenance.integrity import overlapping_workers
from maintenance.jobs import maintenance_overdue_queryset
from maintenance.models import ContractElevator, Fault, MaintenanceRecord
from registry.models import Elevator

pytestmark = pytest.mark.slow  # seeds the demo and generates scale data: seconds each

N = 600
postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="the history is built by PostgreSQL SQL")


def synthetic():
    return Elevator.objects.filter(registration_code__regex=scale.SYNTHETIC_REGEX)


def fingerprint() -> tuple:
    """What a run made, down to each record's elevator and start time."""
    records = MaintenanceRecord.objects.filter(elevator__in=synthetic())
    return (
        tuple(
            records.order_by("elevator__registration_code", "started_at").values_list(
                "elevator__registration_code", "started_at", "tier", "signed_by__certificate_no"
            )
        ),
        tuple(
            Fault.objects.filter(elevator__in=synthetic())
            .order_by("elevator__registration_code", "reported_at")
            .values_list("elevator__registration_code", "reported_at", "kind", "arrived_at")
        ),
        tuple(
            Complaint.objects.filter(elevator__in=synthetic())
            .order_by("tracking_no")
            .values_list("tracking_no", "category", "status", "department_id")
        ),
    )


@postgres_only
@pytest.mark.django_db
def test_a_year_of_history_at_the_rates_of_issue_7():
    call_command("seed_demo")
    demo_records = MaintenanceRecord.objects.count()
    call_command("generate_scale_data", elevators=N, stdout=StringIO())
    today = timezone.localdate()
    elevators = list(synthetic())
    assert len(elevators) == N
    maintained = [e for e in elevators if e.maintenance_firm_id]

    # Maintenance every 15 days, 24 visits a year; 2 % miss the last one and are the overdue job's work.
    per_elevator = dict(
        MaintenanceRecord.objects.filter(elevator__in=maintained)
        .values("elevator")
        .annotate(n=Count("id"))
        .values_list("elevator", "n")
    )
    assert set(per_elevator.values()) <= {23, 24}
    missed = {pk for pk, n in per_elevator.items() if n == 23}
    assert 0 < len(missed) < 0.06 * len(maintained)
    overdue = set(
        maintenance_overdue_queryset(today=today).filter(pk__in=[e.pk for e in elevators]).values_list("pk", flat=True)
    )
    assert overdue == {e.pk for e in maintained if e.pk in missed and e.status == "in_use"}
    last = dict(
        MaintenanceRecord.objects.filter(elevator__in=maintained)
        .values("elevator")
        .annotate(last=Max("started_at"))
        .values_list("elevator", "last")
    )
    for e in maintained:
        assert e.last_maintenance_on == timezone.localtime(last[e.pk]).date()
        assert today - timedelta(days=15) <= e.last_maintenance_on < today or e.pk in missed
    records = MaintenanceRecord.objects.filter(elevator__in=maintained)
    assert not records.exclude(status="confirmed").exists()
    assert records.filter(started_at__gte=timezone.now()).count() == 0
    assert records.filter(started_at__lt=timezone.now() - timedelta(days=366)).count() == 0
    # Each record is signed by a worker of the elevator's own firm, who is never in two places at once.
    assert not records.exclude(signed_by__organization=F("firm")).exists()
    admin = User.objects.get(username="admin")
    overlaps = overlapping_workers(user=admin, since=today - timedelta(days=366), until=today)
    assert [o for o in overlaps if scale.PERSON_PREFIX in o["first"].signed_by.certificate_no] == []
    assert MaintenanceRecord.objects.count() == demo_records + sum(per_elevator.values())

    # Faults about 0.5 and complaints about 0.1 per elevator a year; one periodic inspection per known validity.
    faults = Fault.objects.filter(elevator__in=elevators)
    assert 0.35 * N < faults.count() < 0.65 * N
    assert faults.filter(kind="entrapment", trapped_people__gte=1).exists()
    assert not faults.filter(reported_at__gte=timezone.now()).exists()
    complaints = Complaint.objects.filter(elevator__in=elevators)
    assert 0.04 * N < complaints.count() < 0.16 * N
    assert complaints.filter(status="closed").count() > complaints.count() / 2
    with_validity = [e for e in elevators if e.inspection_valid_until]
    inspections = Inspection.objects.filter(elevator__in=elevators)
    assert inspections.count() == len(with_validity)
    for inspection in inspections.select_related("elevator")[:100]:
        assert inspection.valid_until == inspection.elevator.inspection_valid_until
        assert (inspection.result == "failed") == inspection.elevator.inspection_failed
    # One active contract per elevator that has a firm and a use unit, between exactly those two.
    covered = ContractElevator.objects.filter(elevator__in=elevators, active=True).select_related("contract")
    assert covered.count() == len([e for e in maintained if e.use_unit_id])
    for row in covered.select_related("elevator")[:100]:
        assert (row.contract.firm_id, row.contract.use_unit_id) == (
            row.elevator.maintenance_firm_id,
            row.elevator.use_unit_id,
        )


@postgres_only
@pytest.mark.django_db
def test_same_seed_same_history_and_a_rerun_replaces_it():
    call_command("seed_demo")
    demo = (Elevator.objects.count(), MaintenanceRecord.objects.count(), Complaint.objects.count())
    call_command("generate_scale_data", elevators=200, seed=7, stdout=StringIO())
    first = fingerprint()
    assert len(first[0]) > 200 * 20
    call_command("generate_scale_data", elevators=200, seed=7, stdout=StringIO())
    assert fingerprint() == first
    call_command("generate_scale_data", elevators=200, seed=8, stdout=StringIO())
    assert fingerprint() != first
    call_command("generate_scale_data", elevators=0, stdout=StringIO())
    assert (Elevator.objects.count(), MaintenanceRecord.objects.count(), Complaint.objects.count()) == demo


@pytest.mark.skipif(connection.vendor == "postgresql", reason="the SQLite fallback")
@pytest.mark.django_db
def test_on_sqlite_only_the_elevators_are_made():
    call_command("seed_demo")
    records = MaintenanceRecord.objects.count()
    out = StringIO()
    call_command("generate_scale_data", elevators=300, stdout=out)
    assert "PostgreSQL" in out.getvalue()
    assert synthetic().count() == 300
    assert MaintenanceRecord.objects.count() == records
