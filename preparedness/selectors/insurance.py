"""Reads of elevator safety liability insurance (plan §2(12)): policies and claims in the user's scope, the elevators
in use without cover and the coverage rate by district. Every "insured" here is preparedness.rules.insured_exists,
so the dashboard's figure, the regulators' list and the public page agree."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db.models import Count, Q, QuerySet

from accounts import access
from maintenance.models import Fault
from registry.choices import ElevatorStatus
from registry.models import District
from rescue.models import Accident

from ..models import InsuranceClaim, InsurancePolicy
from ..rules import insured_exists, policy_in_force_q


def policy_list(*, user) -> QuerySet:
    """Policies the user may see, with the insured, its district and the number of elevators covered (one query)."""
    return access.insurance_policies_for(
        user,
        InsurancePolicy.objects.select_related("insured", "insured__district").annotate(
            elevator_count=Count("elevators", distinct=True)
        ),
    ).order_by("-ends_on", "-pk")


def policy_in_force_filter(qs: QuerySet, *, today: date, value: bool) -> QuerySet:
    return qs.filter(policy_in_force_q(today)) if value else qs.exclude(policy_in_force_q(today))


def policy_expiring_filter(qs: QuerySet, *, today: date) -> QuerySet:
    """In force and ending within INSURANCE_REMINDER_DAYS (the reminder's window; rules.insurance_state)."""
    return qs.filter(policy_in_force_q(today), ends_on__lte=today + timedelta(days=settings.INSURANCE_REMINDER_DAYS))


def policy_elevators(*, policy: InsurancePolicy) -> QuerySet:
    return policy.elevators.select_related("district").order_by("registration_code")


def claim_list(*, user) -> QuerySet:
    """Claims the user may see, with their policy, insured and elevator (one query)."""
    return access.insurance_claims_for(
        user,
        InsuranceClaim.objects.select_related("policy", "policy__insured", "elevator", "fault", "accident"),
    ).order_by("-claimed_on", "-pk")


def uninsured_elevators(*, user, today: date, district=None) -> QuerySet:
    """Elevators in use of the user's scope without a policy in force on `today` (plan §2(12)); `district` a
    District or its pk. The rows coverage_by_district counts as in use but not insured."""
    qs = access.elevators_for(user).filter(status=ElevatorStatus.IN_USE).filter(~Q(insured_exists(today)))
    if district is not None:
        qs = qs.filter(district_id=getattr(district, "pk", district))
    return qs.select_related("district", "use_unit").order_by("district__code", "registration_code")


@dataclass(frozen=True)
class Coverage:
    district: District | None  # None: the city total
    in_use: int
    insured: int

    @property
    def uninsured(self) -> int:
        return self.in_use - self.insured

    @property
    def rate(self) -> float | None:
        """Insured share of the elevators in use; None when none is in use (no rate to state)."""
        return self.insured / self.in_use if self.in_use else None

    @property
    def percent(self) -> str:
        return "—" if self.rate is None else f"{self.rate * 100:.1f}%"


@dataclass(frozen=True)
class CoverageTable:
    rows: list[Coverage]
    total: Coverage


def coverage_by_district(
    *, user, today: date, district: District | None = None, districts: list[District] | None = None
) -> CoverageTable:
    """Per district of the user's scope: elevators in use, those insured on `today` and the rate, plus the total.
    One grouped query (a conditional count over insured_exists) — two when the caller does not pass the
    districts it already loaded (access.districts_for)."""
    if districts is None:
        districts = list(access.districts_for(user))
    elevators = access.elevators_for(user).filter(status=ElevatorStatus.IN_USE)
    if district is not None:
        elevators = elevators.filter(district_id=district.pk)
        districts = [d for d in districts if d.pk == district.pk]
    grouped = {
        row["district_id"]: row
        for row in elevators.order_by()
        .values("district_id")
        .annotate(in_use=Count("id"), insured=Count("id", filter=Q(insured_exists(today))))
    }
    rows = [
        Coverage(
            district=d,
            in_use=grouped.get(d.pk, {}).get("in_use", 0),
            insured=grouped.get(d.pk, {}).get("insured", 0),
        )
        for d in districts
    ]
    total = Coverage(
        district=None,
        in_use=sum(r["in_use"] for r in grouped.values()),
        insured=sum(r["insured"] for r in grouped.values()),
    )
    return CoverageTable(rows=rows, total=total)


def claimable_elevators(*, policy: InsurancePolicy) -> QuerySet:
    return policy.elevators.order_by("registration_code")


def policy_faults(*, user, policy: InsurancePolicy) -> QuerySet:
    """Faults of the policy's elevators the user may see (a claim links one of its elevator's)."""
    return (
        access.faults_for(user, Fault.objects.filter(elevator__in=policy.elevators.all()))
        .select_related("elevator")
        .order_by("-reported_at")
    )


def policy_accidents(*, policy: InsurancePolicy) -> QuerySet:
    return (
        Accident.objects.filter(elevator__in=policy.elevators.all()).select_related("elevator").order_by("-recorded_at")
    )
