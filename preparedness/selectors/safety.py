"""Reads of safety management (plan §2(7); 特种设备安全法 §33) and use registration certificates (TSG 08-2017):
a use unit's safety managers and the elevators each answers for, its elevators in use with no valid manager, the
regulators' list of use units with none, and the certificates of the elevators in scope. Every "valid manager" and
"missing certificate" here is preparedness.rules, so the lists, the job and the compliance page agree."""

from datetime import date

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery

from accounts import access
from registry.choices import ElevatorStatus, OrganizationKind, PersonKind
from registry.models import Elevator, Organization, Person

from ..models import SafetyAssignment, SafetyManagement
from ..rules import (
    elevator_has_safety_manager_exists,
    has_use_certificate_q,
    use_units_without_safety_manager_q,
    without_use_certificate_q,
)


def safety_use_units(*, user) -> QuerySet:
    """The use units whose safety management the user may open (and write: can_manage_preparedness)."""
    return access.preparedness_use_units_for(
        user, Organization.objects.filter(kind=OrganizationKind.USE_UNIT).select_related("district")
    ).order_by("name")


def safety_management_of(use_unit: Organization) -> SafetyManagement | None:
    return SafetyManagement.objects.filter(use_unit=use_unit).first()


def safety_managers_of(use_unit: Organization) -> QuerySet:
    """The use unit's safety managers with their login and the elevators each answers for (two queries)."""
    return (
        Person.objects.filter(organization=use_unit, kind=PersonKind.SAFETY_MANAGER)
        .select_related("user")
        .prefetch_related(
            Prefetch(
                "safety_assignments",
                queryset=SafetyAssignment.objects.select_related("elevator").order_by("elevator__registration_code"),
            )
        )
        .order_by("name", "pk")
    )


def use_unit_elevators(use_unit: Organization) -> QuerySet:
    """The elevators a manager of the use unit may answer for (TSG 08-2017 2.4: its own)."""
    return Elevator.objects.filter(use_unit=use_unit).order_by("registration_code")


def elevators_without_manager(use_unit: Organization, *, today: date) -> QuerySet:
    """The use unit's elevators in use that no valid safety manager of the unit answers for."""
    return (
        Elevator.objects.filter(use_unit=use_unit, status=ElevatorStatus.IN_USE)
        .filter(~Q(elevator_has_safety_manager_exists(today)))
        .order_by("registration_code")
    )


def safety_managers_for(*, user) -> QuerySet:
    """Safety managers the user may see (people_for), with their use unit and login; for the API."""
    return (
        access.people_for(user, Person.objects.filter(kind=PersonKind.SAFETY_MANAGER))
        .select_related("organization", "user")
        .prefetch_related("safety_assignments")
        .order_by("organization__name", "name", "pk")
    )


def use_units_missing_manager(*, user, today: date) -> QuerySet:
    """Use units of the user's scope with an elevator in use and no valid safety manager on `today` (the list the
    daily job alerts district regulators of), with their district, how many elevators they have in use and the last
    day of their managers' certificates (None: never had one). One query."""
    in_use = Elevator.objects.filter(use_unit=OuterRef("pk"), status=ElevatorStatus.IN_USE)
    return (
        access.preparedness_use_units_for(user, Organization.objects.filter(use_units_without_safety_manager_q(today)))
        .select_related("district")
        .annotate(
            elevators_in_use=Subquery(in_use.order_by().values("use_unit").annotate(n=Count("pk")).values("n")[:1]),
            last_certificate_day=Subquery(
                Person.objects.filter(organization=OuterRef("pk"), kind=PersonKind.SAFETY_MANAGER)
                .order_by("-certificate_valid_until")
                .values("certificate_valid_until")[:1]
            ),
        )
        .order_by("district__code", "name")
    )


# ---------------------------------------------------------------- use registration certificates

CERTIFICATE_STATES = {"missing": without_use_certificate_q, "registered": has_use_certificate_q}


def certificate_elevators(*, user) -> QuerySet:
    """Elevators of the compliance scope with their certificate fields, district and use unit (one query)."""
    return access.compliance_elevators_for(
        user,
        Elevator.objects.select_related("district", "use_unit").only(
            "registration_code",
            "address",
            "status",
            "elevator_type",
            "use_certificate_no",
            "use_certificate_authority",
            "use_certificate_issued_on",
            "use_certificate_scan",
            "district__name",
            "district__code",
            "use_unit__name",
            "use_unit__district_id",
            "use_unit__kind",
        ),
    ).order_by("registration_code")
