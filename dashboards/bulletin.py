"""The public monthly elevator safety bulletin.

Plan §2(10): 定期统计分析电梯故障、困人等有关数据，及时向社会发布电梯安全状况和预警信息.

City and per-district figures for one calendar month, computed with database aggregates in a fixed handful of
queries (districts, elevators, faults, complaints) whatever the size of the registry. The bulletin is public, so it
carries counts and rates only: no person, no phone number, no company name.
"""

import calendar
from datetime import date, timedelta

from django.conf import settings
from django.db.models import Case, Count, DateField, Exists, F, OuterRef, Q, Subquery, When
from django.db.models.functions import Coalesce, TruncDate
from django.utils.translation import gettext as _

from complaints.models import Complaint
from elevator_portal.dates import day_bounds
from inspections.models import Inspection
from maintenance.choices import ROUTINE_TIERS, ContractStatus, FaultKind, RecordStatus
from maintenance.faults.rules import accident_q, arrival_limit_minutes, within_limit_q
from maintenance.models import ContractElevator, Fault, MaintenanceRecord
from registry.choices import DistrictLevel, ElevatorStatus, InspectionStatus
from registry.models import District, Elevator
from registry.states import inspection_validity_q, maintenance_overdue_q

# Warning thresholds of the bulletin (plan §2(10) 预警信息).
INSPECTION_OVERDUE_WARNING_RATE = getattr(settings, "BULLETIN_INSPECTION_OVERDUE_WARNING_RATE", 0.05)
MAINTENANCE_OVERDUE_WARNING_RATE = getattr(settings, "BULLETIN_MAINTENANCE_OVERDUE_WARNING_RATE", 0.05)
ARRIVAL_WARNING_RATE = getattr(settings, "BULLETIN_ARRIVAL_WARNING_RATE", 0.9)

COUNT_FIELDS = (
    "elevators_registered",
    "elevators_in_use",
    "inspection_overdue",
    "maintenance_overdue",
    "faults",
    "entrapments",
    "arrived_within_limit",
    "accidents",
    "complaints_received",
    "complaints_resolved",
)


def latest_complete_month(today: date) -> tuple[int, int]:
    """The month before `today`'s: the newest month whose figures no longer change."""
    first = today.replace(day=1) - timedelta(days=1)
    return first.year, first.month


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def _elevator_counts(*, last_day: date, end) -> dict[int, dict]:
    """Per district, as of the month's last day: elevators registered by then, those in use, and of those in use
    the ones overdue for inspection and for maintenance. One query.

    The registry keeps current dates, so a past month is reconstructed from the source tables:
    - inspection (特种设备安全法 §40): the validity is that of the latest inspection on or before the last day;
      without one, the registry's date, unless an inspection after the month has replaced it (then unknown).
      Overdue = expired on the last day by the registry's rule (registry.states).
    - maintenance (条例 §31): the last confirmed routine visit on or before the last day (without a record, the
      registry's date if it is not later), overdue on the last day by the registry's rule; an elevator with neither
      counts as never maintained by then, from the latest of its commissioning, its registration and the start of the
      contract in force on the last day (a contract that began later does not count).
    Status is the current one (the registry keeps no status history that is complete for bulk imports).
    """
    inspections = Inspection.objects.filter(elevator=OuterRef("pk"))
    latest_validity = (
        inspections.filter(inspected_on__lte=last_day, valid_until__isnull=False)
        .order_by("-inspected_on", "-id")
        .values("valid_until")[:1]
    )
    later_inspection = inspections.filter(inspected_on__gt=last_day)
    last_visit = (
        MaintenanceRecord.objects.filter(
            elevator=OuterRef("pk"), status=RecordStatus.CONFIRMED, tier__in=ROUTINE_TIERS, ended_at__lt=end
        )
        .annotate(day=TruncDate("ended_at"))
        .order_by("-ended_at")
        .values("day")[:1]
    )
    contract_then = (
        ContractElevator.objects.filter(
            elevator=OuterRef("pk"), contract__starts_on__lte=last_day, contract__ends_on__gte=last_day
        )
        .exclude(contract__status=ContractStatus.PENDING)
        .order_by("-contract__starts_on")
        .values("contract__starts_on")[:1]
    )
    in_use = Q(status=ElevatorStatus.IN_USE)
    expired = InspectionStatus.EXPIRED

    # In service that month: commissioned by its end (records entered into the platform later still count).
    existed = Q(commission_date__lte=last_day) | Q(commission_date__isnull=True, created_at__lt=end)
    rows = (
        Elevator.objects.filter(existed)
        .alias(
            validity=Subquery(latest_validity),
            replaced=Exists(later_inspection),
            visit=Subquery(last_visit),
            maintained=Coalesce(
                "visit",
                Case(When(last_maintenance_on__lte=last_day, then=F("last_maintenance_on"))),
                output_field=DateField(),
            ),
            contract_then=Subquery(contract_then),
        )
        .values("district_id")
        .annotate(
            elevators_registered=Count("id", filter=~Q(status=ElevatorStatus.SCRAPPED)),
            elevators_in_use=Count("id", filter=in_use),
            inspection_overdue=Count(
                "id",
                filter=in_use
                & (
                    inspection_validity_q(expired, today=last_day, field="validity")
                    | (Q(validity__isnull=True, replaced=False) & inspection_validity_q(expired, today=last_day))
                ),
            ),
            maintenance_overdue=Count(
                "id", filter=maintenance_overdue_q(today=last_day, field="maintained", contract_field="contract_then")
            ),
        )
        .order_by()
    )
    return {row.pop("district_id"): row for row in rows}


