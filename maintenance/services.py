"""Writes of maintenance: contracts, paperless records, confirmation, corrections, bulk uploads.

Rules: 特种设备安全监察条例 §31 (maintenance at least every 15 days by a licensed firm under contract);
TSG T5002-2017 (tiers and checklists; the use unit's safety manager confirms each record; records are kept
and, once confirmed, never changed: a correction is a new record linked to the old one).
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import access
from elevator_portal.files import IMAGES, sniff
from registry.choices import OrganizationKind, PersonKind
from registry.models import Elevator, Organization, Person

from .choices import ROUTINE_TIERS, AttachmentKind, ContractStatus, ItemResult, RecordStatus, Tier
from .models import (
    Attachment,
    BulkUpload,
    ChecklistItem,
    ConfirmedRecordError,
    ContractElevator,
    MaintenanceContract,
    MaintenanceRecord,
    RecordItem,
)



# ---------------------------------------------------------------- contracts

def _sync_current_firms(elevator_ids) -> None:
    """Elevator.maintenance_firm is the firm of the elevator's active coverage (one UPDATE per call)."""
    from django.db.models import OuterRef, Subquery

    active_firm = ContractElevator.objects.filter(elevator=OuterRef("pk"), active=True).values("contract__firm_id")[:1]
    Elevator.objects.filter(pk__in=list(elevator_ids)).update(maintenance_firm_id=Subquery(active_firm))


@transaction.atomic
def contract_create(*, user, number: str, use_unit: Organization, firm: Organization, starts_on: date,
                    ends_on: date, elevators: list[Elevator], today: date | None = None) -> MaintenanceContract:
    """Register a contract; if it runs today it becomes the elevators' active contract at once.

    The database refuses a second active firm for one elevator (constraint one_active_firm_per_elevator).
    """
    today = today or timezone.localdate()
    if not access.can_manage_contracts(user, use_unit):
        raise PermissionDenied(_("只有使用单位或监管部门可以登记维保合同。"))
    errors = {}
    if firm.kind != OrganizationKind.MAINTENANCE:
        errors["firm"] = _("“%(name)s”不是维保单位。") % {"name": firm.name}
    elif firm.licence_valid_until is not None and firm.licence_valid_until < max(starts_on, today):
        errors["firm"] = _("维保单位“%(name)s”的许可证已于%(day)s到期，不能签订维保合同。") % {
            "name": firm.name, "day": firm.licence_valid_until}
    if ends_on < starts_on:
        errors["ends_on"] = _("截止日期不能早于起始日期。")
    if not elevators:
        errors["elevators"] = _("请至少选择一部电梯。")
    foreign = [e.registration_code for e in elevators if e.use_unit_id != use_unit.pk]
    if foreign:
        errors["elevators"] = _("以下电梯不属于该使用单位：%(codes)s") % {"codes": "、".join(foreign)}
    overlapping = (ContractElevator.objects.filter(
        elevator__in=elevators, contract__status__in=[ContractStatus.PENDING, ContractStatus.ACTIVE],
        contract__starts_on__lte=ends_on, contract__ends_on__gte=starts_on)
        .select_related("elevator", "contract"))
    if overlapping:
        errors["elevators"] = _("以下电梯在该期间已有维保合同：%(items)s") % {"items": "、".join(
            f"{c.elevator.registration_code}（{c.contract.number}）" for c in overlapping)}
    if errors:
        raise ValidationError(errors)
    runs_today = starts_on <= today <= ends_on
    contract = MaintenanceContract(number=number, use_unit=use_unit, firm=firm, starts_on=starts_on, ends_on=ends_on,
                                   status=ContractStatus.ACTIVE if runs_today else ContractStatus.PENDING,
                                   created_by=user)
    contract.full_clean(validate_constraints=False)
    try:
        contract.save()
        ContractElevator.objects.bulk_create(
            [ContractElevator(contract=contract, elevator=e, active=runs_today) for e in elevators])
    except IntegrityError:
        raise ValidationError({"elevators": _("所选电梯已有履行中的维保合同。")}) from None
    if runs_today:
        _sync_current_firms(e.pk for e in elevators)
    return contract


