"""Reads of the inspection workflow."""

from datetime import date

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from accounts import access
from registry.choices import ElevatorStatus, InspectionStatus
from registry.selectors import elevator_list_queryset
from registry.states import inspection_status_q

from .choices import OPEN_APPLICATION_STATUSES, PASSING_RESULTS, SUPERVISORY_KINDS, InspectionKind
from .models import Inspection, InspectionApplication


def my_elevators(*, user) -> QuerySet:
    """A use unit's elevators with whether an application is open (for the apply button)."""
    open_application = InspectionApplication.objects.filter(
        elevator=OuterRef("pk"), status__in=OPEN_APPLICATION_STATUSES
    )
    return (
        elevator_list_queryset(user=user)
        .annotate(has_open_application=Exists(open_application))
        .order_by("inspection_valid_until", "registration_code")
    )


def application_list(*, user) -> QuerySet:
    return (
        access.inspection_applications_for(user)
        .select_related("elevator__district", "elevator__use_unit", "agency")
        .order_by("-created_at")
    )


def scheduled_between(*, user, start: date, end: date) -> QuerySet:
    return (
        application_list(user=user)
        .filter(status="scheduled", scheduled_on__gte=start, scheduled_on__lt=end)
        .order_by("scheduled_on")
    )


def inspection_overview_by_district(*, user, today: date) -> list[dict]:
    """Per district: elevators in use whose inspection is overdue, expiring, failed or unknown (one query)."""
    rows = (
        access.elevators_for(user)
        .filter(status=ElevatorStatus.IN_USE)
        .values("district_id", "district__name")
        .annotate(
            total=Count("id"),
            overdue=Count("id", filter=inspection_status_q(InspectionStatus.EXPIRED, today=today)),
            expiring=Count("id", filter=inspection_status_q(InspectionStatus.EXPIRING, today=today)),
            failed=Count("id", filter=inspection_status_q(InspectionStatus.FAILED, today=today)),
            unknown=Count("id", filter=inspection_status_q(InspectionStatus.UNKNOWN, today=today)),
        )
        .order_by("district_id")
    )
    return list(rows)


def first_pass_rates(*, group_by: str, since: date, until: date) -> dict[int, dict]:
    """一次性合格率 (plan §2(1), §2(2)): passed at the first inspection / first inspections, per installer
    (supervisory inspections) or per maintenance firm (periodic inspections). Re-inspections do not count."""
    kinds = SUPERVISORY_KINDS if group_by == "installer" else (InspectionKind.PERIODIC,)
    rows = (
        Inspection.objects.filter(
            kind__in=kinds, inspected_on__gte=since, inspected_on__lte=until, **{f"{group_by}__isnull": False}
        )
        .values(group_by)
        .annotate(total=Count("id"), passed=Count("id", filter=Q(result__in=PASSING_RESULTS)))
    )
    return {
        row[group_by]: {
            "total": row["total"],
            "passed": row["passed"],
            "rate": row["passed"] / row["total"] if row["total"] else None,
        }
        for row in rows
    }
