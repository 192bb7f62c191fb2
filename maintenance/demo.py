"""Demo maintenance data for `seed_demo`: contracts, records to confirm, overdue lifts, faults and entrapments."""

import random
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from registry.choices import PersonKind
from registry.models import Elevator, Person

from .checklists import ITEMS
from .choices import ContractStatus, FaultCause, FaultKind, FaultSource, ItemResult, RecordStatus, Tier
from .models import (
    ChecklistItem,
    ContractElevator,
    Fault,
    MaintenanceContract,
    MaintenanceRecord,
    RecordItem,
)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def seed_maintenance(*, users, today: date, rng: random.Random) -> dict[str, int]:
    """Idempotent: does nothing once demo contracts exist."""
    if MaintenanceContract.objects.filter(number__startswith="DEMO-").exists():
        return {}
    admin = users["admin"]
    elevators = list(
        Elevator.objects.filter(maintenance_firm__isnull=False, use_unit__isnull=False).order_by("registration_code")
    )

    # One contract per use unit and firm, covering their elevators (条例 §31).
    groups: dict[tuple[int, int], list[Elevator]] = {}
    for e in elevators:
        groups.setdefault((e.use_unit_id, e.maintenance_firm_id), []).append(e)
    contracts = MaintenanceContract.objects.bulk_create(
        [
            MaintenanceContract(
                number=f"DEMO-{n:04d}",
                use_unit_id=use_unit,
                firm_id=firm,
                starts_on=today - timedelta(days=200),
                ends_on=today + timedelta(days=165),
                status=ContractStatus.ACTIVE,
                created_by=admin,
            )
            for n, (use_unit, firm) in enumerate(groups, start=1)
        ]
    )
    ContractElevator.objects.bulk_create(
        [
            ContractElevator(contract=c, elevator=e, active=True)
            for c, members in zip(contracts, groups.values(), strict=True)
            for e in members
        ]
    )

    # The demo firm's worker signs in as `weibao`.
    weibao = users["weibao"]
    workers = list(
        Person.objects.filter(
            organization=weibao.organization, kind=PersonKind.MAINTENANCE_WORKER, certificate_valid_until__gte=today
        ).order_by("certificate_no")
    )
    Person.objects.filter(pk=workers[0].pk).update(user=weibao)

    # Records: two half-monthly visits for each of the demo use unit's lifts that the demo firm maintains;
    # the latest is waiting for the safety manager's confirmation.
    items = list(ChecklistItem.objects.filter(tier=Tier.HALF_MONTHLY, is_active=True))
    assert len(items) == len(ITEMS[Tier.HALF_MONTHLY])
    ours = [
        e
        for e in elevators
        if e.use_unit_id == users["wuye"].organization_id and e.maintenance_firm_id == weibao.organization_id
    ]
    records = []
    for e in ours:
        for visit, days_ago in enumerate((16, 2)):
            day = today - timedelta(days=days_ago)
            start = _at(day, 9 + visit * 4, rng.choice([0, 15, 30]))
            records.append(
                MaintenanceRecord(
                    elevator=e,
                    firm_id=weibao.organization_id,
                    tier=Tier.HALF_MONTHLY,
                    started_at=start,
                    ended_at=start + timedelta(minutes=rng.randint(40, 80)),
                    signed_by=workers[0],
                    status=RecordStatus.CONFIRMED if visit == 0 else RecordStatus.SUBMITTED,
                    confirmed_by=users["wuye"] if visit == 0 else None,
                    confirmed_at=start + timedelta(hours=3) if visit == 0 else None,
                    created_by=weibao,
                )
            )
    MaintenanceRecord.objects.bulk_create(records)
    Through = MaintenanceRecord.workers.through
    Through.objects.bulk_create(
        [Through(maintenancerecord_id=r.pk, person_id=w.pk) for r in records for w in workers[:2]]
    )
    RecordItem.objects.bulk_create([RecordItem(record=r, item=i, result=ItemResult.OK) for r in records for i in items])

    # Overdue: a few lifts of every district last maintained over 15 days ago.
    overdue = rng.sample(elevators, 40)
    Elevator.objects.filter(pk__in=[e.pk for e in overdue]).update(last_maintenance_on=today - timedelta(days=22))

    # Faults at about 0.5 per lift per year, a fifth of them entrapments with rescue timings.
    faults = []
    for e in rng.sample(elevators, len(elevators) // 2):
        reported = timezone.now() - timedelta(days=rng.randint(1, 360), minutes=rng.randint(0, 1440))
        kind = rng.choices(
            [FaultKind.ENTRAPMENT, FaultKind.STOPPED, FaultKind.DOOR, FaultKind.NOISE], [20, 40, 30, 10]
        )[0]
        arrive = rng.choice([12, 18, 25, 28, 35, 50])
        released = arrive + rng.randint(5, 40)
        if kind == FaultKind.ENTRAPMENT and rng.random() < 0.02:
            released = 130  # trapped over two hours: an accident (条例 §64)
        faults.append(
            Fault(
                elevator=e,
                firm_id=e.maintenance_firm_id,
                kind=kind,
                source=rng.choice([FaultSource.HOTLINE, FaultSource.IOT, FaultSource.FIRM]),
                cause=rng.choice(
                    [
                        FaultCause.DOOR_SYSTEM,
                        FaultCause.CONTROL_SYSTEM,
                        FaultCause.EXTERNAL,
                        FaultCause.HUMAN,
                        FaultCause.OTHER,
                    ]
                ),
                trapped_people=rng.randint(1, 4) if kind == FaultKind.ENTRAPMENT else 0,
                reported_at=reported,
                dispatched_at=reported + timedelta(minutes=3),
                arrived_at=reported + timedelta(minutes=arrive),
                released_at=reported + timedelta(minutes=released),
                description="演示数据",
            )
        )
    Fault.objects.bulk_create(faults)
    return {"contracts": len(contracts), "records": len(records), "faults": len(faults)}
