"""Writes of the rescue loop: reports that open or join an incident, the dispatch, acknowledgement and the rescue
stamps, the centre's call log, and the firms' duty roster. docs/rules.md "Entrapment rescue loop" (plan §2(10);
TSG T5002-2017 §5; 特种设备安全监察条例 §64).

The incident is the open entrapment `maintenance.Fault` of an elevator; its times are written by
maintenance.faults.services (one rule for the order of the times, whoever writes them)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import access
from maintenance.choices import FaultKind, FaultSource
from maintenance.faults.services import CLOCK_SKEW, fault_stamp
from maintenance.models import Fault
from registry.models import Elevator

from .choices import DutyLevel, ReportSource, Step
from .messages import write_step_messages
from .models import DutyShift, IncidentCall, IncidentReport, RescueStep
from .recipients import firm_contacts, use_unit_contacts
from .selectors import open_incident_q


@dataclass(frozen=True)
class Joined:
    """The result of a report: the incident it opened or joined, and the report row."""

    fault: Fault
    report: IncidentReport
    created: bool  # True when this report opened the incident


def _fault_source(source: str, user) -> str:
    if source in (ReportSource.WEB, ReportSource.OPEN311):
        return FaultSource.COMPLAINT
    if source == ReportSource.IOT:
        return FaultSource.IOT
    if user is not None and access.works_for_firm(user):
        return FaultSource.FIRM
    if (
        user is not None
        and user.is_authenticated
        and getattr(user, "organization_id", None)
        and not (access.is_regulator(user) or access.is_rescue_centre(user))
    ):
        return FaultSource.USE_UNIT
    return FaultSource.HOTLINE


def incident_report(
    *,
    elevator: Elevator,
    source: str,
    reported_at: datetime | None = None,
    user=None,
    reporter: str = "",
    phone: str = "",
    note: str = "",
    trapped_people: int = 0,
    external_ref: str = "",
) -> Joined:
    """Someone is trapped in `elevator`: open an incident and dispatch it, or join the one already open.

    Plan §2(10): one incident per trapped event, whatever the channel. The elevator's row lock serialises reports of
    one elevator, so two reports at the same moment make one incident and one dispatch. A report with an
    `external_ref` already recorded for its source (a retried IoT event, a partner's resend) returns what it made
    the first time. `user` is the signed-in reporter (checked with access.can_record_fault); the public form, Open311
    and devices pass None and answer for their own checks (rate limit, partner key, device signature).

    The dispatch messages are written to the outbox in this transaction (notifications.outbox)."""
    if user is not None and not access.can_record_fault(user, elevator):
        raise PermissionDenied(_("只有该电梯的维保单位、使用单位、96333中心或辖区监管部门可以登记困人。"))
    if source not in ReportSource.values:
        raise ValidationError({"source": _("报告来源“%(value)s”无效。") % {"value": source}})
    now = timezone.now()
    reported_at = reported_at or now
    if timezone.is_naive(reported_at):
        raise ValidationError({"reported_at": _("报告时间必须带时区。")})
    if reported_at > now + CLOCK_SKEW:
        raise ValidationError({"reported_at": _("报告时间不能晚于当前时间。")})
    if trapped_people < 0 or trapped_people > 50:
        raise ValidationError({"trapped_people": _("被困人数应在0到50之间。")})
    external_ref = (external_ref or "").strip()[:64]
    with transaction.atomic():
        locked = Elevator.objects.select_for_update().select_related("district").get(pk=elevator.pk)
        if external_ref:
            seen = IncidentReport.objects.filter(source=source, external_ref=external_ref).select_related("fault")
            if (report := seen.first()) is not None:
                return Joined(fault=report.fault, report=report, created=False)
        fault = Fault.objects.filter(open_incident_q(now=now), elevator=locked).order_by("reported_at").first()
        created = fault is None
        if created:
            fault = Fault(
                elevator=locked,
                firm_id=locked.maintenance_firm_id,
                source=_fault_source(source, user),
                kind=FaultKind.ENTRAPMENT,
                trapped_people=trapped_people,
                reported_at=reported_at,
                description=(note or "").strip()[:2000],
                created_by=user if getattr(user, "is_authenticated", False) else None,
            )
            fault.full_clean()
            fault._history_user = fault.created_by
            fault.save()
        else:
            Fault.objects.filter(pk=fault.pk).update(reports=F("reports") + 1)
            if trapped_people > fault.trapped_people:
                Fault.objects.filter(pk=fault.pk).update(trapped_people=trapped_people)
            fault.refresh_from_db(fields=["reports", "trapped_people"])
        fault.elevator = locked
        report = IncidentReport.objects.create(
            fault=fault,
            source=source,
            reported_at=reported_at,
            reporter=(reporter or "").strip()[:50],
            phone=(phone or "").strip()[:20],
            note=(note or "").strip()[:500],
            external_ref=external_ref,
            opened=created,
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        if created:
            incident_dispatch(fault, now=now)
    return Joined(fault=fault, report=report, created=created)


def take_step(fault: Fault, step: str, contacts, *, now: datetime) -> bool:
    """Take an escalation step once: its ledger row and its messages in one transaction. Returns False when the
    step was taken already (by an earlier run or by another worker at this moment)."""
    try:
        with transaction.atomic():
            row, created = RescueStep.objects.get_or_create(fault=fault, step=step, defaults={"taken_at": now})
            if not created:
                return False
            row.recipients = write_step_messages(fault, step, list(contacts), now=now)
            row.save(update_fields=["recipients"])
    except IntegrityError:  # another worker took the step between our read and our insert
        return False
    return True


def incident_dispatch(fault: Fault, *, now: datetime) -> bool:
    """Tell the firm's people on call and the use unit's safety managers, on every channel (plan §2(10):
    使用单位为主、维保单位为辅)."""
    contacts = firm_contacts(fault.firm_id, now=now, level=DutyLevel.ON_CALL) + use_unit_contacts(
        fault.elevator.use_unit_id, today=timezone.localdate(now)
    )
    return take_step(fault, Step.DISPATCH, contacts, now=now)


def incident_acknowledge(*, user, fault: Fault) -> Fault:
    """The firm takes the alarm (接警), or the 96333 centre records that it did. Once: a second tap says when."""
    if not access.can_update_fault(user, fault):
        raise PermissionDenied(_("只有该事件的维保单位、使用单位、96333中心或辖区监管部门可以接警。"))
    now = timezone.now().replace(microsecond=0)
    with transaction.atomic():
        locked = Fault.objects.select_for_update().get(pk=fault.pk)
        if locked.acknowledged_at is not None:
            raise ValidationError(
                {
                    "acknowledged_at": _("已于%(time)s接警。")
                    % {"time": timezone.localtime(locked.acknowledged_at).strftime("%Y-%m-%d %H:%M:%S")}
                }
            )
        if locked.released_at is not None:
            raise ValidationError({"acknowledged_at": _("被困人员已解救，无需接警。")})
        locked.acknowledged_at = max(now, locked.reported_at)
        locked._history_user = user
        locked.save(update_fields=["acknowledged_at"])
    fault.acknowledged_at = locked.acknowledged_at
    return fault


def incident_stamp(*, user, fault: Fault, step: str) -> Fault:
    """Dispatched, arrived or released, stamped now (the console's buttons). Arrival or release without an
    acknowledgement acknowledges too: someone plainly took the alarm."""
    fault = fault_stamp(user=user, fault=fault, step=step)
    if fault.acknowledged_at is None:
        with transaction.atomic():
            locked = Fault.objects.select_for_update().get(pk=fault.pk)
            if locked.acknowledged_at is None:
                locked.acknowledged_at = locked.dispatched_at or locked.arrived_at or locked.released_at
                locked._history_user = user  # the timeline says who
                locked.save(update_fields=["acknowledged_at"])
        fault.acknowledged_at = locked.acknowledged_at
    return fault


def incident_log_call(*, user, fault: Fault, party: str, service: str = "", note: str = "", at=None) -> IncidentCall:
    """The 96333 centre logs a call about an incident and the public services involved (119/110/120)."""
    if not access.can_log_rescue_calls(user, fault):
        raise PermissionDenied(_("只有96333中心或辖区监管部门可以记录通话。"))
    call = IncidentCall(
        fault=fault,
        at=at or timezone.now().replace(microsecond=0),
        party=(party or "").strip(),
        service=service or "",
        note=(note or "").strip(),
        created_by=user,
    )
    call.full_clean()
    call.save()
    return call


def duty_shift_save(*, user, shift: DutyShift) -> DutyShift:
    """Create or change a shift of the user's firm's roster (the firm keeps its own roster)."""
    if not access.can_manage_duty_roster(user, shift.firm_id):
        raise PermissionDenied(_("只有本维保单位的人员可以编辑值班安排。"))
    if shift.ends_at and shift.starts_at and shift.ends_at - shift.starts_at > timedelta(days=31):
        raise ValidationError({"ends_at": _("一个班次不能超过31天。")})
    shift.full_clean()
    shift._history_user = user
    shift.save()
    return shift


def duty_shift_delete(*, user, shift: DutyShift) -> None:
    if not access.can_manage_duty_roster(user, shift.firm_id):
        raise PermissionDenied(_("只有本维保单位的人员可以编辑值班安排。"))
    shift._history_user = user
    shift.delete()
