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
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, Q
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
from .photos import UnreadablePhoto, strip_photo

# ---------------------------------------------------------------- contracts


def _sync_current_firms(elevator_ids) -> None:
    """Elevator.maintenance_firm and contract_starts_on are the firm and start of the elevator's active coverage
    (one UPDATE per call); the start is where a never-maintained elevator's 15 days count from (条例 §31)."""
    from django.db.models import OuterRef, Subquery

    active = ContractElevator.objects.filter(elevator=OuterRef("pk"), active=True)
    Elevator.objects.filter(pk__in=list(elevator_ids)).update(
        maintenance_firm_id=Subquery(active.values("contract__firm_id")[:1]),
        contract_starts_on=Subquery(active.values("contract__starts_on")[:1]),
    )


@transaction.atomic
def contract_create(
    *,
    user,
    number: str,
    use_unit: Organization,
    firm: Organization,
    starts_on: date,
    ends_on: date,
    elevators: list[Elevator],
    today: date | None = None,
) -> MaintenanceContract:
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
            "name": firm.name,
            "day": firm.licence_valid_until,
        }
    if ends_on < starts_on:
        errors["ends_on"] = _("截止日期不能早于起始日期。")
    if not elevators:
        errors["elevators"] = _("请至少选择一部电梯。")
    foreign = [e.registration_code for e in elevators if e.use_unit_id != use_unit.pk]
    if foreign:
        errors["elevators"] = _("以下电梯不属于该使用单位：%(codes)s") % {"codes": "、".join(foreign)}
    overlapping = ContractElevator.objects.filter(
        elevator__in=elevators,
        contract__status__in=[ContractStatus.PENDING, ContractStatus.ACTIVE],
        contract__starts_on__lte=ends_on,
        contract__ends_on__gte=starts_on,
    ).select_related("elevator", "contract")
    if overlapping:
        errors["elevators"] = _("以下电梯在该期间已有维保合同：%(items)s") % {
            "items": "、".join(f"{c.elevator.registration_code}（{c.contract.number}）" for c in overlapping)
        }
    if errors:
        raise ValidationError(errors)
    runs_today = starts_on <= today <= ends_on
    contract = MaintenanceContract(
        number=number,
        use_unit=use_unit,
        firm=firm,
        starts_on=starts_on,
        ends_on=ends_on,
        status=ContractStatus.ACTIVE if runs_today else ContractStatus.PENDING,
        created_by=user,
    )
    contract.full_clean(validate_constraints=False)
    try:
        contract.save()
        ContractElevator.objects.bulk_create(
            [ContractElevator(contract=contract, elevator=e, active=runs_today) for e in elevators]
        )
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
    # The status condition again: a second run at the same moment counts only what it changed itself.
    n_ended = MaintenanceContract.objects.filter(pk__in=ended_ids, status=ContractStatus.ACTIVE).update(
        status=ContractStatus.ENDED
    )

    starting = MaintenanceContract.objects.filter(
        status=ContractStatus.PENDING, starts_on__lte=today, ends_on__gte=today
    )
    starting_ids = list(starting.values_list("pk", flat=True))
    # An elevator still covered by another active contract is left alone (the unique constraint would refuse it).
    # NOT EXISTS, not NOT IN: at a province's million active coverages the NOT IN list outgrows memory and is
    # re-read for every row (bench/README.md).
    coverage = ContractElevator.objects.filter(contract_id__in=starting_ids).exclude(
        Exists(ContractElevator.objects.filter(active=True, elevator_id=OuterRef("elevator_id")))
    )
    touched |= set(coverage.values_list("elevator_id", flat=True))
    coverage.update(active=True)
    n_started = MaintenanceContract.objects.filter(pk__in=starting_ids, status=ContractStatus.PENDING).update(
        status=ContractStatus.ACTIVE
    )
    if touched:
        _sync_current_firms(touched)
    return {"ended": n_ended, "started": n_started}


# ---------------------------------------------------------------- records


@dataclass
class UploadedFile:
    name: str
    data: bytes


# Sets, not TextChoices.values (a new list at each access): the bulk path checks thousands of items per batch.
TIERS = frozenset(Tier.values)
ITEM_RESULTS = frozenset(ItemResult.values)


@dataclass
class Checklists:
    """The checklist as one record's check needs it, read once per request (the table holds a few dozen rows)."""

    required: dict[str, dict[int, str]]  # tier -> {active item id: title}, in checklist order
    known: set[int]  # every item id, active or not

    @classmethod
    def load(cls) -> "Checklists":
        required, known = {}, set()
        for pk, tier, title, active in ChecklistItem.objects.values_list("pk", "tier", "title", "is_active"):
            known.add(pk)
            if active:
                required.setdefault(tier, {})[pk] = title
        return cls(required=required, known=known)


