"""Demo inspections for `seed_demo`: past results, a few failures with defects, applications in every state."""

import random
from datetime import date, timedelta

from registry.choices import ElevatorStatus, PersonKind
from registry.models import Elevator, Person

from .choices import ApplicationStatus, InspectionKind, InspectionResult
from .models import Defect, Inspection, InspectionApplication
from .validity import add_months


def seed_inspections(*, orgs, users, today: date, rng: random.Random) -> int:
    """Idempotent: does nothing once demo inspections exist."""
    if Inspection.objects.filter(report_no__startswith="DEMO-").exists():
        return 0
    agencies = orgs["inspection"]
    inspectors = {a.pk: list(Person.objects.filter(organization=a, kind=PersonKind.INSPECTOR)) for a in agencies}
    agency_user = users["jianyan"]
    elevators = list(
        Elevator.objects.filter(inspection_valid_until__isnull=False, status=ElevatorStatus.IN_USE)
        .select_related("maintenance_firm", "installer")
        .order_by("registration_code")[:400]
    )
    made = 0
    for i, elevator in enumerate(elevators):
        agency = agencies[i % len(agencies)]
        inspected_on = add_months(elevator.inspection_valid_until, -12)
        if inspected_on > today:
            continue
        failed = i % 40 == 7
        inspection = Inspection.objects.create(
            elevator=elevator,
            kind=InspectionKind.PERIODIC,
            agency=agency,
            inspected_on=inspected_on,
            result=InspectionResult.FAILED if failed else InspectionResult.PASSED,
            report_no=f"DEMO-{i + 1:05d}",
            conclusion="符合TSG T7001-2023要求。" if not failed else "制动器动作异常，门锁回路需整改。",
            valid_until=None if failed else elevator.inspection_valid_until,
            recorded_by=agency_user,
            maintenance_firm=elevator.maintenance_firm,
            installer=elevator.installer,
        )
        inspection.inspectors.set(inspectors[agency.pk][:2])
        if failed:
            Defect.objects.create(
                inspection=inspection, description="制动器制动力不足", deadline=today + timedelta(days=10)
            )
            Defect.objects.create(
                inspection=inspection, description="层门门锁电气触点磨损", deadline=today + timedelta(days=10)
            )
            Elevator.objects.filter(pk=elevator.pk).update(inspection_failed=True)
        made += 1

    # The demo use unit's elevators that expire soonest get applications in every state.
    use_unit_user = users["wuye"]
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
            site_contact="物业安全管理员",
            site_phone="13908120001",
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
    return made