@transaction.atomic
def contract_terminate(*, user, contract: MaintenanceContract, on: date | None = None) -> MaintenanceContract:
    if not access.can_manage_contracts(user, contract.use_unit):
        raise PermissionDenied(_("只有使用单位或监管部门可以终止维保合同。"))
    contract = MaintenanceContract.objects.select_for_update().get(pk=contract.pk)
    if contract.status not in (ContractStatus.PENDING, ContractStatus.ACTIVE):
        raise ValidationError(_("合同当前状态为“%(s)s”，不能终止。") % {"s": contract.get_status_display()})
    contract.status = ContractStatus.TERMINATED
    contract.ends_on = min(contract.ends_on, on or timezone.localdate())
    contract._history_user = user
    contract.save()
    ids = list(contract.coverage.values_list("elevator_id", flat=True))
    contract.coverage.update(active=False)
    _sync_current_firms(ids)
    return contract


@transaction.atomic
def contracts_roll(*, today: date) -> dict[str, int]:
    """Daily: contracts that have ended stop, contracts that start begin (set-based, safe to run twice)."""
    ended = MaintenanceContract.objects.filter(status=ContractStatus.ACTIVE, ends_on__lt=today)
    ended_ids = list(ended.values_list("pk", flat=True))
    touched = set(ContractElevator.objects.filter(contract_id__in=ended_ids).values_list("elevator_id", flat=True))
    ContractElevator.objects.filter(contract_id__in=ended_ids).update(active=False)
    n_ended = MaintenanceContract.objects.filter(pk__in=ended_ids).update(status=ContractStatus.ENDED)

    starting = MaintenanceContract.objects.filter(status=ContractStatus.PENDING, starts_on__lte=today,
                                                  ends_on__gte=today)
    starting_ids = list(starting.values_list("pk", flat=True))
    # An elevator still covered by another active contract is left alone (the unique constraint would refuse it).
    coverage = ContractElevator.objects.filter(contract_id__in=starting_ids).exclude(
        elevator_id__in=ContractElevator.objects.filter(active=True).values("elevator_id"))
    touched |= set(coverage.values_list("elevator_id", flat=True))
    coverage.update(active=True)
    n_started = MaintenanceContract.objects.filter(pk__in=starting_ids).update(status=ContractStatus.ACTIVE)
    if touched:
        _sync_current_firms(touched)
    return {"ended": n_ended, "started": n_started}


# ---------------------------------------------------------------- records

@dataclass
class UploadedFile:
    name: str
    data: bytes


def _attachment_kind(upload: UploadedFile) -> str:
    """Type by content, not by name: JPEG/PNG photos or PDF documents only."""
    kind = sniff(upload.data[:8])
    if kind == "pdf":
        return AttachmentKind.PDF
    if kind in IMAGES:
        return AttachmentKind.PHOTO
    raise ValidationError({"attachments": _("附件“%(name)s”不是JPEG、PNG照片或PDF文件。") % {"name": upload.name}})


