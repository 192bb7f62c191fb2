"""The escalation ladder (docs/rules.md "Entrapment rescue loop"; plan §2(10); TSG T5002-2017 §5; 条例 §64).

For every open incident, each step is taken once, when it falls due:

- ack_missed: not acknowledged by report + RESCUE_ACK_MINUTES (acknowledging exactly at the limit is in time):
  the firm's duty manager and the use unit;
- ack_missed_2: not acknowledged by report + RESCUE_ESCALATE_MINUTES: the district regulators and the 96333 centre;
- arrival_warning: not arrived RESCUE_ARRIVAL_WARNING_MINUTES before the district's arrival limit: the firm's people
  on call and its manager, the use unit;
- arrival_missed: not arrived by the limit (arriving exactly at it is in time): the same, the district regulators
  and the 96333 centre;
- accident: not released 2 hours after the report (条例 §64): the city and district regulators and the 96333 centre
  (maintenance.faults.jobs), and an Accident record.

Released ends the ladder. Each step is a RescueStep row under a unique key, written with its outbox messages in one
transaction: a second run, or two workers at the same moment, takes no step twice.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from maintenance.faults.jobs import entrapment_accidents_run
from maintenance.models import Fault

from .choices import DutyLevel, Step
from .models import Accident, RescueStep
from .recipients import firm_contacts, regulator_contacts, use_unit_contacts
from .rules import ack_deadline, arrival_deadline, arrival_warning_at, escalate_at, late_for
from .selectors import open_incident_q
from .services import take_step


@dataclass
class LadderRun:
    open: int = 0
    steps: int = 0
    accidents: int = 0


def due_steps(fault: Fault, *, now: datetime) -> list[str]:
    """The steps due for an incident at `now` (whether taken already is the ledger's business)."""
    if fault.released_at is not None:
        return []
    due = []
    if late_for(ack_deadline(fault), fault.acknowledged_at, now):
        due.append(Step.ACK_MISSED)
    if late_for(escalate_at(fault), fault.acknowledged_at, now):
        due.append(Step.ACK_MISSED_2)
    if fault.arrived_at is None:
        if now >= arrival_warning_at(fault):
            due.append(Step.ARRIVAL_WARNING)
        if now > arrival_deadline(fault):
            due.append(Step.ARRIVAL_MISSED)
    return due


def _contacts(fault: Fault, step: str, *, now: datetime):
    firm, use_unit, district = fault.firm_id, fault.elevator.use_unit_id, fault.elevator.district_id
    today = timezone.localdate(now)
    if step == Step.ACK_MISSED:
        return firm_contacts(firm, now=now, level=DutyLevel.MANAGER) + use_unit_contacts(use_unit, today=today)
    if step == Step.ACK_MISSED_2:
        return regulator_contacts(district)
    rung = (
        firm_contacts(firm, now=now, level=DutyLevel.ON_CALL)
        + firm_contacts(firm, now=now, level=DutyLevel.MANAGER)
        + use_unit_contacts(use_unit, today=today)
    )
    if step == Step.ARRIVAL_MISSED:
        rung += regulator_contacts(district)
    return rung


def ladder_run(*, now: datetime | None = None) -> LadderRun:
    """Take every step due by `now` on every open incident, once; then the accident step (条例 §64)."""
    now = now or timezone.now()
    run = LadderRun()
    incidents = list(
        Fault.objects.filter(open_incident_q(now=now)).select_related("elevator", "elevator__district").order_by("pk")
    )
    run.open = len(incidents)
    taken = {
        (fault_id, step)
        for fault_id, step in RescueStep.objects.filter(fault__in=incidents).values_list("fault_id", "step")
    }
    for fault in incidents:
        for step in due_steps(fault, now=now):
            if (fault.pk, step) in taken:
                continue
            if take_step(fault, step, _contacts(fault, step, now=now), now=now):
                run.steps += 1
    entrapment_accidents_run(now=now)
    run.accidents = accident_records_write(now=now)
    return run


def accident_records_write(*, now: datetime) -> int:
    """An Accident row for every entrapment marked as an accident that has none yet (the record an investigation
    starts from); the one-to-one key makes it once."""
    marked = list(
        Fault.objects.filter(accident_at__isnull=False, accident__isnull=True)
        .filter(Q(released_at__isnull=True) | Q(accident_at__gte=now - timedelta(days=7)))
        .select_related("elevator")
        .order_by("pk")
    )
    Accident.objects.bulk_create(
        [Accident(fault=f, elevator=f.elevator, recorded_at=f.accident_at, summary=_summary(f)) for f in marked],
        ignore_conflicts=True,
    )
    return len(marked)


def _summary(fault: Fault) -> str:
    e = fault.elevator
    reported = timezone.localtime(fault.reported_at).strftime("%Y-%m-%d %H:%M")
    if fault.released_at is None:
        return _("%(code)s %(address)s：%(time)s报告有人被困，2小时后仍未解救。") % {
            "code": e.registration_code,
            "address": e.address,
            "time": reported,
        }
    minutes = int((fault.released_at - fault.reported_at).total_seconds() // 60)
    return _("%(code)s %(address)s：%(time)s报告有人被困，%(m)d分钟后解救。") % {
        "code": e.registration_code,
        "address": e.address,
        "time": reported,
        "m": minutes,
    }
