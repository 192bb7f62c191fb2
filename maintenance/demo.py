"""Demo maintenance data for `seed_demo`: contracts, confirmed records behind every last-maintenance date, records
to confirm, overdue lifts, faults and entrapments, in every district."""

import random
from collections import defaultdict
from datetime import date, datetime, time, timedelta

from django.db import connection
from django.db.models import Max, Q
from django.utils import timezone

from registry.choices import ElevatorStatus, PersonKind
from registry.demo import demo_elevators
from registry.models import Elevator, Person

from .checklists import ITEMS
from .choices import (
    ROUTINE_TIERS,
    ContractStatus,
    FaultCause,
    FaultKind,
    FaultSource,
    ItemResult,
    RecordStatus,
    Tier,
)
from .models import (
    ChecklistItem,
    ContractElevator,
    Fault,
    MaintenanceContract,
    MaintenanceRecord,
    RecordItem,
)

INTERVAL = 15  # 条例 §31: a routine visit at least every 15 days
ADJUSTMENTS = [
    "门机皮带张紧度已调整",
    "层门门锁啮合深度已调整",
    "制动器间隙已调整",
    "轿厢照明已更换灯管",
    "平层精度已调整",
]


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def seed_maintenance(*, users, today: date, rng: random.Random) -> dict[str, int]:
    """Contracts, records to confirm, overdue lifts and faults once (while no demo contract exists); then, on every
    run, a confirmed routine record behind each elevator's last-maintenance date (idempotent on its own)."""
    made: dict[str, int] = {}
    pending: list[Elevator] = []
    if not MaintenanceContract.objects.filter(number__startswith="DEMO-").exists():
        made, pending = _seed_once(users=users, today=today, rng=rng)
    made["records"] = routine_records_backfill(users=users, today=today, pending=pending)
    return made


def _seed_once(*, users, today: date, rng: random.Random) -> tuple[dict[str, int], list[Elevator]]:
    """Contracts, overdue lifts and faults; returns what it made and the elevators whose latest visit awaits
    the safety manager's confirmation."""
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
    # What the contract services keep in step (条例 §31: a never-maintained lift counts from its contract start).
    Elevator.objects.filter(pk__in=[e.pk for e in elevators]).update(contract_starts_on=today - timedelta(days=200))

    # The demo firm's worker signs in as `weibao`.
    weibao = users["weibao"]
    workers = list(
        Person.objects.filter(
            organization=weibao.organization, kind=PersonKind.MAINTENANCE_WORKER, certificate_valid_until__gte=today
        ).order_by("certificate_no")
    )
    Person.objects.filter(pk=workers[0].pk).update(user=weibao)

    # The demo use unit's lifts that the demo firm maintains: the last confirmed visit two weeks ago, and
    # yesterday's visit waiting for the safety manager (`wuye`) to confirm it.
    pending = [
        e
        for e in elevators
        if e.use_unit_id == users["wuye"].organization_id
        and e.maintenance_firm_id == weibao.organization_id
        and e.status == ElevatorStatus.IN_USE
    ]
    Elevator.objects.filter(pk__in=[e.pk for e in pending]).update(last_maintenance_on=today - timedelta(days=14))

    # Overdue: a few lifts in use of every district last maintained over 15 days ago.
    in_use = [e for e in elevators if e.status == ElevatorStatus.IN_USE and e not in pending]
    overdue = rng.sample(in_use, 40)
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
    # A few lifts that fail again and again: what key monitoring is for (plan §2(4) 运行故障率明显偏高).
    for e in rng.sample(in_use, 12):
        for _ in range(rng.randint(2, 7)):
            reported = timezone.now() - timedelta(days=rng.randint(1, 330), minutes=rng.randint(0, 1440))
            faults.append(
                Fault(
                    elevator=e,
                    firm_id=e.maintenance_firm_id,
                    kind=rng.choice([FaultKind.STOPPED, FaultKind.DOOR]),
                    source=rng.choice([FaultSource.HOTLINE, FaultSource.IOT]),
                    cause=rng.choice([FaultCause.DOOR_SYSTEM, FaultCause.CONTROL_SYSTEM]),
                    reported_at=reported,
                    dispatched_at=reported + timedelta(minutes=3),
                    arrived_at=reported + timedelta(minutes=rng.choice([15, 22, 28])),
                    released_at=reported + timedelta(minutes=rng.randint(40, 90)),
                    description="演示数据",
                )
            )
    Fault.objects.bulk_create(faults)
    return {"contracts": len(contracts), "faults": len(faults)}, pending


def _workers_by_firm(today: date) -> dict[int, list[Person]]:
    """Each firm's maintenance workers whose certificate is valid today (条例 §38), in certificate order."""
    workers: dict[int, list[Person]] = defaultdict(list)
    for person in Person.objects.filter(
        kind=PersonKind.MAINTENANCE_WORKER, certificate_valid_until__gte=today
    ).order_by("certificate_no"):
        workers[person.organization_id].append(person)
    return workers


def _backed_days() -> dict[int, set[date]]:
    """The local days of each elevator's confirmed routine visits (record_confirm dates them by their end)."""
    days: dict[int, set[date]] = defaultdict(set)
    rows = MaintenanceRecord.objects.filter(
        status=RecordStatus.CONFIRMED, tier__in=ROUTINE_TIERS, elevator__in=demo_elevators()
    ).values_list("elevator_id", "ended_at")
    for elevator_id, ended_at in rows:
        days[elevator_id].add(timezone.localtime(ended_at).date())
    return days


