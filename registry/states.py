"""An elevator's states that follow from its dates, each rule written once: a Q for queries over many elevators and
its Python twin for one elevator. Filters, dashboards, the bulletin, the inspection overview and the jobs all ask
these functions, so a figure and the list behind it agree."""

from datetime import date, timedelta

from django.conf import settings
from django.db.models import DateField, F, Q
from django.db.models.functions import Coalesce, Greatest, TruncDate
from django.db.models.lookups import LessThan

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


# 特种设备安全监察条例 §31 (maintenance at least every 15 days) read so that no elevator in use escapes it: the days
# count from the last confirmed routine maintenance or, for an elevator never maintained, from the latest of the
# days it could first have been: its commissioning, its registration in the portal (the local date of created_at)
# and the start of the maintenance contract now in force. The contract start is Elevator.contract_starts_on, a
# copy the contract services keep in step with the elevator's firm, so the registry reads it without importing
# maintenance, and a new contract is a write on the elevator that the dashboards' data version sees.


def maintenance_counted_from(
    *,
    last_maintenance_on: date | None,
    commission_date: date | None,
    registered_on: date,
    contract_starts_on: date | None,
) -> date:
    """The day one elevator's maintenance interval runs from (条例 §31); twin of maintenance_counted_from_expression."""
    if last_maintenance_on is not None:
        return last_maintenance_on
    return max(day for day in (commission_date, registered_on, contract_starts_on) if day is not None)


def maintenance_counted_from_expression(
    *, field: str = "last_maintenance_on", contract_field: str = "contract_starts_on"
) -> Coalesce:
    """The same day in SQL, for each elevator row: date `field`, else the latest of commissioning, registration and
    contract start `contract_field` (each missing one stands in as the registration day: GREATEST skips no NULLs on
    SQLite)."""
    registered = TruncDate("created_at")
    return Coalesce(
        F(field),
        Greatest(
            registered,
            Coalesce("commission_date", registered),
            Coalesce(contract_field, registered),
            output_field=DateField(),
        ),
        output_field=DateField(),
    )


def maintenance_overdue_for(
    *,
    status: str,
    last_maintenance_on: date | None,
    commission_date: date | None,
    registered_on: date,
    contract_starts_on: date | None,
    today: date,
) -> bool:
    """One elevator in use whose interval ran out before `today` (特种设备安全监察条例 §31); twin of the Q."""
    counted_from = maintenance_counted_from(
        last_maintenance_on=last_maintenance_on,
        commission_date=commission_date,
        registered_on=registered_on,
        contract_starts_on=contract_starts_on,
    )
    return status == ElevatorStatus.IN_USE and counted_from < _maintenance_cutoff(today)


def maintenance_overdue_q(
    *, today: date, field: str = "last_maintenance_on", contract_field: str = "contract_starts_on"
) -> Q:
    """In use, the interval counted from the last maintenance (date `field`) or, never maintained, from the latest of
    commissioning, registration and contract start (`contract_field`) ran out before `today` (条例 §31)."""
    counted_from = maintenance_counted_from_expression(field=field, contract_field=contract_field)
    return Q(status=ElevatorStatus.IN_USE) & Q(LessThan(counted_from, _maintenance_cutoff(today)))
