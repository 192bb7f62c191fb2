"""The rescue rules of faults and entrapments, as pure functions and as database expressions.

- TSG T5002 §5 and the city's rules: after an entrapment is reported, the maintenance firm arrives within 30 minutes
  in the city districts (东区, 西区, 仁和区) and within 1 hour elsewhere (米易县, 盐边县); settings
  RESCUE_ARRIVAL_MINUTES by division code, RESCUE_ARRIVAL_DEFAULT_MINUTES for any other district.
- 特种设备安全监察条例 §64: people trapped ENTRAPMENT_ACCIDENT_MINUTES (2 hours) or more count as an accident, and
  so does an entrapment still open 2 hours after the report (its people have been trapped that long already).

The Python helpers and the expressions read the same settings, so a page and a statistic never disagree.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import (
    Case,
    DurationField,
    F,
    Q,
    Value,
    When,
)
from django.utils import timezone
from django.utils.translation import gettext as _

from maintenance.choices import FaultKind
from maintenance.models import Fault

DAYS_PER_MONTH = 365.25 / 12  # average month length, for "per 100 elevators per month"


def arrival_limit_minutes(district_code: str | None) -> int:
    """Minutes the firm has to arrive at an entrapment in this district (TSG T5002 §5: 30 in the city
    districts, 60 in the counties; RESCUE_ARRIVAL_DEFAULT_MINUTES elsewhere)."""
    return settings.RESCUE_ARRIVAL_MINUTES.get(district_code, settings.RESCUE_ARRIVAL_DEFAULT_MINUTES)


def fault_limit_minutes(fault: Fault) -> int:
    return arrival_limit_minutes(fault.elevator.district.code)


def arrival_minutes(fault: Fault) -> float | None:
    """Minutes from the report to the firm's arrival; None while no arrival is recorded."""
    if fault.arrived_at is None:
        return None
    return (fault.arrived_at - fault.reported_at).total_seconds() / 60


def arrived_within_limit(fault: Fault) -> bool | None:
    """Whether the firm arrived at an entrapment within its district's limit (TSG T5002 §5); arriving exactly
    at the limit is in time. None for other faults (the limit is for rescues) and while no arrival is recorded."""
    minutes = arrival_minutes(fault)
    if fault.kind != FaultKind.ENTRAPMENT or minutes is None:
        return None
    return minutes <= fault_limit_minutes(fault)


def _accident_after() -> timedelta:
    return timedelta(minutes=settings.ENTRAPMENT_ACCIDENT_MINUTES)


def is_accident(fault: Fault, *, now: datetime | None = None) -> bool:
    """An entrapment whose people were trapped ENTRAPMENT_ACCIDENT_MINUTES (2 hours) or more (条例 §64); twin of
    accident_q.

    Released: the recorded duration decides. Not released: an accident from the moment 2 hours have passed since the
    report (2:00:00 is one), or once the alert job has marked it (accident_at)."""
    if fault.kind != FaultKind.ENTRAPMENT:
        return False
    if fault.released_at is not None:
        return fault.released_at - fault.reported_at >= _accident_after()
    return fault.accident_at is not None or (now or timezone.now()) - fault.reported_at >= _accident_after()


@dataclass(frozen=True)
class Rescue:
    """What a page shows about one fault's rescue: the limit, the arrival, and whether it is late."""

    limit_minutes: int | None
    arrival_minutes: float | None
    within_limit: bool | None
    overdue: bool  # an entrapment with no arrival recorded and the limit already passed
    accident: bool
    stage: str


def rescue_status(fault: Fault, *, now: datetime | None = None) -> Rescue:
    """The rescue status of one fault for display (no queries if the elevator's district is loaded)."""
    now = now or timezone.now()
    entrapment = fault.kind == FaultKind.ENTRAPMENT
    limit = fault_limit_minutes(fault) if entrapment else None
    if fault.released_at:
        stage = _("已解救") if entrapment else _("已恢复")
    elif fault.arrived_at:
        stage = _("已到达")
    elif fault.dispatched_at:
        stage = _("已派出")
    else:
        stage = _("待派出")
    overdue = bool(entrapment and fault.arrived_at is None and now - fault.reported_at > timedelta(minutes=limit))
    return Rescue(
        limit_minutes=limit,
        arrival_minutes=arrival_minutes(fault),
        within_limit=arrived_within_limit(fault),
        overdue=overdue,
        accident=is_accident(fault, now=now),
        stage=stage,
    )


# The same rules as database expressions, for the aggregates.


def limit_expression(district_code_path: str = "elevator__district__code") -> Case:
    """The arrival limit of each row's district, as a duration (TSG T5002 §5; same settings as above)."""
    return Case(
        *[
            When(**{district_code_path: code}, then=Value(timedelta(minutes=minutes)))
            for code, minutes in settings.RESCUE_ARRIVAL_MINUTES.items()
        ],
        default=Value(timedelta(minutes=settings.RESCUE_ARRIVAL_DEFAULT_MINUTES)),
        output_field=DurationField(),
    )


def within_limit_q() -> Q:
    return Q(arrived_at__isnull=False, arrived_at__lte=F("reported_at") + limit_expression())


def accident_q(*, now: datetime | None = None) -> Q:
    """条例 §64 in SQL, twin of is_accident: an entrapment released ENTRAPMENT_ACCIDENT_MINUTES or more after the
    report, or not released and reported that long ago by `now` (or marked by the alert job).

    The open case changes with the clock alone, which no write records: a cached figure (dashboards.selectors keys
    its cache by a data version that writes raise) would keep counting the entrapment as no accident. The alert job
    (maintenance.faults.jobs) therefore marks it, accident_at, within minutes of the 2 hours: that UPDATE is the
    write that renews the cached figures, and accident_q reads the mark as well as the clock."""
    after = _accident_after()
    return Q(kind=FaultKind.ENTRAPMENT) & (
        Q(released_at__isnull=False, released_at__gte=F("reported_at") + after)
        | Q(released_at__isnull=True, accident_at__isnull=False)
        | Q(released_at__isnull=True, reported_at__lte=(now or timezone.now()) - after)
    )
