"""Writes of use registration certificates (使用登记证; 特种设备安全法 §33; TSG 08-2017): one elevator's number,
issuing authority, date and scan, and the bulk import of many from a CSV/XLSX table, all or nothing.

The certificate lives on registry.Elevator; its number's layout is registry.validators (梯11川D00123(19)). Who may
write is accounts.access.can_manage_preparedness for the elevator's use unit (a district regulator: use units of the
district). Each write goes through elevator.save(update_fields=...) (or its bulk twin) so the elevator's history
records who changed it.
"""

import uuid
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from accounts import access
from elevator_portal.files import IMAGES, sniff
from elevator_portal.tabular import TableError, read_table
from maintenance.photos import UnreadablePhoto, strip_photo
from registry.imports import CellError, Column, map_header, parse_date
from registry.models import Elevator
from registry.validators import normalize_use_certificate_no, use_certificate_error

from ..files import check_upload

CERTIFICATE_FIELDS = ["use_certificate_no", "use_certificate_authority", "use_certificate_issued_on"]
EXTENSIONS = {"pdf": "pdf", "jpeg": "jpg", "png": "png"}


def can_record_certificate(user, elevator: Elevator) -> bool:
    """The elevator's use unit, or a regulator for a use unit of the scope (can_manage_preparedness); an elevator
    with no use unit on record only by a regulator who sees it."""
    if elevator.use_unit_id is not None:
        return access.can_manage_preparedness(user, elevator.use_unit)
    return access.is_regulator(user) and access.elevators_for(user).filter(pk=elevator.pk).exists()


def _number_taken_by(number: str, *, exclude_pk: int | None) -> str | None:
    """The registration code of another elevator already recorded with this certificate number (one per elevator,
    TSG 08-2017 一台一证), or None."""
    return (
        Elevator.objects.filter(use_certificate_no=number)
        .exclude(pk=exclude_pk)
        .values_list("registration_code", flat=True)
        .first()
    )


def _stored_scan(scan) -> ContentFile:
    """The scan under a random name; a photo of the certificate re-encoded without metadata (maintenance.photos)."""
    data = scan.read()
    kind = sniff(data[:8])
    if kind in IMAGES:
        try:
            data = strip_photo(data)
        except UnreadablePhoto:
            raise ValidationError({"use_certificate_scan": _("扫描件图片无法读取，请重新拍摄或扫描。")}) from None
    return ContentFile(data, name=f"{uuid.uuid4().hex}.{EXTENSIONS[kind]}")


@transaction.atomic
def use_certificate_record(
    *, user, elevator: Elevator, number: str, authority: str, issued_on: date | None, scan=None
) -> Elevator:
    """Record the elevator's 使用登记证 (特种设备安全法 §33; TSG 08-2017). `scan`: a PDF/JPEG/PNG of at most
    PREPAREDNESS_FILE_MAX_BYTES replacing the stored one; None keeps it."""
    if not can_record_certificate(user, elevator):
        raise PermissionDenied(_("您只能登记本单位或本辖区使用单位电梯的使用登记证。"))
    check_upload(scan, field="use_certificate_scan", label=_("使用登记证扫描件"), kinds=("pdf", "jpeg", "png"))
    locked = Elevator.objects.select_for_update(of=("self",)).select_related("district", "use_unit").get(pk=elevator.pk)
    locked.use_certificate_no = normalize_use_certificate_no(number)
    locked.use_certificate_authority = (authority or "").strip()
    locked.use_certificate_issued_on = issued_on
    errors: dict[str, list] = {}
    if not locked.use_certificate_no:
        errors["use_certificate_no"] = [_("请填写使用登记证编号。")]
    if not locked.use_certificate_authority:
        errors["use_certificate_authority"] = [_("请填写登记机关。")]
    if issued_on is None:
        errors["use_certificate_issued_on"] = [_("请填写登记日期。")]
    try:
        locked.full_clean()  # normalises the number and checks its layout and the date (registry.validators)
    except ValidationError as exc:
        # Only the certificate's fields: an old flaw elsewhere in the registration must not block the certificate.
        for name, messages in exc.message_dict.items():
            if name in CERTIFICATE_FIELDS:
                errors.setdefault(name, []).extend(m for m in messages if m not in errors.get(name, []))
    if "use_certificate_no" not in errors and (
        other := _number_taken_by(locked.use_certificate_no, exclude_pk=locked.pk)
    ):
        errors["use_certificate_no"] = [
            _("使用登记证编号“%(no)s”已登记在电梯%(code)s上，一台电梯一证。")
            % {"no": locked.use_certificate_no, "code": other}
        ]
    if errors:
        raise ValidationError(errors)
    update_fields = [*CERTIFICATE_FIELDS, "updated_at"]
    if scan is not None:
        locked.use_certificate_scan = _stored_scan(scan)
        update_fields.append("use_certificate_scan")
    locked._history_user = user
    locked.save(update_fields=update_fields)
    return locked


# ---------------------------------------------------------------- bulk import

IMPORT_COLUMNS = [
    Column("registration_code", "注册代码", required=True),
    Column("use_certificate_no", "使用登记证编号", required=True),
    Column("use_certificate_authority", "登记机关", required=True),
    Column("use_certificate_issued_on", "登记日期", required=True),
]