def routine_records_backfill(*, users, today: date, pending: list[Elevator] = ()) -> int:
    """Back every demo elevator's last-maintenance date (the public page's 最近维保) with a confirmed half-monthly
    visit on that day, and the visit 15 days before it, as a firm uploads them and the use unit confirms them
    (条例 §31, TSG T5002-2017); add the `pending` elevators' visit of yesterday, not yet confirmed. Visits of a
    firm on a day go to its certified workers in turn, an hour and a quarter apart, so that no worker is in two
    places at once. Idempotent: an elevator whose date is already backed gets nothing. Returns the records made."""
    demo = demo_elevators().exclude(status=ElevatorStatus.SCRAPPED)
    # Nobody maintains a lift without a firm, and nobody confirms one without a use unit: no date to show.
    demo.filter(Q(use_unit__isnull=True) | Q(maintenance_firm__isnull=True), last_maintenance_on__isnull=False).filter(
        maintenance_records__isnull=True
    ).update(last_maintenance_on=None)
    yesterday = today - timedelta(days=1)
    backed = _backed_days()
    candidates = demo.filter(last_maintenance_on__isnull=False, use_unit__isnull=False, maintenance_firm__isnull=False)
    # A date not yet backed is at the latest yesterday: a visit of today would not have ended yet.
    candidates.filter(last_maintenance_on__gt=yesterday).exclude(pk__in=list(backed)).update(
        last_maintenance_on=yesterday
    )
    wuye = users.get("wuye")
    visits = []  # (elevator, day, confirmed)
    for e in candidates.order_by("registration_code"):
        if e.last_maintenance_on in backed.get(e.pk, ()):
            continue
        if not backed.get(e.pk):
            visits.append((e, e.last_maintenance_on - timedelta(days=INTERVAL), True))
        visits.append((e, e.last_maintenance_on, True))
    have_pending = set(
        MaintenanceRecord.objects.filter(status=RecordStatus.SUBMITTED, elevator__in=pending).values_list(
            "elevator_id", flat=True
        )
    )
    visits += [(e, yesterday, False) for e in pending if e.pk not in have_pending]
    if not visits:
        return 0

    workers = _workers_by_firm(today)
    by_firm_day: dict[tuple[int, date], list] = defaultdict(list)
    for visit in visits:
        by_firm_day[(visit[0].maintenance_firm_id, visit[1])].append(visit)
    uploader = {users["weibao"].organization_id: users["weibao"]} if "weibao" in users else {}
    now = timezone.now()
    records, crew = [], []
    for (firm_id, day), day_visits in sorted(by_firm_day.items()):
        team = workers.get(firm_id)
        if not team:
            continue
        rng = random.Random(f"{firm_id}-{day.isoformat()}")  # the same visits whenever they are made
        for k, (e, _day, confirmed) in enumerate(day_visits):
            worker = team[k % len(team)]
            start = _at(day, 8, 30) + timedelta(minutes=75 * (k // len(team)) + rng.randint(0, 10))
            end = start + timedelta(minutes=rng.randint(40, 65))
            records.append(
                MaintenanceRecord(
                    elevator=e,
                    firm_id=firm_id,
                    tier=Tier.HALF_MONTHLY,
                    started_at=start,
                    ended_at=end,
                    signed_by=worker,
                    status=RecordStatus.CONFIRMED if confirmed else RecordStatus.SUBMITTED,
                    # The safety manager confirms the same day (only the demo use unit has a login to name).
                    confirmed_by=wuye if confirmed and wuye and e.use_unit_id == wuye.organization_id else None,
                    confirmed_at=min(end + timedelta(hours=rng.randint(1, 5)), now) if confirmed else None,
                    created_by=uploader.get(firm_id, users["admin"]),
                )
            )
            crew.append(worker)
    MaintenanceRecord.objects.bulk_create(records, batch_size=1000)
    Through = MaintenanceRecord.workers.through
    Through.objects.bulk_create(
        [Through(maintenancerecord_id=r.pk, person_id=w.pk) for r, w in zip(records, crew, strict=True)],
        batch_size=2000,
    )
    items = list(ChecklistItem.objects.filter(tier=Tier.HALF_MONTHLY, is_active=True).order_by("order", "pk"))
    assert len(items) == len(ITEMS[Tier.HALF_MONTHLY])
    rows = []  # (record, item, result, note): 20 per record, inserted as plain rows (bulk_create of model
    # instances would take most of seed_demo's time)
    for r in records:
        rng = random.Random(r.pk)
        adjusted = rng.randrange(len(items)) if rng.random() < 0.3 else None  # now and then a small adjustment
        for i, item in enumerate(items):
            note = rng.choice(ADJUSTMENTS) if i == adjusted else ""
            rows.append((r.pk, item.pk, ItemResult.ADJUSTED if note else ItemResult.OK, note))
    table = connection.ops.quote_name(RecordItem._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} (record_id, item_id, result, note) VALUES (%s, %s, %s, %s)", rows)
    _last_maintenance_follows_records(today=today)
    return len(records)


def _last_maintenance_follows_records(*, today: date) -> None:
    """Each demo elevator's last-maintenance date is the day of its latest confirmed routine visit, as
    record_confirm keeps it; one grouped query, and an update only where an older demo left them apart."""
    latest = dict(
        MaintenanceRecord.objects.filter(
            status=RecordStatus.CONFIRMED, tier__in=ROUTINE_TIERS, elevator__in=demo_elevators()
        )
        .values("elevator")
        .annotate(last=Max("ended_at"))
        .values_list("elevator", "last")
    )
    shown = dict(demo_elevators().filter(pk__in=list(latest)).values_list("pk", "last_maintenance_on"))
    for elevator_id, ended_at in latest.items():
        day = timezone.localtime(ended_at).date()
        if shown.get(elevator_id) != day:
            Elevator.objects.filter(pk=elevator_id).update(last_maintenance_on=day)
