"""Writes of the inspection workflow: applications, results, defects. Roles and states are enforced here."""

from datetime import date

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import access
from elevator_portal.files import IMAGES, sniff
from registry.choices import OrganizationKind, PersonKind
from registry.models import Elevator, Organization, Person

from .choices import (
    PASSING_RESULTS,
    ApplicationStatus,
    DefectStatus,
    InspectionKind,
    InspectionResult,
)
from .models import Defect, Inspection, InspectionApplication
from .validity import inspection_valid_until_after


class TransitionError(ValidationError):
    """A status change asked from a state that does not allow it."""


def _deny(message: str):
    raise PermissionDenied(message)


def _move(application: InspectionApplication, *, user, allowed_from, to: str, action: str, **fields) -> None:
    """Change an application's status only from an allowed state, under a row lock so that two people
    clicking at once cannot both succeed; the audit trail records who did it."""
    with transaction.atomic():
        locked = InspectionApplication.objects.select_for_update().get(pk=application.pk)
        if locked.status not in allowed_from:
            raise TransitionError(
                _("申报当前状态为“%(status)s”，不能%(action)s。")
                % {"status": locked.get_status_display(), "action": action}
            )
        for field, value in fields.items():
            setattr(locked, field, value)
        locked.status = to
        locked._history_user = user
        locked.save()
    application.refresh_from_db()