def import_template_header() -> list[str]:
    return [c.label for c in IMPORT_COLUMNS]


@dataclass
class CertificateImport:
    """What an import did: how many elevators it updated, or (then none) each bad row's number, column, message."""

    updated: int = 0
    errors: list[dict] = field(default_factory=list)


def _elevators_by_code(codes: list[str]) -> dict[str, Elevator]:
    found: dict[str, Elevator] = {}
    for start in range(0, len(codes), 5000):
        for e in Elevator.objects.select_related("use_unit").filter(registration_code__in=codes[start : start + 5000]):
            found[e.registration_code] = e
    return found


def _numbers_taken(numbers: list[str]) -> dict[str, str]:
    """Certificate number → registration code of the elevator that has it on record."""
    taken: dict[str, str] = {}
    for start in range(0, len(numbers), 5000):
        taken.update(
            Elevator.objects.filter(use_certificate_no__in=numbers[start : start + 5000]).values_list(
                "use_certificate_no", "registration_code"
            )
        )
    return taken


def use_certificates_import(*, user, uploaded_file) -> CertificateImport:
    """Import certificates from a CSV/XLSX table (注册代码, 使用登记证编号, 登记机关, 登记日期): every row is checked
    first; only if none is bad are all written, in one transaction. A file with one bad row writes nothing, and each
    bad row is reported with its number (the header is row 1), column and message."""
    if not access.can_manage_preparedness(user):
        raise PermissionDenied(_("您没有权限导入使用登记证。"))
    try:
        rows = read_table(uploaded_file, uploaded_file.name)
        positions = map_header(rows[0], IMPORT_COLUMNS)
    except TableError as exc:
        raise ValidationError({"file": str(exc)}) from None
    labels = {c.key: c.label for c in IMPORT_COLUMNS}
    today = timezone.localdate()

    def cell(raw: list[str], key: str) -> str:
        index = positions[key]
        return raw[index].strip() if index < len(raw) else ""

    data = rows[1:]
    elevators = _elevators_by_code(sorted({cell(r, "registration_code") for r in data} - {""}))
    numbers = sorted({normalize_use_certificate_no(cell(r, "use_certificate_no")) for r in data} - {""})
    taken = _numbers_taken(numbers)
    result = CertificateImport()
    seen_codes: dict[str, int] = {}
    seen_numbers: dict[str, int] = {}
    changed: list[Elevator] = []

    for offset, raw in enumerate(data):
        row_no = offset + 2
        row_errors: list[tuple[str, str]] = []
        for col in IMPORT_COLUMNS:
            if not cell(raw, col.key):
                row_errors.append((col.label, _("不能为空。")))
        code = cell(raw, "registration_code")
        number = normalize_use_certificate_no(cell(raw, "use_certificate_no"))
        elevator = elevators.get(code) if code else None
        if code:
            if code in seen_codes:
                row_errors.append(
                    (labels["registration_code"], _("与第%(n)d行重复：“%(v)s”。") % {"n": seen_codes[code], "v": code})
                )
            else:
                seen_codes[code] = row_no
            if elevator is None:
                row_errors.append((labels["registration_code"], _("注册代码“%(v)s”不存在。") % {"v": code}))
            elif not can_record_certificate(user, elevator):
                row_errors.append(
                    (labels["registration_code"], _("电梯%(v)s不属于本单位或本辖区，不能导入。") % {"v": code})
                )
        if number:
            if msg := use_certificate_error(number, elevator_type=elevator.elevator_type if elevator else None):
                row_errors.append((labels["use_certificate_no"], str(msg)))
            if number in seen_numbers:
                row_errors.append(
                    (
                        labels["use_certificate_no"],
                        _("与第%(n)d行重复：“%(v)s”。") % {"n": seen_numbers[number], "v": number},
                    )
                )
            else:
                seen_numbers[number] = row_no
                if number in taken and taken[number] != code:
                    row_errors.append(
                        (
                            labels["use_certificate_no"],
                            _("使用登记证编号“%(no)s”已登记在电梯%(code)s上，一台电梯一证。")
                            % {"no": number, "code": taken[number]},
                        )
                    )
        issued_on = None
        if text := cell(raw, "use_certificate_issued_on"):
            try:
                issued_on = parse_date(text)
            except CellError as exc:
                row_errors.append((labels["use_certificate_issued_on"], str(exc)))
            else:
                if issued_on > today:
                    row_errors.append((labels["use_certificate_issued_on"], _("登记日期不能晚于今天。")))
        if row_errors:
            result.errors.extend({"row": row_no, "field": label, "message": message} for label, message in row_errors)
            continue
        elevator.use_certificate_no = number
        elevator.use_certificate_authority = cell(raw, "use_certificate_authority")
        elevator.use_certificate_issued_on = issued_on
        elevator.updated_at = timezone.now()
        changed.append(elevator)

    if result.errors or not changed:
        return result
    with transaction.atomic():
        # One UPDATE per batch and one insert of the history rows, each naming the importing user.
        bulk_update_with_history(
            changed, Elevator, [*CERTIFICATE_FIELDS, "updated_at"], batch_size=500, default_user=user
        )
    result.updated = len(changed)
    return result
