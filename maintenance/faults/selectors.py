"""Reads of faults: the lists, the rescue statistics, and the per-firm counts the credit evaluation uses."""

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import (
    Avg,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
)
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import access
from elevator_portal.dates import day_bounds
from maintenance.choices import FaultCause, FaultKind
from maintenance.models import Fault
from registry.choices import DistrictLevel, ElevatorStatus
from registry.models import District, Elevator

from .rules import DAYS_PER_MONTH, accident_q, arrival_limit_minutes, limit_expression, within_limit_q


def fault_list(*, user) -> QuerySet:
    """The faults a user may see, with what lists and the API show (elevator, district, firm: no N+1)."""
    return access.faults_for(user).select_related("elevator__district", "firm").order_by("-reported_at", "-id")


def elevator_for_code(*, user, code: str) -> Elevator | None:
    """The elevator the user may report about with this registration code (20 digits) or rescue code (5-6 digits)."""
    code = (code or "").strip()
    if not code.isdigit():
        return None
    field = "registration_code" if len(code) == 20 else "rescue_code"
    return access.elevators_to_report_for(user).select_related("district").filter(**{field: code}).first()


@dataclass
class DistrictRescueStats:
    """Entrapment rescue figures of one district (or the city total) over a period."""

    district_id: int | None
    code: str
    name: str
    limit_minutes: int | None  # None for the city total, where the districts' limits differ
    elevators: int  # elevators in use in scope now
    entrapments: int
    arrived: int  # entrapments with an arrival recorded
    within_limit: int
    accidents: int
    mean_arrival_minutes: float | None
    within_rate: float | None  # within_limit / entrapments; an arrival not recorded is not in time
    per_100_per_month: float | None

    @property
    def late(self) -> int:
        return self.arrived - self.within_limit

    @property
    def not_arrived(self) -> int:
        return self.entrapments - self.arrived


@dataclass
class RescueStatistics:
    since: date
    until: date
    months: float
    rows: list[DistrictRescueStats]
    total: DistrictRescueStats


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def fault_statistics(*, user, since: date, until: date) -> RescueStatistics:
    """Entrapment rescue per district and for the city, for the dashboards (TSG T5002 §5; 条例 §64).

    For entrapments reported from `since` to `until` (local dates, inclusive), in the user's scope: how many;
    how many the firm reached within the district's limit (arriving exactly at the limit is in time; an entrapment
    with no arrival recorded is not in time) and that share of all entrapments; the mean arrival minutes of those
    with an arrival; accidents (trapped 2 hours or more); and entrapments per 100 elevators in use per month.
    Every rate is None when its denominator is 0. Three queries (districts, elevators, faults), whatever the
    number of faults.
    """
    start, end = day_bounds(since, until)
    days = (until - since).days + 1
    months = days / DAYS_PER_MONTH if days > 0 else 0.0

    elevators = dict(
        access.elevators_for(user)
        .filter(status=ElevatorStatus.IN_USE)
        .values("district_id")
        .annotate(n=Count("id"))
        .values_list("district_id", "n")
    )
    arrival = ExpressionWrapper(F("arrived_at") - F("reported_at"), output_field=DurationField())
    faults = {
        row["elevator__district_id"]: row
        for row in (
            access.faults_for(user)
            .filter(kind=FaultKind.ENTRAPMENT, reported_at__gte=start, reported_at__lt=end)
            .values("elevator__district_id")
            .annotate(
                entrapments=Count("id"),
                arrived=Count("id", filter=Q(arrived_at__isnull=False)),
                within=Count("id", filter=within_limit_q()),
                accidents=Count("id", filter=accident_q()),
                mean=Avg(arrival, filter=Q(arrived_at__isnull=False)),
            )
            .order_by()
        )
    }

    seen = set(elevators) | set(faults)
    city_wide = access.is_city_wide(user)
    home = user.district_id if access.is_regulator(user) and not city_wide else None
    rows = []
    for district in District.objects.order_by("code"):
        in_scope = (district.level != DistrictLevel.CITY) if city_wide else district.pk == home
        if not (in_scope or district.pk in seen):
            continue
        f = faults.get(district.pk, {})
        n_elevators, entrapments = elevators.get(district.pk, 0), f.get("entrapments", 0)
        mean = f.get("mean")
        rows.append(
            DistrictRescueStats(
                district_id=district.pk,
                code=district.code,
                name=district.name,
                limit_minutes=arrival_limit_minutes(district.code),
                elevators=n_elevators,
                entrapments=entrapments,
                arrived=f.get("arrived", 0),
                within_limit=f.get("within", 0),
                accidents=f.get("accidents", 0),
                mean_arrival_minutes=mean.total_seconds() / 60 if mean is not None else None,
                within_rate=_ratio(f.get("within", 0), entrapments),
                per_100_per_month=_ratio(entrapments * 100, n_elevators * months),
            )
        )

    n_elevators = sum(r.elevators for r in rows)
    entrapments = sum(r.entrapments for r in rows)
    arrived = sum(r.arrived for r in rows)
    within = sum(r.within_limit for r in rows)
    arrival_total = sum(r.mean_arrival_minutes * r.arrived for r in rows if r.mean_arrival_minutes is not None)
    total = DistrictRescueStats(
        district_id=None,
        code="",
        name=_("合计"),
        limit_minutes=None,
        elevators=n_elevators,
        entrapments=entrapments,
        arrived=arrived,
        within_limit=within,
        accidents=sum(r.accidents for r in rows),
        mean_arrival_minutes=_ratio(arrival_total, arrived),
        within_rate=_ratio(within, entrapments),
        per_100_per_month=_ratio(entrapments * 100, n_elevators * months),
    )
    return RescueStatistics(since=since, until=until, months=months, rows=rows, total=total)