def _fault_counts(*, start, end) -> dict[int, dict]:
    """Per district: faults reported in the month, entrapments, those reached within the district's limit
    (TSG T5002 §5) and accidents (trapped 2 hours or more, 条例 §64). One query; the rules are maintenance's."""
    rows = (
        Fault.objects.filter(reported_at__gte=start, reported_at__lt=end)
        .values("elevator__district_id")
        .annotate(
            faults=Count("id"),
            entrapments=Count("id", filter=Q(kind=FaultKind.ENTRAPMENT)),
            arrived_within_limit=Count("id", filter=Q(kind=FaultKind.ENTRAPMENT) & within_limit_q()),
            accidents=Count("id", filter=accident_q()),
        )
        .order_by()
    )
    return {row.pop("elevator__district_id"): row for row in rows}


def _complaint_counts(*, start, end) -> dict[int, dict]:
    """Per district: complaints received in the month and complaints answered in the month. One query."""
    received = Q(created_at__gte=start, created_at__lt=end)
    resolved = Q(resolved_at__gte=start, resolved_at__lt=end)
    rows = (
        Complaint.objects.filter(received | resolved)
        .values("district_id")
        .annotate(complaints_received=Count("id", filter=received), complaints_resolved=Count("id", filter=resolved))
        .order_by()
    )
    return {row.pop("district_id"): row for row in rows}


def _with_rates(figures: dict) -> dict:
    figures["inspection_overdue_rate"] = _ratio(figures["inspection_overdue"], figures["elevators_in_use"])
    figures["maintenance_overdue_rate"] = _ratio(figures["maintenance_overdue"], figures["elevators_in_use"])
    figures["arrival_rate"] = _ratio(figures["arrived_within_limit"], figures["entrapments"])
    return figures


def _warnings(row: dict) -> list[dict]:
    """Plan §2(10) 预警信息 for one district's figures."""
    name = row["name"]
    found = []
    if row["accidents"]:
        found.append(
            {
                "level": "danger",
                "kind": "accident",
                "message": _("%(name)s本月发生%(n)d起困人2小时以上的电梯事故。")
                % {"name": name, "n": row["accidents"]},
            }
        )
    rate = row["inspection_overdue_rate"]
    if rate is not None and rate > INSPECTION_OVERDUE_WARNING_RATE:
        found.append(
            {
                "level": "warning",
                "kind": "inspection_overdue",
                "message": _("%(name)s在用电梯超期未检率为%(rate).1f%%，高于%(limit).0f%%。")
                % {"name": name, "rate": rate * 100, "limit": INSPECTION_OVERDUE_WARNING_RATE * 100},
            }
        )
    rate = row["maintenance_overdue_rate"]
    if rate is not None and rate > MAINTENANCE_OVERDUE_WARNING_RATE:
        found.append(
            {
                "level": "warning",
                "kind": "maintenance_overdue",
                "message": _("%(name)s在用电梯超期未维保率为%(rate).1f%%，高于%(limit).0f%%。")
                % {"name": name, "rate": rate * 100, "limit": MAINTENANCE_OVERDUE_WARNING_RATE * 100},
            }
        )
    rate = row["arrival_rate"]
    if rate is not None and rate < ARRIVAL_WARNING_RATE:
        found.append(
            {
                "level": "warning",
                "kind": "arrival",
                "message": _("%(name)s困人救援%(limit)d分钟内到达率为%(rate).1f%%，低于%(target).0f%%。")
                % {
                    "name": name,
                    "limit": row["arrival_limit_minutes"],
                    "rate": rate * 100,
                    "target": ARRIVAL_WARNING_RATE * 100,
                },
            }
        )
    for warning in found:
        warning["district"] = row["code"]
    return found


def bulletin_for_month(*, year: int, month: int) -> dict:
    """The public bulletin of one month: city and district figures and the warnings (plan §2(10)).

    Four queries: districts, elevators (with subqueries for the state at the month's end), faults, complaints.
    Only counts and rates: nothing personal and nothing about a single company.
    """
    first_day = date(year, month, 1)
    last_day = date(year, month, calendar.monthrange(year, month)[1])
    start, end = day_bounds(first_day, last_day)

    elevators = _elevator_counts(last_day=last_day, end=end)
    faults = _fault_counts(start=start, end=end)
    complaints = _complaint_counts(start=start, end=end)
    seen = set(elevators) | set(faults) | set(complaints)

    districts = []
    for district in District.objects.order_by("code"):
        if district.level == DistrictLevel.CITY and district.pk not in seen:
            continue
        row = {
            "code": district.code,
            "name": district.name,
            "arrival_limit_minutes": arrival_limit_minutes(district.code),
        }
        for source in (elevators, faults, complaints):
            row.update(source.get(district.pk, {}))
        for field in COUNT_FIELDS:
            row.setdefault(field, 0)
        districts.append(_with_rates(row))

    city = _with_rates({field: sum(row[field] for row in districts) for field in COUNT_FIELDS})
    warnings = [warning for row in districts for warning in _warnings(row)]
    return {
        "period": {
            "year": year,
            "month": month,
            "label": f"{year:04d}-{month:02d}",
            "start": first_day.isoformat(),
            "end": last_day.isoformat(),
        },
        "city": city,
        "districts": districts,
        "warnings": warnings,
        "thresholds": {
            "inspection_overdue_rate": INSPECTION_OVERDUE_WARNING_RATE,
            "maintenance_overdue_rate": MAINTENANCE_OVERDUE_WARNING_RATE,
            "arrival_rate": ARRIVAL_WARNING_RATE,
            "maintenance_interval_days": settings.MAINTENANCE_INTERVAL_DAYS,
            "accident_minutes": settings.ENTRAPMENT_ACCIDENT_MINUTES,
        },
    }
