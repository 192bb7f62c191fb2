"""An elevator's states that follow from its dates, each rule written once: a Q for queries over many elevators and
its Python twin for one elevator. Filters, dashboards, the bulletin, the inspection overview and the jobs all ask
these functions, so a figure and the list behind it agree."""

from datetime import date, timedelta

from django.conf import settings
from django.db.models import Q

from .choices import ElevatorStatus, InspectionStatus


def _expiring_until(today: date) -> date:
    # Plan §2(7): the use unit applies for the periodic inspection one month before the validity ends.
    return today + timedelta(days=settings.INSPECTION_EXPIRING_DAYS)


def _maintenance_cutoff(today: date) -> date:
    # 特种设备安全监察条例 §31, TSG T5002-2017: routine maintenance at least every MAINTENANCE_INTERVAL_DAYS days.
    return today - timedelta(days=settings.MAINTENANCE_INTERVAL_DAYS)


def inspection_status_for(*, valid_until: date | None, failed: bool, today: date) -> str:
    """One elevator's inspection status on `today` (特种设备安全法 §40; plan §2(7)); twin of inspection_status_q."""
    if failed:
        return InspectionStatus.FAILED
    if valid_until is None:
        return InspectionStatus.UNKNOWN
    if valid_until < today:
        return InspectionStatus.EXPIRED
    if valid_until <= _expiring_until(today):
        return InspectionStatus.EXPIRING
    return InspectionStatus.VALID


def inspection_status_q(status: str, *, today: date) -> Q:
    """The elevators with inspection `status` on `today` (特种设备安全法 §40; plan §2(7)); twin of the above."""
    if status == InspectionStatus.FAILED:
        return Q(inspection_failed=True)
    return Q(inspection_failed=False) & inspection_validity_q(status, today=today)


def inspection_validity_q(status: str, *, today: date, field: str = "inspection_valid_until") -> Q:
    """The rows whose validity date `field` alone gives `status` on `today`, failed or not (特种设备安全法 §40)."""
    soon = _expiring_until(today)
    return {
        InspectionStatus.VALID: Q(**{f"{field}__gt": soon}),
        InspectionStatus.EXPIRING: Q(**{f"{field}__gte": today, f"{field}__lte": soon}),
        InspectionStatus.EXPIRED: Q(**{f"{field}__lt": today}),
        InspectionStatus.UNKNOWN: Q(**{f"{field}__isnull": True}),
    }[status]


def maintenance_overdue_for(*, status: str, last_maintenance_on: date | None, today: date) -> bool:
    """One elevator in use, maintained but not within the interval (特种设备安全监察条例 §31); twin of the Q."""
    return (
        status == ElevatorStatus.IN_USE
        and last_maintenance_on is not None
        and last_maintenance_on < _maintenance_cutoff(today)
    )


def maintenance_overdue_q(*, today: date, field: str = "last_maintenance_on") -> Q:
    """In use, last routine maintenance (date `field`) older than the interval on `today` (特种设备安全监察条例 §31)."""
    return Q(status=ElevatorStatus.IN_USE, **{f"{field}__lt": _maintenance_cutoff(today)})
