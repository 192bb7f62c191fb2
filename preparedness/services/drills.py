"""Writes of emergency plans and drills (plan §2(7) 应急专项预案; TSG T5002-2017: the maintenance firm drills with the
use unit at least every DRILL_INTERVAL_MONTHS months), and the daily drill reminder job.

Every rule of when a drill is due is preparedness.rules'; this module only files, plans, records and reminds.
"""

import hashlib
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import access
from elevator_portal.files import IMAGES, sniff
from maintenance.photos import UnreadablePhoto, strip_photo
from notifications.choices import ReminderKind
from notifications.models import Reminder
from notifications.services import (
    DigestLine,
    digests_for_organizations,
    notifications_send_digests,
    reminders_insert_from,
)
from registry.choices import ElevatorStatus, OrganizationKind
from registry.models import Elevator

from ..choices import ComplianceState, DrillScenario, DrillStatus
from ..files import file_cap_mb
from ..models import Drill, DrillPhoto, EmergencyPlan
from ..rules import drill_counted_from_expression, drill_due_on, drill_state_q, elevators_of_other_use_units

# The one reason text simple_history keeps with a change (its column holds 100 characters).
CANCEL_REASON_MAX = 100
# A drill's release time beyond this many minutes is a typing error, not a drill (平台 §2(10) counts in minutes).
RELEASE_MINUTES_MAX = 24 * 60


@dataclass(frozen=True)
class Upload:
    """An uploaded file as the services take it: its name (for messages only) and its bytes."""

    name: str
    data: bytes


def _too_big(upload: Upload) -> str | None:
    if len(upload.data) > settings.PREPAREDNESS_FILE_MAX_BYTES:
        return _("文件“%(name)s”过大，最大%(mb)sMB。") % {"name": upload.name, "mb": file_cap_mb()}
    return None


def _foreign_elevators(elevators, use_unit) -> list[str]:
    """Messages naming each elevator that is not the use unit's own."""
    return [
        _("电梯%(code)s不属于使用单位“%(unit)s”。") % {"code": e.registration_code, "unit": use_unit.name}
        for e in elevators_of_other_use_units(elevators, use_unit)
    ]


# ---------------------------------------------------------------- emergency plans


def emergency_plan_file(
    *, user, use_unit, title: str, version: str, adopted_on: date, document: Upload, elevators, today=None
) -> EmergencyPlan:
    """File a new version of a use unit's special emergency plan (应急专项预案, plan §2(7)) for its elevators."""
    if not access.can_manage_preparedness(user, use_unit):
        raise PermissionDenied(_("您不能为该使用单位登记应急预案。"))
    today = today or timezone.localdate()
    elevators = list(elevators)
    errors: dict[str, list[str]] = defaultdict(list)
    if use_unit.kind != OrganizationKind.USE_UNIT:
        errors["use_unit"].append(_("“%(name)s”不是使用单位。") % {"name": use_unit.name})
    if not elevators:
        errors["elevators"].append(_("请至少选择一台适用的电梯。"))
    errors["elevators"].extend(_foreign_elevators(elevators, use_unit))
    if adopted_on and adopted_on > today:
        errors["adopted_on"].append(_("发布日期不能晚于今天。"))
    if document is None or not document.data:
        errors["document"].append(_("请上传预案文件（PDF）。"))
    elif problem := _too_big(document):
        errors["document"].append(problem)
    elif sniff(document.data[:8]) != "pdf":
        # Typed by content, never by the name or the browser's word (elevator_portal.files).
        errors["document"].append(_("文件“%(name)s”不是PDF文件。") % {"name": document.name})
    title, version = (title or "").strip(), (version or "").strip()
    if title and version and EmergencyPlan.objects.filter(use_unit=use_unit, title=title, version=version).exists():
        errors["version"].append(_("该预案已有版本“%(v)s”，新版本请使用新的版本号。") % {"v": version})
    errors = {k: v for k, v in errors.items() if v}
    if errors:
        raise ValidationError(errors)
    plan = EmergencyPlan(use_unit=use_unit, title=title, version=version, adopted_on=adopted_on, created_by=user)
    plan.document = ContentFile(document.data, name=document.name)
    plan.full_clean(exclude=["document"])
    try:
        with transaction.atomic():
            plan.save()
            plan.elevators.set(elevators)
    except IntegrityError:
        # Two filings of the same version at once: the database's unique key decides, the second hears why.
        raise ValidationError(
            {"version": _("该预案已有版本“%(v)s”，新版本请使用新的版本号。") % {"v": version}}
        ) from None
    return plan