def _check_record(*, user, elevator: Elevator, tier: str, started_at: datetime, ended_at: datetime,
                  workers: list[Person], signed_by: Person, items: dict[int, tuple[str, str]],
                  attachments: list[UploadedFile], corrects: MaintenanceRecord | None) -> None:
    """Every rule a record must meet before it is saved; raises ValidationError naming the field."""
    if not access.can_write_maintenance_for(user, elevator):
        raise PermissionDenied(_("电梯%(code)s不在本单位履行中的维保合同内，不能上传维保记录。")
                               % {"code": elevator.registration_code})
    errors: dict[str, list[str]] = {}

    def add(field, message):
        errors.setdefault(field, []).append(message)

    if tier not in Tier.values:
        add("tier", _("“%(v)s”不是维保类别。") % {"v": tier})
    now = timezone.now()
    if ended_at <= started_at:
        add("ended_at", _("结束时间应晚于开始时间。"))
    if ended_at > now + timezone.timedelta(minutes=5):
        add("ended_at", _("结束时间不能晚于当前时间。"))
    if not workers:
        add("workers", _("请至少选择一名维保人员。"))
    day = timezone.localtime(started_at).date()
    for person in workers:
        if person.organization_id != user.organization_id or person.kind != PersonKind.MAINTENANCE_WORKER:
            # Someone else's staff: named by id only, so a guessed id reveals no name.
            add("workers", _("人员（编号%(id)d）不是本单位的维保作业人员。") % {"id": person.pk})
        elif not person.certificate_valid_on(day):
            # 条例 §38: maintenance workers must hold a valid certificate on the day of the work.
            add("workers", _("维保人员“%(name)s”的证书已于%(until)s过期，不能在%(day)s作业。")
                % {"name": person.name, "until": person.certificate_valid_until, "day": day})
    if signed_by not in workers:
        add("signed_by", _("签字人员必须是本次作业的维保人员。"))
    if tier in ROUTINE_TIERS:
        required = set(ChecklistItem.objects.filter(tier=tier, is_active=True).values_list("pk", flat=True))
        missing = required - set(items)
        if missing:
            titles = ChecklistItem.objects.filter(pk__in=missing).values_list("title", flat=True)
            add("items", _("以下维保项目未填写：%(items)s") % {"items": "、".join(titles)})
    for item_id, (result, _note) in items.items():
        if result not in ItemResult.values:
            add("items", _("维保项目结果“%(v)s”无效。") % {"v": result})
    for upload in attachments:
        if len(upload.data) > settings.ATTACHMENT_MAX_BYTES:
            add("attachments", _("附件“%(name)s”过大，最大%(mb)dMB。")
                % {"name": upload.name, "mb": settings.ATTACHMENT_MAX_BYTES // 2**20})
        else:
            try:
                _attachment_kind(upload)
            except ValidationError as exc:
                errors.setdefault("attachments", []).extend(exc.message_dict["attachments"])
    if corrects is not None and (corrects.elevator_id != elevator.pk or corrects.firm_id != user.organization_id):
        add("corrects", _("更正记录必须针对本单位同一部电梯的记录。"))
    if errors:
        raise ValidationError(errors)


def _save_record(*, user, elevator, tier, started_at, ended_at, workers, signed_by, items, attachments, note,
                 corrects) -> MaintenanceRecord:
    record = MaintenanceRecord.objects.create(
        elevator=elevator, firm_id=user.organization_id, tier=tier, started_at=started_at, ended_at=ended_at,
        signed_by=signed_by, note=note, corrects=corrects, created_by=user)
    record.workers.set(workers)
    RecordItem.objects.bulk_create([RecordItem(record=record, item_id=item_id, result=result, note=item_note[:255])
                                    for item_id, (result, item_note) in items.items()])
    for upload in attachments:
        digest = hashlib.sha256(upload.data).hexdigest()
        attachment = Attachment(record=record, kind=_attachment_kind(upload), original_name=upload.name[:255],
                                size=len(upload.data), sha256=digest)
        attachment.file.save(upload.name, ContentFile(upload.data), save=False)
        attachment.save()
    return record


@transaction.atomic
def record_create(*, user, elevator: Elevator, tier: str, started_at: datetime, ended_at: datetime,
                  workers: list[Person], signed_by: Person, items: dict[int, tuple[str, str]] | None = None,
                  attachments: list[UploadedFile] | None = None, note: str = "",
                  corrects: MaintenanceRecord | None = None) -> MaintenanceRecord:
    """A firm uploads one visit: checklist, times, certified workers, photos/PDFs, the worker's sign-off."""
    items, attachments = items or {}, attachments or []
    _check_record(user=user, elevator=elevator, tier=tier, started_at=started_at, ended_at=ended_at, workers=workers,
                  signed_by=signed_by, items=items, attachments=attachments, corrects=corrects)
    return _save_record(user=user, elevator=elevator, tier=tier, started_at=started_at, ended_at=ended_at,
                        workers=workers, signed_by=signed_by, items=items, attachments=attachments, note=note,
                        corrects=corrects)


@transaction.atomic
def record_confirm(*, user, record: MaintenanceRecord) -> MaintenanceRecord:
    """The use unit's safety manager confirms; from now on the record is immutable (TSG T5002-2017)."""
    if not access.can_confirm_record(user, record):
        raise PermissionDenied(_("只有该电梯使用单位的安全管理员可以确认维保记录。"))
    locked = MaintenanceRecord.objects.select_for_update().get(pk=record.pk)
    if locked.status == RecordStatus.CONFIRMED:
        raise ConfirmedRecordError(_("该维保记录已确认。"))
    updated = MaintenanceRecord.objects.filter(pk=record.pk, status=RecordStatus.SUBMITTED).update(
        status=RecordStatus.CONFIRMED, confirmed_by=user, confirmed_at=timezone.now())
    if not updated:
        raise ConfirmedRecordError(_("该维保记录已确认。"))
    if locked.tier in ROUTINE_TIERS:
        # The public page and the overdue job read the date of the last confirmed routine visit.
        day = timezone.localtime(locked.ended_at).date()
        Elevator.objects.filter(pk=locked.elevator_id).filter(
            Q(last_maintenance_on__isnull=True) | Q(last_maintenance_on__lt=day)).update(last_maintenance_on=day)
    record.refresh_from_db()
    return record


def record_delete(*, user, record: MaintenanceRecord) -> None:
    """A firm may withdraw a record it uploaded until it is confirmed."""
    if not (user.role == "maintenance" and record.firm_id == user.organization_id):
        raise PermissionDenied(_("只有上传该记录的维保单位可以删除未确认的记录。"))
    record.delete()  # the model refuses a confirmed record


# ---------------------------------------------------------------- bulk upload for firms' own systems

def _request_hash(payload) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def bulk_upload(*, user, key: str, payload: dict, parse_item) -> tuple[int, dict]:
    """All-or-nothing upload of many records under an idempotency key; returns (HTTP status, body).

    `parse_item(index, item)` turns one JSON item into record_create's keyword arguments or raises
    ValidationError. The same key and body again returns the first answer and creates nothing; the same key
    with another body is refused with 409. Every bad item is reported by index, field and reason.
    """
    if user.role != "maintenance" or not user.organization_id:
        raise PermissionDenied(_("只有维保单位可以批量上传维保记录。"))
    if not key or len(key) > 100:
        return 400, {"detail": _("请在 Idempotency-Key 请求头中提供1至100个字符的幂等键。")}
    digest = _request_hash(payload)
    items = payload.get("records") if isinstance(payload, dict) else None
    if not isinstance(items, list) or not items:
        return 400, {"detail": _("请求体应为 {\"records\": [...]}，且至少包含一条记录。")}
    if len(items) > settings.BULK_UPLOAD_MAX_RECORDS:
        return 400, {"detail": _("一次最多上传%(n)d条记录。") % {"n": settings.BULK_UPLOAD_MAX_RECORDS}}
    try:
        with transaction.atomic():
            # The key is taken first, under the unique constraint: a concurrent retry waits here, then replays.
            upload = BulkUpload.objects.create(firm_id=user.organization_id, key=key, request_hash=digest)
            errors, created = [], []
            parsed = []
            for index, item in enumerate(items):
                try:
                    kwargs = parse_item(index, item)
                    _check_record(user=user, **{k: v for k, v in kwargs.items() if k != "note"})
                    parsed.append(kwargs)
                except (ValidationError, PermissionDenied) as exc:
                    for field, messages in _error_fields(exc).items():
                        errors.extend({"index": index, "field": field, "message": m} for m in messages)
            if errors:
                # Nothing is written and the key is released, so the corrected batch may reuse it.
                transaction.set_rollback(True)
                return 400, {"created": 0, "errors": errors}
            for kwargs in parsed:
                created.append(_save_record(user=user, **{"note": "", "corrects": None, **kwargs}).pk)
            body = {"created": len(created), "ids": created}
            upload.response, upload.status_code = body, 201
            upload.save(update_fields=["response", "status_code"])
            return 201, body
    except IntegrityError:
        previous = BulkUpload.objects.get(firm_id=user.organization_id, key=key)
        if previous.request_hash != digest:
            return 409, {"detail": _("该幂等键已用于另一批数据，请使用新的幂等键。")}
        return previous.status_code, {**previous.response, "replayed": True}


def _error_fields(exc) -> dict[str, list[str]]:
    if isinstance(exc, PermissionDenied):
        return {"elevator": [str(exc)]}
    return exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}


def last_routine_visit(elevator_ids) -> dict[int, datetime]:
    return dict(MaintenanceRecord.objects.filter(elevator_id__in=elevator_ids, tier__in=ROUTINE_TIERS)
                .values_list("elevator_id").annotate(last=Max("ended_at")))
