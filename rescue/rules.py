"""The rescue loop's time rules for one incident, as pure functions (docs/rules.md "Entrapment rescue loop"; plan
§2(10); TSG T5002-2017 §5). The ladder, the console, the API and the resident's page all read them here.

- acknowledged in time: by report + RESCUE_ACK_MINUTES (exactly at the limit is in time);
- the second rung: not acknowledged by report + RESCUE_ESCALATE_MINUTES;
- arrival: by report + the district's limit (maintenance.faults.rules.arrival_limit_minutes; exactly at it is in
  time), warned RESCUE_ARRIVAL_WARNING_MINUTES before it.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from maintenance.faults.rules import fault_limit_minutes
from maintenance.models import Fault

# The incident's stages, furthest first: an incident is at the furthest step whose time is recorded.
STAGES = (
    ("released", "released_at", _("已解救")),
    ("arrived", "arrived_at", _("已到达")),
    ("dispatched", "dispatched_at", _("已派出")),
    ("acknowledged", "acknowledged_at", _("已接警")),
)
REPORTED_LABEL = _("待接警")


def incident_stage(fault: Fault) -> tuple[str, str]:
    """(code, label): reported (待接警) → acknowledged → dispatched → arrived → released."""
    return next(
        ((code, str(label)) for code, field, label in STAGES if getattr(fault, field) is not None),
        ("reported", str(REPORTED_LABEL)),
    )


def ack_deadline(fault: Fault) -> datetime:
    return fault.reported_at + timedelta(minutes=settings.RESCUE_ACK_MINUTES)


def escalate_at(fault: Fault) -> datetime:
    return fault.reported_at + timedelta(minutes=settings.RESCUE_ESCALATE_MINUTES)


def arrival_deadline(fault: Fault) -> datetime:
    """The district's arrival limit after the report (needs the elevator's district loaded)."""
    return fault.reported_at + timedelta(minutes=fault_limit_minutes(fault))


def arrival_warning_at(fault: Fault) -> datetime:
    return arrival_deadline(fault) - timedelta(minutes=settings.RESCUE_ARRIVAL_WARNING_MINUTES)


def late_for(deadline: datetime, done_at: datetime | None, now: datetime) -> bool:
    """At `now`, past `deadline` without the step done by then (done exactly at the deadline is in time)."""
    return now > deadline and (done_at is None or done_at > deadline)


def deadline_status(fault: Fault, *, now: datetime) -> str:
    """The arrival deadline's state for the console: ok, warn (the last minutes), late; once arrived, arrived_ok or
    arrived_late."""
    deadline = arrival_deadline(fault)
    if fault.arrived_at is not None:
        return "arrived_ok" if fault.arrived_at <= deadline else "arrived_late"
    if now > deadline:
        return "late"
    return "warn" if now >= arrival_warning_at(fault) else "ok"