def elevators_by_reference(references, *, fields: tuple[str, ...] = ()) -> dict[str, Elevator]:
    """Each reference (registration code, else rescue code, else id) mapped to its elevator (only `fields` if given).

    One indexed query for registration codes, then one each for rescue codes and ids only among the references left
    over: at most three whatever their number (an OR of the three would scan the registry).
    """
    left = {str(r).strip() for r in references}
    found = {}
    for lookup in ("registration_code", "rescue_code", "pk"):
        wanted: dict = {}  # looked-up value -> the references that name it
        for ref in left:
            if lookup != "pk":
                wanted[ref] = [ref]
            elif ref.isdigit() and len(ref) < 10:
                wanted.setdefault(int(ref), []).append(ref)
        if not wanted:
            continue
        elevators = Elevator.objects.filter(**{f"{lookup}__in": list(wanted)})
        for elevator in elevators.only("registration_code", "rescue_code", *fields) if fields else elevators:
            for ref in wanted[getattr(elevator, lookup)]:
                found[ref] = elevator
                left.discard(ref)
    return found


def _attachment_kind(upload: UploadedFile) -> str:
    """Type by content, not by name: JPEG/PNG photos or PDF documents only."""
    kind = sniff(upload.data[:8])
    if kind == "pdf":
        return AttachmentKind.PDF
    if kind in IMAGES:
        return AttachmentKind.PHOTO
    raise ValidationError({"attachments": _("附件“%(name)s”不是JPEG、PNG照片或PDF文件。") % {"name": upload.name}})


def _check_record(
    *,
    user,
    elevator: Elevator,
    tier: str,
    started_at: datetime,
    ended_at: datetime,
    workers: list[Person],
    signed_by: Person,
    items: dict[int, tuple[str, str]],
    attachments: list[UploadedFile],
    corrects: MaintenanceRecord | None,
    checklists: Checklists | None = None,
    now: datetime | None = None,
) -> None:
    """Every rule a record must meet before it is saved; raises ValidationError naming the field.

    Reads nothing when given the checklists: the bulk upload checks a whole batch against one read of each table.
    """
    if not access.can_write_maintenance_for(user, elevator):
        raise PermissionDenied(
            _("电梯%(code)s不在本单位履行中的维保合同内，不能上传维保记录。") % {"code": elevator.registration_code}
        )
    checklists = checklists or Checklists.load()
    errors: dict[str, list[str]] = {}

    def add(field, message):
        errors.setdefault(field, []).append(message)

    if tier not in TIERS:
        add("tier", _("“%(v)s”不是维保类别。") % {"v": tier})
    now = now or timezone.now()
    if ended_at <= started_at:
        add("ended_at", _("结束时间应晚于开始时间。"))
    if ended_at > now + timezone.timedelta(minutes=5):
        add("ended_at", _("结束时间不能晚于当前时间。"))
    if not workers:
        add("workers", _("请至少选择一名维保人员。"))
    day = timezone.localtime(started_at).date()
    for person in workers:
        if person.organization_id != user.organization_id or person.kind != PersonKind.MAINTENANCE_WORKER:
            # Someone else's staff, or no one: named by id only, so a guessed id reveals no name.
            add("workers", _("人员（编号%(id)d）不是本单位的维保作业人员。") % {"id": person.pk})
        elif not person.certificate_valid_on(day):
            # 条例 §38: maintenance workers must hold a valid certificate on the day of the work.
            add(
                "workers",
                _("维保人员“%(name)s”的证书已于%(until)s过期，不能在%(day)s作业。")
                % {"name": person.name, "until": person.certificate_valid_until, "day": day},
            )
    if signed_by not in workers:
        add("signed_by", _("签字人员必须是本次作业的维保人员。"))
    if tier in ROUTINE_TIERS:
        required = checklists.required.get(tier, {})
        missing = [title for pk, title in required.items() if pk not in items]
        if missing:
            add("items", _("以下维保项目未填写：%(items)s") % {"items": "、".join(missing)})
    unknown = [str(pk) for pk in items if pk not in checklists.known]
    if unknown:
        add("items", _("以下维保项目编号不存在：%(ids)s") % {"ids": "、".join(unknown)})
    for result in dict.fromkeys(result for result, _note in items.values() if result not in ITEM_RESULTS):
        add("items", _("维保项目结果“%(v)s”无效。") % {"v": result})  # each wrong value once, not once per item
    for upload in attachments:
        if len(upload.data) > settings.ATTACHMENT_MAX_BYTES:
            add(
                "attachments",
                _("附件“%(name)s”过大，最大%(mb)dMB。")
                % {"name": upload.name, "mb": settings.ATTACHMENT_MAX_BYTES // 2**20},
            )
        else:
            try:
                kind = _attachment_kind(upload)
            except ValidationError as exc:
                errors.setdefault("attachments", []).extend(exc.message_dict["attachments"])
                continue
            if kind == AttachmentKind.PHOTO:
                # Re-encoded on intake without the GPS position (issue 14); what is stored and checksummed is this.
                try:
                    upload.data = strip_photo(upload.data, keep_exif=True)
                except UnreadablePhoto:
                    add("attachments", _("照片“%(name)s”无法读取，请重新拍摄或导出后上传。") % {"name": upload.name})
    if corrects is not None and (corrects.elevator_id != elevator.pk or not access.can_amend_record(user, corrects)):
        add("corrects", _("更正记录必须针对本单位同一部电梯的记录。"))
    if errors:
        raise ValidationError(errors)


def _insert_rows(model, fields: list[str], rows: list[tuple]) -> None:
    """INSERT plain rows (values ready for the database) into `model`'s table, without model instances.

    On PostgreSQL one statement whatever the number of rows: `INSERT ... SELECT * FROM unnest(<one array per
    column>)`, the statement bulk_create sends, but without preparing every value of every instance in Python, which
    costs twice as much as the insert itself for the 10,000 checklist rows of a batch of 500 records. Elsewhere
    (SQLite) it is bulk_create.
    """
    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create([model(**dict(zip(fields, row, strict=True))) for row in rows])
        return
    columns = [model._meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    arrays = ", ".join(f"%s::{field.cast_db_type(connection)}[]" for field in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in columns)}) "
            f"SELECT * FROM unnest({arrays})",
            [list(values) for values in zip(*rows, strict=True)],
        )