# ---------------------------------------------------------------- drills


def drill_plan(
    *, user, use_unit, firm=None, planned_on: date, scenario: str, elevators, plan: EmergencyPlan | None = None
) -> Drill:
    """Plan a drill of a use unit's elevators with their maintenance firm (TSG T5002-2017).

    The firm defaults to the elevators' maintenance firm; a firm plans drills only for elevators it maintains, the
    use unit only for its own elevators (access.can_record_drill)."""
    elevators = list(elevators)
    errors: dict[str, list[str]] = defaultdict(list)
    if not elevators:
        errors["elevators"].append(_("请至少选择一台电梯。"))
    errors["elevators"].extend(_foreign_elevators(elevators, use_unit))
    if firm is None:
        firms = {e.maintenance_firm_id for e in elevators if e.maintenance_firm_id}
        if len(firms) > 1:
            errors["firm"].append(_("所选电梯由不同的维保单位维保，请按维保单位分别计划演练。"))
        elif firms:
            firm = next(e.maintenance_firm for e in elevators if e.maintenance_firm_id)
    else:
        if firm.kind != OrganizationKind.MAINTENANCE:
            errors["firm"].append(_("“%(name)s”不是维保单位。") % {"name": firm.name})
        # TSG T5002-2017: the drill is with the firm that maintains the elevator.
        errors["elevators"].extend(
            _("电梯%(code)s不由“%(firm)s”维保。") % {"code": e.registration_code, "firm": firm.name}
            for e in elevators
            if e.maintenance_firm_id != firm.pk
        )
    if plan is not None and plan.use_unit_id != use_unit.pk:
        errors["plan"].append(_("所选预案不是该使用单位的预案。"))
    if scenario not in DrillScenario.values:
        errors["scenario"].append(_("“%(v)s”不是演练场景。") % {"v": scenario})
    drill = Drill(use_unit=use_unit, firm=firm, plan=plan, scenario=scenario, planned_on=planned_on, created_by=user)
    if not access.can_record_drill(user, drill):
        raise PermissionDenied(_("您不能为这些电梯计划应急演练。"))
    errors = {k: v for k, v in errors.items() if v}
    if errors:
        raise ValidationError(errors)
    drill.full_clean()
    with transaction.atomic():
        drill.save()
        drill.elevators.set(elevators)
    return drill


def _locked_planned(drill: Drill, *, user) -> Drill:
    """The drill row locked for this transaction, still planned: two people recording (or cancelling) it at once
    are served one after the other, and the second hears that it is done."""
    locked = Drill.objects.select_for_update().get(pk=drill.pk)
    if not access.can_record_drill(user, locked):
        raise PermissionDenied(_("您不能记录或取消该演练。"))
    if locked.status == DrillStatus.HELD:
        raise ValidationError(
            {"status": _("该演练已于%(day)s记录为已演练，不能再次记录或取消。") % {"day": locked.held_on}}
        )
    if locked.status == DrillStatus.CANCELLED:
        raise ValidationError({"status": _("该演练已取消，不能再记录或取消。")})
    return locked