def _check_file(upload, *, kinds: tuple[str, ...], max_bytes: int, field: str, kind_label: str) -> None:
    """Check an uploaded file by its content, not its name, and by its size."""
    if upload.size > max_bytes:
        raise ValidationError({field: _("文件过大，最大%(mb)dMB。") % {"mb": max_bytes // 2**20}})
    head = upload.read(8)
    upload.seek(0)
    if sniff(head) not in kinds:
        raise ValidationError({field: _("文件内容不是%(kind)s。") % {"kind": kind_label}})


def application_submit(
    *,
    user,
    elevator: Elevator,
    kind: str,
    agency: Organization,
    wished_from: date,
    wished_to: date,
    site_contact: str,
    site_phone: str,
    note: str = "",
) -> InspectionApplication:
    """A use unit applies online for an inspection of one of its elevators (plan §2(7))."""
    if not access.can_apply_for_inspection(user, elevator):
        _deny(_("只有该电梯的使用单位可以申报检验。"))
    application = InspectionApplication(
        elevator=elevator,
        kind=kind,
        agency=agency,
        wished_from=wished_from,
        wished_to=wished_to,
        site_contact=site_contact,
        site_phone=site_phone,
        note=note,
        submitted_by=user,
    )
    application.full_clean(validate_constraints=False)
    if wished_from < timezone.localdate():
        raise ValidationError({"wished_from": _("期望检验日期不能早于今天。")})
    try:
        with transaction.atomic():
            application.save()
    except IntegrityError:
        raise ValidationError(
            _("该电梯已有一份未办结的“%(kind)s”申报，请勿重复申报。") % {"kind": InspectionKind(kind).label}
        ) from None
    return application


def application_accept(*, user, application: InspectionApplication) -> InspectionApplication:
    if not access.can_handle_application(user, application):
        _deny(_("只有受理该申报的检验机构可以受理。"))
    _move(
        application,
        allowed_from=[ApplicationStatus.SUBMITTED],
        to=ApplicationStatus.ACCEPTED,
        action=_("受理"),
        user=user,
        handled_by=user,
    )
    return application


def application_reject(*, user, application: InspectionApplication, reason: str) -> InspectionApplication:
    if not access.can_handle_application(user, application):
        _deny(_("只有受理该申报的检验机构可以不予受理。"))
    if not reason.strip():
        raise ValidationError({"reject_reason": _("请填写不予受理的原因。")})
    _move(
        application,
        allowed_from=[ApplicationStatus.SUBMITTED, ApplicationStatus.ACCEPTED],
        to=ApplicationStatus.REJECTED,
        action=_("不予受理"),
        reject_reason=reason.strip(),
        user=user,
        handled_by=user,
    )
    return application


def application_schedule(
    *, user, application: InspectionApplication, scheduled_on: date, inspectors: list[Person]
) -> InspectionApplication:
    """The agency fixes the date and the inspectors (plan §2(3): 及时安排检验)."""
    if not access.can_handle_application(user, application):
        _deny(_("只有受理该申报的检验机构可以安排检验。"))
    if scheduled_on < timezone.localdate():
        raise ValidationError({"scheduled_on": _("检验日期不能早于今天。")})
    _check_inspectors(inspectors, application.agency_id, scheduled_on)
    with transaction.atomic():
        _move(
            application,
            allowed_from=[ApplicationStatus.SUBMITTED, ApplicationStatus.ACCEPTED, ApplicationStatus.SCHEDULED],
            to=ApplicationStatus.SCHEDULED,
            action=_("安排检验"),
            scheduled_on=scheduled_on,
            user=user,
            handled_by=user,
        )
        application.inspectors.set(inspectors)
    return application


def application_cancel(*, user, application: InspectionApplication) -> InspectionApplication:
    if not access.can_apply_for_inspection(user, application.elevator):
        _deny(_("只有申报的使用单位可以撤回申报。"))
    _move(
        application,
        allowed_from=[ApplicationStatus.SUBMITTED],
        to=ApplicationStatus.CANCELLED,
        action=_("撤回"),
        user=user,
    )
    return application


def _check_inspectors(inspectors, agency_id: int, on: date) -> None:
    if not inspectors:
        raise ValidationError({"inspectors": _("请至少指定一名检验人员。")})
    for person in inspectors:
        if person.organization_id != agency_id or person.kind != PersonKind.INSPECTOR:
            # Someone else's staff: named by id only, so a guessed id reveals no name.
            raise ValidationError({"inspectors": _("人员（编号%(id)d）不是本机构的检验人员。") % {"id": person.pk}})
        if not person.certificate_valid_on(on):
            raise ValidationError(
                {
                    "inspectors": _("检验人员“%(name)s”的证书已于%(date)s过期，不能在%(on)s检验。")
                    % {"name": person.name, "date": person.certificate_valid_until, "on": on}
                }
            )


@transaction.atomic
def inspection_record(
    *,
    user,
    elevator: Elevator,
    agency: Organization,
    kind: str,
    inspected_on: date,
    result: str,
    report_no: str,
    inspectors: list[Person],
    conclusion: str = "",
    report_file=None,
    defects: list[dict] | None = None,
    application: InspectionApplication | None = None,
    corrects_validity: bool = False,
    correction_reason: str = "",
) -> Inspection:
    """Record an inspection result; a pass sets the elevator's validity, a failure marks it not to be used.

    特种设备安全法 §40: an elevator that failed or whose periodic inspection expired must not be used. A result older
    than what is on record (a later inspection of the elevator, or a later validity than the one it gives) is kept
    as history and leaves the elevator as it is, unless the agency records it as a correction with a reason.
    `inspection.changed_elevator` tells whether it set the elevator's validity and status.
    """
    if not access.can_record_inspection(user, agency.pk):
        _deny(_("只有检验机构的检验人员可以录入本机构的检验结果。"))
    if application is not None:
        if application.agency_id != agency.pk or application.elevator_id != elevator.pk:
            raise ValidationError(_("检验记录与申报的电梯或检验机构不一致。"))
        if application.status != ApplicationStatus.SCHEDULED:
            raise TransitionError(
                _("申报当前状态为“%(status)s”，不能录入检验结果，请先安排检验。")
                % {"status": application.get_status_display()}
            )
    _check_result_date(inspected_on, application)
    correction_reason = correction_reason.strip()
    if corrects_validity and not correction_reason:
        raise ValidationError({"correction_reason": _("更正有效期时请填写更正原因。")})
    re_inspection = kind == InspectionKind.RE_INSPECTION
    allowed = (
        (InspectionResult.RE_PASSED, InspectionResult.RE_FAILED)
        if re_inspection
        else (InspectionResult.PASSED, InspectionResult.FAILED)
    )
    if result not in allowed:
        raise ValidationError(
            {
                "result": _("“%(kind)s”的结论只能是%(allowed)s。")
                % {
                    "kind": InspectionKind(kind).label,
                    "allowed": "、".join(str(InspectionResult(r).label) for r in allowed),
                }
            }
        )
    if Inspection.objects.filter(report_no=report_no).exists():
        raise ValidationError({"report_no": _("报告编号“%(no)s”已存在。") % {"no": report_no}})
    _check_inspectors(inspectors, agency.pk, inspected_on)
    if report_file:
        _check_file(
            report_file,
            kinds=("pdf",),
            max_bytes=settings.INSPECTION_REPORT_MAX_BYTES,
            field="report_file",
            kind_label="PDF",
        )
    defects = defects or []
    for index, item in enumerate(defects, start=1):
        if not item.get("description", "").strip():
            raise ValidationError({"defects": _("第%(n)d个问题：请填写问题描述。") % {"n": index}})
        if not item.get("deadline") or item["deadline"] < inspected_on:
            raise ValidationError({"defects": _("第%(n)d个问题：整改期限应不早于检验日期。") % {"n": index}})

    elevator = Elevator.objects.select_for_update().get(pk=elevator.pk)
    passed = result in PASSING_RESULTS
    inspection = Inspection(
        elevator=elevator,
        application=application,
        kind=kind,
        agency=agency,
        inspected_on=inspected_on,
        result=result,
        report_no=report_no,
        conclusion=conclusion,
        recorded_by=user,
        maintenance_firm_id=elevator.maintenance_firm_id,
        installer_id=elevator.installer_id,
        valid_until=inspection_valid_until_after(elevator=elevator, inspected_on=inspected_on) if passed else None,
        corrects_validity=corrects_validity,
        correction_reason=correction_reason if corrects_validity else "",
    )
    inspection.changed_elevator = corrects_validity or not _superseded(inspection)
    if report_file:
        inspection.report_file.save(f"{report_no}.pdf", report_file, save=False)
    inspection.save()
    inspection.inspectors.set(inspectors)
    Defect.objects.bulk_create(
        [Defect(inspection=inspection, description=d["description"].strip(), deadline=d["deadline"]) for d in defects]
    )

    if passed and re_inspection:
        # A passed re-inspection closes the defects that were waiting for it (found on or before its day).
        Defect.objects.filter(
            inspection__elevator=elevator,
            inspection__inspected_on__lte=inspected_on,
            status__in=[DefectStatus.OPEN, DefectStatus.RECTIFIED],
        ).exclude(inspection=inspection).update(status=DefectStatus.CLOSED, closed_by=inspection)
    if inspection.changed_elevator:
        if passed:
            elevator.inspection_valid_until = inspection.valid_until
            elevator.inspection_failed = False
        else:
            elevator.inspection_failed = True
        # The elevator's history says who changed its validity, when (the history row) and why (its change reason
        # holds 100 characters; the whole reason stays on the inspection).
        elevator._history_user = user
        elevator._change_reason = (
            _("更正有效期（检验报告%(no)s）：%(reason)s") % {"no": report_no, "reason": correction_reason}
            if corrects_validity
            else f"inspection {report_no}"
        )[:100]
        elevator.save(update_fields=["inspection_valid_until", "inspection_failed", "updated_at"])
    if application is not None:
        _move(
            application,
            allowed_from=[ApplicationStatus.SCHEDULED],
            to=ApplicationStatus.COMPLETED,
            action=_("完成"),
            user=user,
        )
    return inspection


def _check_result_date(inspected_on: date, application: InspectionApplication | None) -> None:
    """An inspection happens on or after the day it was scheduled for (or filed, without a schedule), and not in
    the future, in the city's calendar: a mistyped year must not move the validity (特种设备安全法 §40)."""
    if inspected_on > timezone.localdate():
        raise ValidationError({"inspected_on": _("检验日期不能晚于今天。")})
    if application is None:
        return
    if application.scheduled_on:
        if inspected_on < application.scheduled_on:
            raise ValidationError(
                {"inspected_on": _("检验日期不能早于排定的检验日期（%(day)s）。") % {"day": application.scheduled_on}}
            )
    else:
        filed_on = timezone.localdate(application.created_at)
        if inspected_on < filed_on:
            raise ValidationError({"inspected_on": _("检验日期不能早于申报日期（%(day)s）。") % {"day": filed_on}})


def _superseded(inspection: Inspection) -> bool:
    """A result older than what the elevator has on record: a later inspection, or (a pass on an elevator not
    failed) a later validity than the one it gives. It must not move the elevator back (特种设备安全法 §40).

    A failure is never outweighed by a validity alone (a failed lift must not be used), and a failed elevator's
    validity no longer counts, so that its passed re-inspection clears the failure whatever validity it gives."""
    elevator = inspection.elevator
    if inspection.valid_until and elevator.inspection_valid_until and not elevator.inspection_failed:
        if inspection.valid_until < elevator.inspection_valid_until:
            return True
    return Inspection.objects.filter(elevator=elevator, inspected_on__gt=inspection.inspected_on).exists()


def defect_rectify(*, user, defect: Defect, note: str, evidence=None) -> Defect:
    """The use unit records how a defect was put right, with evidence; a re-inspection then closes it."""
    if not access.can_rectify_defect(user, defect):
        _deny(_("只有该电梯的使用单位可以登记整改。"))
    if not note.strip():
        raise ValidationError({"rectification_note": _("请填写整改情况。")})
    if evidence:
        _check_file(
            evidence,
            kinds=("pdf", *IMAGES),
            max_bytes=settings.EVIDENCE_MAX_BYTES,
            field="evidence",
            kind_label=_("PDF、JPEG或PNG"),
        )
    with transaction.atomic():
        locked = Defect.objects.select_for_update().get(pk=defect.pk)
        if locked.status != DefectStatus.OPEN:
            raise TransitionError(
                _("该问题当前状态为“%(status)s”，不能再登记整改。") % {"status": locked.get_status_display()}
            )
        locked.status = DefectStatus.RECTIFIED
        locked.rectification_note = note.strip()
        locked.rectified_at = timezone.now()
        locked.rectified_by = user
        if evidence:
            locked.evidence.save(evidence.name, evidence, save=False)
        locked._history_user = user
        locked.save()
    defect.refresh_from_db()
    return defect


def agencies() -> list[Organization]:
    return list(Organization.objects.filter(kind=OrganizationKind.INSPECTION, is_active=True))