def _save_records(*, user, records: list[dict]) -> list[MaintenanceRecord]:
    """Write checked records with their workers, items and files: one INSERT per table, whatever their number.

    bulk_create skips MaintenanceRecord.save() and signals: the save() guard is for confirmed records, and these
    are new; nothing listens to these models' signals (no history is kept of records: they are never changed).
    """
    saved = MaintenanceRecord.objects.bulk_create(
        [
            MaintenanceRecord(
                elevator=r["elevator"],
                firm_id=user.organization_id,
                tier=r["tier"],
                started_at=r["started_at"],
                ended_at=r["ended_at"],
                signed_by=r["signed_by"],
                note=r.get("note", ""),
                corrects=r.get("corrects"),
                created_by=user,
            )
            for r in records
        ]
    )
    _insert_rows(
        MaintenanceRecord.workers.through,
        ["maintenancerecord_id", "person_id"],
        [
            (record.pk, pk)
            for record, r in zip(saved, records, strict=True)
            for pk in dict.fromkeys(person.pk for person in r["workers"])
        ],
    )
    _insert_rows(
        RecordItem,
        ["record_id", "item_id", "result", "note"],
        [
            (record.pk, item_id, result, item_note[:255])
            for record, r in zip(saved, records, strict=True)
            for item_id, (result, item_note) in r.get("items", {}).items()
        ],
    )
    attachments = []
    for record, r in zip(saved, records, strict=True):
        for upload in r.get("attachments", []):
            attachment = Attachment(
                record=record,
                kind=_attachment_kind(upload),
                original_name=upload.name[:255],
                size=len(upload.data),
                sha256=hashlib.sha256(upload.data).hexdigest(),
            )
            attachment.file.save(upload.name, ContentFile(upload.data), save=False)
            attachments.append(attachment)
    Attachment.objects.bulk_create(attachments)
    return saved


