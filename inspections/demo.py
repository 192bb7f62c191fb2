"""Demo inspections for `seed_demo`: the periodic inspection behind every validity on record, in every district,
a few recent failures with defects, applications in every state for the demo use unit."""

import random
from datetime import date, timedelta

from simple_history.utils import bulk_create_with_history

from registry.choices import ElevatorStatus, PersonKind
from registry.demo import demo_elevators
from registry.models import Elevator, Person

from .choices import ApplicationStatus, InspectionKind, InspectionResult
from .models import Defect, Inspection, InspectionApplication
from .validity import add_months

DEFECTS = [
    ("制动器制动力不足", "层门门锁电气触点磨损"),
    ("曳引钢丝绳断丝超标", "轿厢应急照明不能正常工作"),
    ("限速器动作速度校验不合格", "底坑急停开关失效"),
    ("层门自闭装置失效", "五方对讲系统不能正常通话"),
]


def seed_inspections(*, orgs, users, today: date, rng: random.Random) -> int:
    """For every demo elevator with a validity on record and no inspection yet: the passed periodic inspection
    that gave it, a year before it ends (特种设备安全法 §40, TSG T7001-2023); for one in eight in use whose validity
    ends within the month, also a failed inspection of the last weeks, with defects to rectify (it must not be used
    until a re-inspection passes). Then applications in every state for the demo use unit. Idempotent per elevator.
    Returns the number of inspections made."""
    agencies = orgs["inspection"]
    inspectors = {
        a.pk: list(Person.objects.filter(organization=a, kind=PersonKind.INSPECTOR).order_by("certificate_no"))
        for a in agencies
    }
    agency_user = users["jianyan"]
    elevators = list(
        demo_elevators()
        .filter(inspection_valid_until__isnull=False, inspections__isnull=True)
        .select_related("maintenance_firm", "installer")
        .order_by("registration_code")
    )
    made, crews, failed = [], [], []
    expiring = 0
    for i, elevator in enumerate(elevators):
        agency = agencies[i % len(agencies)]
        crew = [inspectors[agency.pk][i % 4], inspectors[agency.pk][(i + 1) % 4]] if inspectors[agency.pk] else []
        valid_until = elevator.inspection_valid_until
        inspected_on = min(add_months(valid_until, -12), today)
        common = {
            "elevator": elevator,
            "kind": InspectionKind.PERIODIC,
            "agency": agency,
            "recorded_by": agency_user,
            "maintenance_firm": elevator.maintenance_firm,
            "installer": elevator.installer,
        }
        made.append(
            Inspection(
                **common,
                inspected_on=inspected_on,
                result=InspectionResult.PASSED,
                report_no=f"DEMO-{inspected_on:%Y}-{elevator.pk:06d}",
                conclusion="符合TSG T7001-2023要求，检验合格。",
                valid_until=valid_until,
            )
        )
        crews.append(crew)
        if elevator.status == ElevatorStatus.IN_USE and today <= valid_until <= today + timedelta(days=30):
            expiring += 1
            if expiring % 8 == 1:
                day = today - timedelta(days=3 + expiring % 20)
                made.append(
                    Inspection(
                        **common,
                        inspected_on=day,
                        result=InspectionResult.FAILED,
                        report_no=f"DEMO-{day:%Y}-{elevator.pk:06d}-F",
                        conclusion="检验不合格，须整改后申请复检。",
                        valid_until=None,
                    )
                )
                crews.append(crew)
                failed.append(made[-1])
    bulk_create_with_history(made, Inspection, batch_size=500, default_user=agency_user)
    Through = Inspection.inspectors.through
    Through.objects.bulk_create(
        [Through(inspection_id=m.pk, person_id=p.pk) for m, crew in zip(made, crews, strict=True) for p in crew],
        batch_size=2000,
    )
    Defect.objects.bulk_create(
        [
            Defect(inspection_id=m.pk, description=text, deadline=m.inspected_on + timedelta(days=15))
            for n, m in enumerate(failed)
            for text in DEFECTS[n % len(DEFECTS)]
        ]
    )
    Elevator.objects.filter(pk__in=[m.elevator_id for m in failed]).update(inspection_failed=True)

    # The demo use unit's elevators that expire soonest get applications in every state, once.
    use_unit_user = users["wuye"]
    if InspectionApplication.objects.filter(submitted_by=use_unit_user).exists():
        return len(made)
    manager = Person.objects.filter(user=use_unit_user).first()
    soon = list(
        Elevator.objects.filter(
            use_unit=use_unit_user.organization, inspection_failed=False, inspection_valid_until__gte=today
        ).order_by("inspection_valid_until")[:6]
    )
    states = [
        ApplicationStatus.SUBMITTED,
        ApplicationStatus.SUBMITTED,
        ApplicationStatus.ACCEPTED,
        ApplicationStatus.SCHEDULED,
        ApplicationStatus.SCHEDULED,
        ApplicationStatus.REJECTED,
    ]
    agency = agency_user.organization
    for n, (elevator, status) in enumerate(zip(soon, states, strict=False)):
        application = InspectionApplication.objects.create(
            elevator=elevator,
            kind=InspectionKind.PERIODIC,
            agency=agency,
            wished_from=today + timedelta(days=3),
            wished_to=today + timedelta(days=17),
            site_contact=manager.name if manager else use_unit_user.get_full_name(),
            site_phone=manager.phone if manager else "13908120001",
            status=status,
            submitted_by=use_unit_user,
            scheduled_on=today + timedelta(days=4 + 3 * n) if status == ApplicationStatus.SCHEDULED else None,
            reject_reason="电梯使用登记证信息与申报不一致，请核对后重新申报。"
            if status == ApplicationStatus.REJECTED
            else "",
            handled_by=agency_user if status != ApplicationStatus.SUBMITTED else None,
        )
        if status == ApplicationStatus.SCHEDULED:
            application.inspectors.set(inspectors[agency.pk][:2])
    return len(made)