def late_entrapments(*, user, since: date, until: date, now: datetime | None = None) -> QuerySet:
    """Entrapments in scope and period where the firm came late (TSG T5002 §5): arrived after the district's
    limit, or not recorded as arrived and the limit has passed. One query."""
    start, end = day_bounds(since, until)
    now = now or timezone.now()
    return (
        fault_list(user=user)
        .alias(deadline=F("reported_at") + limit_expression())
        .filter(
            Q(arrived_at__gt=F("deadline")) | Q(arrived_at__isnull=True, deadline__lt=now),
            kind=FaultKind.ENTRAPMENT,
            reported_at__gte=start,
            reported_at__lt=end,
        )
    )


def accidents_by_firm(*, since: date, until: date) -> dict[int, list[Fault]]:
    """Accidents per maintenance firm for the credit evaluation (plan §2(2); 条例 §64).

    An accident is an entrapment whose people were released ENTRAPMENT_ACCIDENT_MINUTES (2 hours) or more after
    the report, or not released 2 hours after it (the same rule as `is_accident`, `accident_q`). Faults reported
    from `since` to `until` (local dates, inclusive), charged to the firm recorded on the fault (the elevator's firm
    when it was reported). Firms without accidents are absent. One query; each fault has its elevator loaded.
    """
    start, end = day_bounds(since, until)
    result: dict[int, list[Fault]] = {}
    for fault in (
        Fault.objects.filter(accident_q(), firm__isnull=False, reported_at__gte=start, reported_at__lt=end)
        .select_related("elevator")
        .order_by("reported_at", "id")
    ):
        result.setdefault(fault.firm_id, []).append(fault)
    return result


def failure_faults(*, since: date, until: date) -> QuerySet:
    """Failures for the credit evaluation (plan §2(2)): faults of any kind reported from `since` to `until` (local
    dates, inclusive) whose cause is not external (a power cut is not the firm's doing; causes still unknown count),
    charged to the firm recorded on the fault (the elevator's firm when it was reported)."""
    start, end = day_bounds(since, until)
    return Fault.objects.filter(firm__isnull=False, reported_at__gte=start, reported_at__lt=end).exclude(
        cause=FaultCause.EXTERNAL
    )


def failures_by_firm(*, since: date, until: date) -> dict[int, int]:
    """The `failure_faults` counted per maintenance firm; firms without failures are absent. One query."""
    rows = failure_faults(since=since, until=until).values("firm_id").annotate(n=Count("id")).order_by()
    return {row["firm_id"]: row["n"] for row in rows}