@transaction.atomic
def record_create(
    *,
    user,
    elevator: Elevator,
    tier: str,
    started_at: datetime,
    ended_at: datetime,
    workers: list[Person],
    signed_by: Person,
    items: dict[int, tuple[str, str]] | None = None,
    attachments: list[UploadedFile] | None = None,
    note: str = "",
    corrects: MaintenanceRecord | None = None,
    idempotency_key: str = "",
    request_hash: str = "",
) -> MaintenanceRecord:
    """A firm uploads one visit: checklist, times, certified workers, photos/PDFs, the worker's sign-off.

    With an `idempotency_key` (the Idempotency-Key header, issue 14) the key is taken with the record, in one
    transaction, in the firm's keys that bulk uploads use too: a retry with the same key and `request_hash`
    (record_request_hash of the body) gets the first record back, another body IdempotencyConflict; a refused
    upload releases the key."""
    if idempotency_key:
        _check_key(idempotency_key)
        if not access.can_create_maintenance_record(user):
            raise PermissionDenied(_("只有维保单位可以上传维保记录。"))
        try:
            with transaction.atomic():
                # Taken first, under the unique constraint: a concurrent retry waits here, then replays.
                upload = BulkUpload.objects.create(
                    firm_id=user.organization_id, key=idempotency_key, request_hash=request_hash
                )
        except IntegrityError:
            return record_replayed(user=user, key=idempotency_key, request_hash=request_hash)
    record = dict(
        elevator=elevator,
        tier=tier,
        started_at=started_at,
        ended_at=ended_at,
        workers=workers,
        signed_by=signed_by,
        items=items or {},
        attachments=attachments or [],
        corrects=corrects,
    )
    _check_record(user=user, **record)
    saved = _save_records(user=user, records=[{**record, "note": note}])[0]
    if idempotency_key:
        upload.response = {"id": saved.pk}
        upload.save(update_fields=["response"])
    return saved


class IdempotencyConflict(Exception):
    """An Idempotency-Key already used for another request (the API answers 409)."""


def _check_key(key: str) -> None:
    if len(key) > 100:
        raise ValidationError({"Idempotency-Key": _("幂等键应为1至100个字符。")})


def record_request_hash(payload) -> str:
    """The fingerprint of one record upload's body, never equal to a bulk upload's."""
    return _request_hash({"single_record": payload})


def record_replayed(*, user, key: str, request_hash: str) -> MaintenanceRecord | None:
    """The record an earlier upload with this key made (None for a key not used yet); IdempotencyConflict when the
    key was used for another body or a bulk upload, or its record has since been withdrawn."""
    _check_key(key)
    previous = BulkUpload.objects.filter(firm_id=user.organization_id, key=key).first() if key else None
    if previous is None:
        return None
    if previous.request_hash != request_hash or "id" not in previous.response:
        raise IdempotencyConflict(_("该幂等键已用于另一份数据，请使用新的幂等键。"))
    record = MaintenanceRecord.objects.filter(pk=previous.response["id"]).first()
    if record is None:
        raise IdempotencyConflict(_("该幂等键对应的维保记录已被撤回，请使用新的幂等键。"))
    return record


@transaction.atomic
def record_confirm(*, user, record: MaintenanceRecord) -> MaintenanceRecord:
    """The use unit's designated safety manager, certificate valid today, confirms; from now on the record is
    immutable (TSG T5002-2017; 条例 §33)."""
    if not access.can_confirm_record(user, record):
        raise PermissionDenied(str(access.CONFIRM_REFUSED))
    locked = MaintenanceRecord.objects.select_for_update().get(pk=record.pk)
    if locked.status == RecordStatus.CONFIRMED:
        raise ConfirmedRecordError(_("该维保记录已确认。"))
    updated = MaintenanceRecord.objects.filter(pk=record.pk, status=RecordStatus.SUBMITTED).update(
        status=RecordStatus.CONFIRMED, confirmed_by=user, confirmed_at=timezone.now()
    )
    if not updated:
        raise ConfirmedRecordError(_("该维保记录已确认。"))
    if locked.tier in ROUTINE_TIERS:
        # The public page and the overdue job read the date of the last confirmed routine visit.
        day = timezone.localtime(locked.ended_at).date()
        Elevator.objects.filter(pk=locked.elevator_id).filter(
            Q(last_maintenance_on__isnull=True) | Q(last_maintenance_on__lt=day)
        ).update(last_maintenance_on=day)
    record.refresh_from_db()
    return record


def record_delete(*, user, record: MaintenanceRecord) -> None:
    """A firm may withdraw a record it uploaded until it is confirmed."""
    if not access.can_amend_record(user, record):
        raise PermissionDenied(_("只有上传该记录的维保单位可以删除未确认的记录。"))
    record.delete()  # the model refuses a confirmed record


# ---------------------------------------------------------------- bulk upload for firms' own systems


