"""Demo preparedness records in every state (seed_demo): use units with and without a safety body, safety managers
answering for all, some or none of their elevators, one unit whose only manager's certificate has lapsed, plans,
drills held recently, due soon and overdue, a drill planned, policies in force, ending soon and lapsed, and a claim.
Written directly (the rules of the services are for people; this is fixture data), idempotent: nothing is added once
any emergency plan exists."""

from datetime import timedelta

from django.core.files.base import ContentFile

from registry.choices import ElevatorStatus, OrganizationKind, PersonKind
from registry.models import Elevator, Organization, Person

from .choices import ClaimStatus, DrillScenario, DrillStatus
from .models import (
    Drill,
    EmergencyPlan,
    InsuranceClaim,
    InsurancePolicy,
    SafetyAssignment,
    SafetyManagement,
)

# The smallest PDF a reader opens: the demo's plans and policies.
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
INSURERS = ["中国人民财产保险攀枝花分公司", "中国平安财产保险攀枝花中心支公司", "中国太平洋财产保险攀枝花中心支公司"]


def seed_preparedness(*, today, author) -> dict:
    """Preparedness records for the demo use units; `author` is the login recorded as their writer."""
    if EmergencyPlan.objects.exists():
        return {}
    units = list(Organization.objects.filter(kind=OrganizationKind.USE_UNIT).order_by("pk"))
    elevators_of: dict[int, list[Elevator]] = {}
    for e in Elevator.objects.filter(use_unit__in=units, status=ElevatorStatus.IN_USE).order_by("pk"):
        elevators_of.setdefault(e.use_unit_id, []).append(e)
    managers = {p.organization_id: p for p in Person.objects.filter(kind=PersonKind.SAFETY_MANAGER).order_by("-pk")}
    counts = {"plans": 0, "drills": 0, "policies": 0}
    assignments, drill_days = [], {}
    for i, unit in enumerate(units):
        elevators = elevators_of.get(unit.pk, [])
        if not elevators:
            continue
        manager = managers.get(unit.pk)
        if i % 5 != 4:
            SafetyManagement.objects.create(
                use_unit=unit,
                body_name=f"{unit.name}电梯安全管理小组" if i % 2 == 0 else "",
                principal=manager.name if manager else "—",
                updated_by=author,
            )
        if manager is not None and i % 6 != 5:
            # Every sixth unit has named no one for half of its elevators: the compliance page shows them red.
            covered = elevators if i % 6 != 4 else elevators[: len(elevators) // 2]
            assignments += [SafetyAssignment(person=manager, elevator=e, assigned_by=author) for e in covered]
        if i == len(units) - 1 and manager is not None:
            # The last unit's only manager let the certificate lapse: its district is told (rules.py).
            Person.objects.filter(pk=manager.pk).update(certificate_valid_until=today - timedelta(days=5))
        if i % 4 != 3:
            plan = EmergencyPlan.objects.create(
                use_unit=unit,
                title=f"{unit.name}电梯困人应急专项预案",
                version="2026版",
                adopted_on=today - timedelta(days=200),
                document=ContentFile(DEMO_PDF, name="plan.pdf"),
                created_by=author,
            )
            plan.elevators.set(elevators)
            counts["plans"] += 1
            # Drills held about 2 months ago (in time), 5½ months ago (due soon) and 8 months ago (overdue).
            held = today - timedelta(days=(60, 168, 240)[i % 3])
            drill = Drill.objects.create(
                use_unit=unit,
                firm=elevators[0].maintenance_firm,
                plan=plan,
                scenario=DrillScenario.ENTRAPMENT,
                status=DrillStatus.HELD,
                planned_on=held,
                held_on=held,
                use_unit_participants=f"{manager.name if manager else '安全管理员'}、保安2人",
                firm_participants="维保人员2人",
                release_minutes=12 + i % 9,
                findings="应急照明电池电量不足" if i % 2 else "",
                improvements="更换应急照明电池，每月检查" if i % 2 else "",
                created_by=author,
                recorded_by=author,
            )
            drill.elevators.set(elevators)
            for e in elevators:
                drill_days[e.pk] = held
            if i % 3 == 2:
                upcoming = Drill.objects.create(
                    use_unit=unit,
                    firm=elevators[0].maintenance_firm,
                    plan=plan,
                    scenario=DrillScenario.POWER_CUT,
                    planned_on=today + timedelta(days=14),
                    created_by=author,
                )
                upcoming.elevators.set(elevators)
                counts["drills"] += 1
            counts["drills"] += 1
        # Policies in force (ending in about 7 months), ending within the reminder window, and lapsed 10 days ago.
        ends = today + timedelta(days=(210, 200, 20, -10)[i % 4])
        policy = InsurancePolicy.objects.create(
            insurer=INSURERS[i % len(INSURERS)],
            policy_no=f"PZH{today.year}{i + 1:05d}",
            insured=unit,
            cover_per_person=500_000,
            cover_per_accident=2_000_000,
            starts_on=ends - timedelta(days=364),
            ends_on=ends,
            document=ContentFile(DEMO_PDF, name="policy.pdf"),
            created_by=author,
        )
        policy.elevators.set(elevators if i % 7 != 6 else elevators[:-1])  # every seventh leaves one uncovered
        counts["policies"] += 1
        if i == 0:
            InsuranceClaim.objects.create(
                policy=policy,
                elevator=elevators[0],
                occurred_on=today - timedelta(days=40),
                claimed_on=today - timedelta(days=38),
                amount=8_600,
                status=ClaimStatus.PAID,
                paid_amount=8_000,
                note="乘客被困后轻微擦伤，医疗费用赔付",
                created_by=author,
            )
    SafetyAssignment.objects.bulk_create(assignments, ignore_conflicts=True)
    by_day: dict = {}
    for pk, day in drill_days.items():
        by_day.setdefault(day, []).append(pk)
    for day, pks in by_day.items():
        Elevator.objects.filter(pk__in=pks).update(last_drill_on=day)
    counts["assignments"] = len(assignments)
    return counts
