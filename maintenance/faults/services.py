"""Writes of faults and entrapment rescue: reporting, rescue timings and the quick stamps.

The reported, dispatched, arrived and released times are recorded, in that order, and never in the future
(TSG T5002 §5; docs/rules.md "Entrapment rescue").
"""

from datetime import datetime, timedelta
from itertools import pairwise

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import access
from maintenance.choices import FaultCause, FaultKind
from maintenance.models import Fault
from registry.models import Elevator

# Devices and phones whose clocks run slightly ahead are not "in the future".
CLOCK_SKEW = timedelta(minutes=2)
# The rescue steps in the order they must happen (TSG T5002 §5): reported ≤ dispatched ≤ arrived ≤ released.
TIMING_FIELDS = ("reported_at", "dispatched_at", "arrived_at", "released_at")
# The quick buttons of the detail page: step → field stamped with the current time.
STAMP_STEPS = {"dispatched": "dispatched_at", "arrived": "arrived_at", "released": "released_at"}


def _label(field: str) -> str:
    return str(Fault._meta.get_field(field).verbose_name)


def _local(value: datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")


def _check_aware_and_past(field: str, value: datetime, now: datetime) -> None:
    if timezone.is_naive(value):
        raise ValidationError({field: _("%(field)s必须带时区。") % {"field": _label(field)}})
    if value > now + CLOCK_SKEW:
        raise ValidationError({field: _("%(field)s不能晚于当前时间。") % {"field": _label(field)}})


@transaction.atomic
def fault_report(
    *,
    user,
    elevator: Elevator,
    source: str,
    kind: str,
    reported_at: datetime,
    description: str = "",
    trapped_people: int = 0,
    cause: str = FaultCause.UNKNOWN,
    external_ref: str = "",
) -> Fault:
    """Record a fault or an entrapment (from the firm, the use unit, the 96333 platform or an IoT system).

    The fault is charged to the elevator's maintenance firm at the time of the report, so a later change of
    contract does not move it (TSG T5002 §5; plan §2(2) credit evaluation).
    """
    if not access.can_record_fault(user, elevator):
        raise PermissionDenied(_("只有该电梯的维保单位、使用单位或辖区监管部门可以登记故障。"))
    now = timezone.now()
    if reported_at is None:
        raise ValidationError({"reported_at": _("请填写报告时间。")})
    _check_aware_and_past("reported_at", reported_at, now)
    if trapped_people and kind != FaultKind.ENTRAPMENT:
        raise ValidationError({"kind": _("有人被困时，故障类型应为“困人”。")})
    # The row lock serialises reports of one elevator, so a retried IoT report cannot slip in twice.
    elevator = Elevator.objects.select_for_update().get(pk=elevator.pk)
    external_ref = (external_ref or "").strip()
    if external_ref:
        existing = Fault.objects.filter(elevator=elevator, source=source, external_ref=external_ref).first()
        if existing is not None:
            raise ValidationError(
                {
                    "external_ref": _("外部编号“%(ref)s”已登记（故障 #%(pk)d），请勿重复上报。")
                    % {"ref": external_ref, "pk": existing.pk}
                }
            )
    fault = Fault(
        elevator=elevator,
        firm_id=elevator.maintenance_firm_id,
        source=source,
        kind=kind,
        cause=cause,
        description=(description or "").strip(),
        trapped_people=trapped_people or 0,
        reported_at=reported_at,
        external_ref=external_ref,
        created_by=user,
    )
    fault.full_clean()
    fault._history_user = user
    fault.save()
    return fault


def _write_timings(*, user, fault: Fault, times: dict[str, datetime], cause: str | None, stamp: bool) -> Fault:
    """Check and write rescue times under a row lock, against the stored values (two people may tap at once)."""
    if not access.can_update_fault(user, fault):
        raise PermissionDenied(_("只有该故障的维保单位、电梯使用单位或辖区监管部门可以更新救援时间。"))
    if cause is not None and cause not in FaultCause.values:
        raise ValidationError({"cause": _("故障原因“%(value)s”无效。") % {"value": cause}})
    now = timezone.now()
    for field, value in times.items():
        _check_aware_and_past(field, value, now)
    with transaction.atomic():
        locked = Fault.objects.select_for_update().get(pk=fault.pk)
        changed = []
        for field, value in times.items():
            stored = getattr(locked, field)
            if stored == value and not stamp:
                continue  # a retried request
            if stored is not None and (stamp or not access.is_regulator(user)):
                # The times are evidence for the firm's credit grade (plan §2(2)): once recorded, only a
                # regulator corrects them, and the history keeps who did.
                raise ValidationError(
                    {
                        field: _("%(field)s已记录为%(time)s，如需更正请联系监管部门。")
                        % {"field": _label(field), "time": _local(stored)}
                    }
                )
            setattr(locked, field, value)
            changed.append(field)
        _check_order(locked, changed)
        if cause is not None and cause != locked.cause:
            locked.cause = cause
            changed.append("cause")
        if changed:
            locked._history_user = user
            locked.save(update_fields=changed)
    for field in TIMING_FIELDS + ("cause",):
        setattr(fault, field, getattr(locked, field))
    return fault


def _check_order(fault: Fault, changed: list[str]) -> None:
    """TSG T5002 §5: reported ≤ dispatched ≤ arrived ≤ released. Steps may be missing (a firm already on site
    is never dispatched); the error names the field being written."""
    present = [(f, getattr(fault, f)) for f in TIMING_FIELDS if getattr(fault, f) is not None]
    for (earlier, early_value), (later, late_value) in pairwise(present):
        if late_value >= early_value:
            continue
        if later in changed or earlier not in changed:
            raise ValidationError(
                {
                    later: _("%(later)s不能早于%(earlier)s（%(time)s）。")
                    % {"later": _label(later), "earlier": _label(earlier), "time": _local(early_value)}
                }
            )
        raise ValidationError(
            {
                earlier: _("%(earlier)s不能晚于%(later)s（%(time)s）。")
                % {"earlier": _label(earlier), "later": _label(later), "time": _local(late_value)}
            }
        )


def fault_update_timings(
    *,
    user,
    fault: Fault,
    dispatched_at: datetime | None = None,
    arrived_at: datetime | None = None,
    released_at: datetime | None = None,
    cause: str | None = None,
) -> Fault:
    """Record the rescue times (and the cause once known); None leaves a value as it is.

    TSG T5002 §5: times in order reported ≤ dispatched ≤ arrived ≤ released, none in the future. The firm of the
    fault, the use unit, or regulators in scope may write; a recorded time is corrected only by a regulator.
    """
    times = {
        f: v
        for f, v in (("dispatched_at", dispatched_at), ("arrived_at", arrived_at), ("released_at", released_at))
        if v is not None
    }
    return _write_timings(user=user, fault=fault, times=times, cause=cause, stamp=False)


def stampable_steps(fault: Fault) -> list[str]:
    """The steps a tap can still record: those after the latest one recorded (a later step being known, an
    earlier one stamped now would be out of order)."""
    steps = list(STAMP_STEPS)
    recorded = [i for i, step in enumerate(steps) if getattr(fault, STAMP_STEPS[step]) is not None]
    return steps[recorded[-1] + 1 :] if recorded else steps


def fault_stamp(*, user, fault: Fault, step: str) -> Fault:
    """One tap on the scene: stamp the current time as dispatched, arrived or released (已派出/已到达/已解救).
    A step already stamped is refused, so a double tap does not move the time."""
    field = STAMP_STEPS.get(step)
    if field is None:
        raise ValidationError(_("未知的救援步骤。"))
    # Whole seconds, but never before a step already recorded within the same second (an IoT alarm tapped at once).
    recorded = [getattr(fault, f) for f in TIMING_FIELDS if getattr(fault, f) is not None]
    at = max([timezone.now().replace(microsecond=0), *recorded])
    return _write_timings(user=user, fault=fault, times={field: at}, cause=None, stamp=True)