def _stored_photos(photos) -> tuple[list[tuple[Upload, bytes]], list[str]]:
    """Each photo re-encoded without metadata (maintenance.photos), or the messages why it cannot be kept."""
    kept, problems = [], []
    for upload in photos:
        if problem := _too_big(upload):
            problems.append(problem)
        elif sniff(upload.data[:8]) not in IMAGES:
            problems.append(_("文件“%(name)s”不是JPEG或PNG照片。") % {"name": upload.name})
        else:
            try:
                kept.append((upload, strip_photo(upload.data)))
            except UnreadablePhoto:
                problems.append(_("照片“%(name)s”无法读取，请重新拍摄或导出后上传。") % {"name": upload.name})
    return kept, problems


def drill_record(
    *,
    user,
    drill: Drill,
    held_on: date,
    use_unit_participants: str,
    firm_participants: str,
    release_minutes: int | None,
    findings: str,
    improvements: str,
    photos=(),
    today: date | None = None,
) -> Drill:
    """Record a planned drill as held: who took part from both sides, how long the release took, what was found
    and what will change, with photos. Each of its elevators' last drill day moves up to the held day (never back).
    """
    today = today or timezone.localdate()
    errors: dict[str, list[str]] = defaultdict(list)
    if held_on > today:
        errors["held_on"].append(_("演练日期不能晚于今天。"))
    use_unit_participants, firm_participants = (use_unit_participants or "").strip(), (firm_participants or "").strip()
    # TSG T5002-2017: the firm drills *with* the use unit; both sides take part.
    if not use_unit_participants:
        errors["use_unit_participants"].append(_("请填写使用单位参加人员。"))
    if not firm_participants:
        errors["firm_participants"].append(_("请填写维保单位参加人员。"))
    if release_minutes is None:
        if drill.scenario == DrillScenario.ENTRAPMENT:
            errors["release_minutes"].append(_("困人救援演练请填写解救用时。"))
    elif not 0 <= release_minutes <= RELEASE_MINUTES_MAX:
        errors["release_minutes"].append(_("解救用时应在0至%(max)d分钟之间。") % {"max": RELEASE_MINUTES_MAX})
    kept, problems = _stored_photos(photos)
    errors["photos"].extend(problems)
    with transaction.atomic():
        drill = _locked_planned(drill, user=user)
        elevators = list(drill.elevators.only("registration_code", "commission_date"))
        if drill.plan_id and held_on < drill.plan.adopted_on:
            errors["held_on"].append(
                _("演练日期不能早于所依据预案的发布日期（%(day)s）。") % {"day": drill.plan.adopted_on}
            )
        # A drill before an elevator was put into use is not a drill of that elevator.
        errors["held_on"].extend(
            _("演练日期不能早于电梯%(code)s的投入使用日期（%(day)s）。")
            % {"code": e.registration_code, "day": e.commission_date}
            for e in elevators
            if e.commission_date and held_on < e.commission_date
        )
        errors = {k: v for k, v in errors.items() if v}
        if errors:
            raise ValidationError(errors)
        drill.status = DrillStatus.HELD
        drill.held_on = held_on
        drill.use_unit_participants = use_unit_participants
        drill.firm_participants = firm_participants
        drill.release_minutes = release_minutes
        drill.findings = (findings or "").strip()
        drill.improvements = (improvements or "").strip()
        drill.recorded_by = user
        drill.full_clean()
        drill.save()
        for upload, data in kept:
            DrillPhoto.objects.create(
                drill=drill,
                file=ContentFile(data, name=upload.name),
                sha256=hashlib.sha256(data).hexdigest(),
                size=len(data),
            )
        # One conditional UPDATE: each elevator's last drill is the latest held day, never moved back by a drill
        # recorded late (preparedness.rules counts the next one from it).
        Elevator.objects.filter(drills=drill).filter(
            Q(last_drill_on__isnull=True) | Q(last_drill_on__lt=held_on)
        ).update(last_drill_on=held_on)
    return drill