def _request_hash(payload) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def bulk_upload(*, user, key: str, payload: dict, parse_item) -> tuple[int, dict]:
    """All-or-nothing upload of many records under an idempotency key; returns (HTTP status, body).

    `parse_item(item)` turns one JSON item into record_create's keyword arguments, except that the references stay
    as sent (`elevator` a code or id, `workers` and `signed_by` person ids, `corrects` a record id or None), or raises
    ValidationError for a malformed item. The batch's references are resolved together, one query per table, and the
    records written with one INSERT per table: the query count does not grow with the batch (bench/README.md: 5,000
    records per second). The same key and body again returns the first answer and creates nothing; the same key with
    another body is refused with 409. Every bad item is reported by index, field and reason, and then nothing is
    written.
    """
    if not access.can_create_maintenance_record(user):
        raise PermissionDenied(_("只有维保单位可以批量上传维保记录。"))
    if not key or len(key) > 100:
        return 400, {"detail": _("请在 Idempotency-Key 请求头中提供1至100个字符的幂等键。")}
    digest = _request_hash(payload)
    items = payload.get("records") if isinstance(payload, dict) else None
    if not isinstance(items, list) or not items:
        return 400, {"detail": _('请求体应为 {"records": [...]}，且至少包含一条记录。')}
    if len(items) > settings.BULK_UPLOAD_MAX_RECORDS:
        return 400, {"detail": _("一次最多上传%(n)d条记录。") % {"n": settings.BULK_UPLOAD_MAX_RECORDS}}
    try:
        with transaction.atomic():
            # The key is taken first, under the unique constraint: a concurrent retry waits here, then replays.
            upload = BulkUpload.objects.create(firm_id=user.organization_id, key=key, request_hash=digest)
            records, errors = _bulk_check(user=user, items=items, parse_item=parse_item)
            if errors:
                # Nothing is written and the key is released, so the corrected batch may reuse it.
                transaction.set_rollback(True)
                return 400, {"created": 0, "errors": errors}
            created = [record.pk for record in _save_records(user=user, records=records)]
            body = {"created": len(created), "ids": created}
            upload.response, upload.status_code = body, 201
            upload.save(update_fields=["response", "status_code"])
            return 201, body
    except IntegrityError:
        previous = BulkUpload.objects.get(firm_id=user.organization_id, key=key)
        if previous.request_hash != digest:
            return 409, {"detail": _("该幂等键已用于另一批数据，请使用新的幂等键。")}
        return previous.status_code, {**previous.response, "replayed": True}


def _bulk_check(*, user, items: list, parse_item) -> tuple[list[dict], list[dict]]:
    """Parse and check a whole batch against one read of each table; returns (records, errors).

    The records are record_create's keyword arguments with objects; the errors, every bad item's
    {"index", "field", "message"}. An unknown person or record becomes an unsaved stand-in, so that the rules refuse
    it with the same message as someone else's (a guessed id reveals nothing).
    """
    failures: dict[int, Exception] = {}
    parsed = {}
    for index, item in enumerate(items):
        try:
            parsed[index] = parse_item(item)
        except ValidationError as exc:
            failures[index] = exc
    # parse_item strips the references; the rules read the elevator's firm, the messages its code.
    elevators = elevators_by_reference((p["elevator"] for p in parsed.values()), fields=("maintenance_firm_id",))
    people = Person.objects.only("name", "organization_id", "kind", "certificate_valid_until").in_bulk(
        {pk for p in parsed.values() for pk in [*p["workers"], p["signed_by"]]}
    )
    corrects_ids = {p["corrects"] for p in parsed.values() if p["corrects"] is not None}
    corrected = MaintenanceRecord.objects.only("elevator_id", "firm_id").in_bulk(corrects_ids) if corrects_ids else {}
    checklists, now = Checklists.load(), timezone.now()
    records = []
    for index, p in parsed.items():
        elevator = elevators.get(p["elevator"])
        if elevator is None:
            failures[index] = ValidationError({"elevator": _("找不到电梯“%(v)s”。") % {"v": p["elevator"]}})
            continue
        record = {
            **p,
            "elevator": elevator,
            "workers": [people.get(pk) or Person(pk=pk) for pk in dict.fromkeys(p["workers"])],
            "signed_by": people.get(p["signed_by"]) or Person(pk=p["signed_by"]),
            "corrects": None
            if p["corrects"] is None
            else corrected.get(p["corrects"]) or MaintenanceRecord(pk=p["corrects"]),
        }
        try:
            _check_record(user=user, checklists=checklists, now=now, **{k: v for k, v in record.items() if k != "note"})
        except (ValidationError, PermissionDenied) as exc:
            failures[index] = exc
        records.append(record)
    errors = [
        {"index": index, "field": field, "message": message}
        for index, exc in sorted(failures.items())
        for field, messages in _error_fields(exc).items()
        for message in messages
    ]
    return records, errors


def _error_fields(exc) -> dict[str, list[str]]:
    if isinstance(exc, PermissionDenied):
        return {"elevator": [str(exc)]}
    return exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