def drill_cancel(*, user, drill: Drill, reason: str) -> Drill:
    """Cancel a planned drill, with the reason kept in its history (a held drill stays held)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写取消原因。")})
    if len(reason) > CANCEL_REASON_MAX:
        raise ValidationError({"reason": _("取消原因最多%(n)d个字。") % {"n": CANCEL_REASON_MAX}})
    with transaction.atomic():
        drill = _locked_planned(drill, user=user)
        drill.status = DrillStatus.CANCELLED
        drill._change_reason = reason  # simple_history keeps it with the change
        drill.save(update_fields=["status"])
    return drill


def drill_cancel_reason(drill: Drill) -> str:
    """Why a cancelled drill was cancelled (from its history), or ""."""
    if drill.status != DrillStatus.CANCELLED:
        return ""
    last = drill.history.filter(status=DrillStatus.CANCELLED).order_by("history_date").first()
    return (last.history_change_reason or "") if last else ""


# ---------------------------------------------------------------- the daily reminder job


@dataclass(frozen=True)
class DrillReminderRun:
    due_soon: int
    overdue: int
    recipients: int


def _elevators_in_drill_state(state: str, *, today: date):
    """Elevators in use in drill `state` on `today` (preparedness.rules), each with `drill_counted_from`."""
    return (
        Elevator.objects.filter(status=ElevatorStatus.IN_USE)
        .alias(drill_counted_from=drill_counted_from_expression())
        .filter(drill_state_q(state, today=today))
    )


def drills_reminders_run(*, today: date) -> DrillReminderRun:
    """Remind the use unit and the firm of each elevator whose drill falls due within DRILL_REMINDER_DAYS, and
    alert them when it is overdue (TSG T5002-2017), each once per gap: the ledger's cycle is the day the interval
    counts from, so a new drill starts a new cycle.

    A fixed handful of queries whatever the number of elevators; safe to run twice or on two workers at once.
    """
    run_id = uuid.uuid4()
    for kind, state in (
        (ReminderKind.DRILL_DUE, ComplianceState.DUE_SOON),
        (ReminderKind.DRILL_OVERDUE, ComplianceState.OVERDUE),
    ):
        reminders_insert_from(
            kind,
            _elevators_in_drill_state(state, today=today),
            subject="elevator",
            cycle_field="drill_counted_from",
            run_id=run_id,
        )
    by_org: dict[int, list[DigestLine]] = defaultdict(list)
    counts = {ReminderKind.DRILL_DUE: 0, ReminderKind.DRILL_OVERDUE: 0}
    for reminder in Reminder.objects.filter(run_id=run_id).select_related("elevator").order_by("kind", "pk"):
        counts[reminder.kind] += 1
        e = reminder.elevator
        values = {
            "code": e.registration_code,
            "address": e.address,
            "due": drill_due_on(reminder.cycle),
            "day": reminder.cycle,
        }
        since = (_("上次演练%(day)s") if e.last_drill_on == reminder.cycle else _("无演练记录，自%(day)s起计")) % values
        if reminder.kind == ReminderKind.DRILL_OVERDUE:
            text = _("%(code)s %(address)s：应急演练已于%(due)s到期（%(since)s），请立即组织演练。")
        else:
            text = _("%(code)s %(address)s：应急演练应于%(due)s前完成（%(since)s），请及时安排。")
        line = DigestLine(text % {**values, "since": since}, reverse("preparedness:drill_new") + f"?elevator={e.pk}")
        for org_id in (e.use_unit_id, e.maintenance_firm_id):
            if org_id:
                by_org[org_id].append(line)
    digests = digests_for_organizations(by_org)
    notifications_send_digests(
        digests=digests,
        title=_("%(day)s 应急演练提醒") % {"day": today.isoformat()},
        link=reverse("preparedness:drills_due"),
    )
    return DrillReminderRun(
        due_soon=counts[ReminderKind.DRILL_DUE],
        overdue=counts[ReminderKind.DRILL_OVERDUE],
        recipients=len(digests),
    )
