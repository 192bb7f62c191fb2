"""Bulk import of organisations and elevators from CSV/XLSX: all-or-nothing, every bad row reported.

Import runs in two phases. First every row is checked (nothing is written; progress is saved as it goes so
the page can show it); then, only if no row is bad, everything is inserted in one transaction with its audit
records. A file with one bad row imports nothing and the report names each bad row, field and reason.

Jobs that always finish (docs/architecture.md "Jobs"): the job row is committed first and only then sent to a
worker, so a broker that is down loses nothing; the run that takes the job (a conditional UPDATE, so two runs never
import twice) beats a heartbeat with its progress, and every write of that run is fenced by its attempt number, so a
run that lost the job (taken back by the watchdog) writes nothing. The watchdog, `import_jobs_requeue`, sends again
a pending job nobody took and takes back a running job whose heartbeat stopped, up to `IMPORT_MAX_ATTEMPTS` runs.
"""

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from accounts import access
from elevator_portal.tabular import TableError, read_table

from .choices import (
    BuildingKind,
    ElevatorStatus,
    ElevatorType,
    ImportKind,
    ImportStatus,
    MaintenanceFund,
    OrganizationKind,
)
from .models import District, Elevator, ImportJob, Organization

logger = logging.getLogger(__name__)
PROGRESS_EVERY = 500
BATCH_SIZE = 2000


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    required: bool = False


ORGANIZATION_COLUMNS = [
    Column("name", "单位名称", required=True),
    Column("kind", "单位类型", required=True),
    Column("credit_code", "统一社会信用代码"),
    Column("licence_no", "许可证编号"),
    Column("licence_valid_until", "许可证有效期至"),
    Column("district", "所在区县"),
    Column("address", "地址"),
    Column("contact_phone", "单位电话"),
]

ELEVATOR_COLUMNS = [
    Column("registration_code", "注册代码", required=True),
    Column("rescue_code", "应急救援识别码"),
    Column("use_certificate_no", "使用登记证编号"),
    Column("elevator_type", "电梯类型", required=True),
    Column("district", "所在区县", required=True),
    Column("address", "安装地址", required=True),
    Column("building_name", "楼宇/小区名称"),
    Column("building_kind", "场所类型"),
    Column("use_unit", "使用单位"),
    Column("maintenance_firm", "维保单位"),
    Column("manufacturer", "制造单位"),
    Column("installer", "安装单位"),
    Column("manufacture_date", "制造日期"),
    Column("commission_date", "投入使用日期"),
    Column("rated_load_kg", "额定载重量(kg)"),
    Column("rated_speed_ms", "额定速度(m/s)"),
    Column("floors", "层站数"),
    Column("status", "状态"),
    Column("maintenance_fund", "专项维修资金"),
    Column("inspection_valid_until", "检验有效期至"),
    Column("latitude", "纬度"),
    Column("longitude", "经度"),
]

COLUMNS = {ImportKind.ORGANIZATIONS: ORGANIZATION_COLUMNS, ImportKind.ELEVATORS: ELEVATOR_COLUMNS}


class CellError(Exception):
    pass


def parse_date(text: str) -> dt.date:
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d"):
        try:
            return dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007 (a calendar date: no time, no zone)
        except ValueError:
            continue
    raise CellError(_("“%(v)s”不是有效日期，请写成2024-05-31。") % {"v": text})


def parse_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise CellError(_("“%(v)s”不是整数。") % {"v": text}) from None
    if value < 0:
        raise CellError(_("不能为负数。"))
    return value


def parse_decimal(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:
        raise CellError(_("“%(v)s”不是数字。") % {"v": text}) from None


def choice_parser(choices) -> Callable[[str], str]:
    """Accept a choice by its code or by its Chinese/English label."""
    lookup = {}
    for value, label in choices.choices:
        lookup[value.lower()] = value
        lookup[str(label).lower()] = value
    names = "、".join(str(label) for _, label in choices.choices)

    def parse(text: str) -> str:
        try:
            return lookup[text.lower()]
        except KeyError:
            raise CellError(_("“%(v)s”不是可选值，应为%(names)s之一。") % {"v": text, "names": names}) from None

    return parse


class Lookups:
    """Districts and organisations loaded once per import, so that checking a row costs no query."""

    def __init__(self):
        self.districts = {}
        for d in District.objects.all():
            self.districts[d.code] = d
            self.districts[d.name] = d
        self.organizations = {(o.kind, o.name): o for o in Organization.objects.only("id", "name", "kind")}
        self.credit_codes = {
            o.credit_code: o
            for o in Organization.objects.exclude(credit_code="").only("id", "name", "kind", "credit_code")
        }

    def district(self, text: str) -> District:
        try:
            return self.districts[text]
        except KeyError:
            raise CellError(
                _("“%(v)s”不是攀枝花市的区县（可填名称或代码，如“东区”或510402）。") % {"v": text}
            ) from None

    def organization(self, kind: str, text: str) -> Organization:
        org = self.organizations.get((kind, text)) or self.credit_codes.get(text)
        if org is None or org.kind != kind:
            raise CellError(
                _("找不到名为“%(v)s”的%(kind)s，请先导入或登记该单位。")
                % {"v": text, "kind": OrganizationKind(kind).label}
            )
        return org


def _refuse_maintenance_firm(text: str):
    """An elevator's maintenance firm follows its active contract (docs/rules.md "Maintenance"; issue 14): an
    imported elevator is new, so it has none yet, and a firm named in the file is refused rather than ignored."""
    raise CellError(_("维保单位随生效的维保合同确定，导入时请留空；电梯登记后再登记维保合同。"))


# Recognised in a file (so that a filled cell is refused, not silently dropped) but left out of the template.
NOT_IN_TEMPLATE = {"maintenance_firm"}


def _elevator_parsers(lookups: Lookups) -> dict[str, Callable[[str], object]]:
    return {
        "elevator_type": choice_parser(ElevatorType),
        "district": lookups.district,
        "building_kind": choice_parser(BuildingKind),
        "use_unit": lambda t: lookups.organization(OrganizationKind.USE_UNIT, t),
        "maintenance_firm": _refuse_maintenance_firm,
        "manufacturer": lambda t: lookups.organization(OrganizationKind.MANUFACTURER, t),
        "installer": lambda t: lookups.organization(OrganizationKind.INSTALLER, t),
        "manufacture_date": parse_date,
        "commission_date": parse_date,
        "inspection_valid_until": parse_date,
        "rated_load_kg": parse_int,
        "floors": parse_int,
        "rated_speed_ms": parse_decimal,
        "latitude": parse_decimal,
        "longitude": parse_decimal,
        "status": choice_parser(ElevatorStatus),
        "maintenance_fund": choice_parser(MaintenanceFund),
    }


def _organization_parsers(lookups: Lookups) -> dict[str, Callable[[str], object]]:
    return {
        "kind": choice_parser(OrganizationKind),
        "district": lookups.district,
        "licence_valid_until": parse_date,
    }


MODEL = {ImportKind.ORGANIZATIONS: Organization, ImportKind.ELEVATORS: Elevator}
PARSERS = {ImportKind.ORGANIZATIONS: _organization_parsers, ImportKind.ELEVATORS: _elevator_parsers}
# Fields unique across the registry: checked against the file itself and the database in bulk.
UNIQUE_FIELDS = {
    ImportKind.ORGANIZATIONS: ["name", "credit_code"],
    ImportKind.ELEVATORS: ["registration_code", "rescue_code"],
}


def map_header(header: list[str], columns: list[Column]) -> dict[str, int]:
    """Column positions by key; headers may be the Chinese labels or the English keys."""
    by_name = {}
    for col in columns:
        by_name[col.label] = col.key
        by_name[col.key] = col.key
    positions = {}
    for index, name in enumerate(header):
        key = by_name.get(name.strip())
        if key and key not in positions:
            positions[key] = index
    missing = [col.label for col in columns if col.required and col.key not in positions]
    if missing:
        raise TableError(
            _("缺少必需的列：%(cols)s。第一行应为表头，可使用模板中的列名。") % {"cols": "、".join(missing)}
        )
    return positions


def check_rows(kind: str, rows: list[list[str]], on_progress: Callable[[int], None] | None = None, user=None):
    """Build unsaved objects from data rows; return (objects, errors). Row numbers count the header as row 1.

    With a `user`, each row must be one that user may register (a district regulator: their district only).
    """
    may_change = {
        ImportKind.ORGANIZATIONS: access.can_change_organization,
        ImportKind.ELEVATORS: access.can_change_elevator,
    }[kind]
    columns = COLUMNS[kind]
    labels = {c.key: c.label for c in columns}
    positions = map_header(rows[0], columns)
    lookups = Lookups()
    parsers = PARSERS[kind](lookups)
    model = MODEL[kind]
    objects, errors = [], []
    seen: dict[str, dict[str, int]] = {field: {} for field in UNIQUE_FIELDS[kind]}

    for offset, raw in enumerate(rows[1:]):
        row_no = offset + 2
        values, row_errors = {}, []
        for col in columns:
            text = raw[positions[col.key]].strip() if col.key in positions and positions[col.key] < len(raw) else ""
            if not text:
                if col.required:
                    row_errors.append((col.label, _("不能为空。")))
                continue
            parser = parsers.get(col.key)
            try:
                values[col.key] = parser(text) if parser else text
            except CellError as exc:
                row_errors.append((col.label, str(exc)))
        obj = model(**values)
        if user is not None and not row_errors and not may_change(user, obj):
            row_errors.append((labels["district"], _("您只能导入本辖区的数据。")))
        if not row_errors:
            try:
                obj.full_clean(validate_unique=False, validate_constraints=False)
            except ValidationError as exc:
                for field, messages in exc.message_dict.items():
                    label = labels.get(field, field)
                    row_errors.extend((label, m) for m in messages)
        for field in UNIQUE_FIELDS[kind]:
            value = getattr(obj, field, None)
            if not value:
                continue
            if value in seen[field]:
                row_errors.append(
                    (labels[field], _("与第%(n)d行重复：“%(v)s”。") % {"n": seen[field][value], "v": value})
                )
            else:
                seen[field][value] = row_no
        for label, message in row_errors:
            errors.append({"row": row_no, "field": label, "message": message})
        if not row_errors:
            objects.append(obj)
        if on_progress and (offset + 1) % PROGRESS_EVERY == 0:
            on_progress(offset + 1)

    # One query per unique field (in chunks) instead of one per row.
    for field in UNIQUE_FIELDS[kind]:
        values = list(seen[field])
        existing = set()
        for start in range(0, len(values), 5000):
            existing.update(
                model.objects.filter(**{f"{field}__in": values[start : start + 5000]}).values_list(field, flat=True)
            )
        for value in sorted(existing, key=lambda v: seen[field][v]):
            errors.append(
                {
                    "row": seen[field][value],
                    "field": labels[field],
                    "message": _("“%(v)s”已登记，不能重复导入。") % {"v": value},
                }
            )
    errors.sort(key=lambda e: e["row"])
    return objects, errors


def import_job_start(*, user, kind: str, uploaded_file) -> ImportJob:
    """Save an uploaded file as an import job; small files are imported at once, large ones by a worker.

    The job row is committed before a worker is asked: if the broker is down the job stays pending (the page says it
    is queued) and the watchdog sends it later."""
    if uploaded_file.size > settings.IMPORT_MAX_FILE_BYTES:
        raise ValidationError(
            {"file": _("文件过大（最大%(mb)dMB）。") % {"mb": settings.IMPORT_MAX_FILE_BYTES // 2**20}}
        )
    try:
        rows = read_table(uploaded_file, uploaded_file.name)
        map_header(rows[0], COLUMNS[kind])
    except TableError as exc:
        raise ValidationError({"file": str(exc)}) from exc
    uploaded_file.seek(0)
    job = ImportJob.objects.create(
        kind=kind,
        file=uploaded_file,
        original_name=uploaded_file.name[:255],
        created_by=user,
        total_rows=len(rows) - 1,
        queued_at=timezone.now(),
    )
    if job.total_rows <= settings.IMPORT_SYNC_MAX_ROWS:
        import_job_run(job_id=job.pk)
        job.refresh_from_db()
    else:
        transaction.on_commit(lambda: import_job_send(job_id=job.pk))
    return job


def import_job_send(*, job_id: int) -> bool:
    """Ask a worker to run the job; False (logged) when the broker cannot be reached: the watchdog sends it again."""
    from .tasks import import_run_task

    try:
        import_run_task.delay(job_id)
    except Exception:  # kombu's OperationalError, OSError...: the committed job row is the durable record
        logger.warning("import job %s not sent to a worker; the watchdog sends it again", job_id, exc_info=True)
        return False
    return True


class _JobLost(Exception):
    """This run no longer holds the job: the watchdog took it back after its heartbeat stopped."""


@dataclass
class _Run:
    """One run's hold on a job: every write is fenced by (status running, this attempt number)."""

    job_id: int
    attempt: int

    def mine(self):
        return ImportJob.objects.filter(pk=self.job_id, status=ImportStatus.RUNNING, attempts=self.attempt)

    def beat(self, **fields) -> None:
        if not self.mine().update(heartbeat_at=timezone.now(), **fields):
            raise _JobLost


def import_job_run(*, job_id: int) -> None:
    """Check every row, then insert all of them in one transaction, or none. Safe to run twice, or at once."""
    job = ImportJob.objects.select_related("created_by").filter(pk=job_id).first()
    if job is None or job.status != ImportStatus.PENDING:
        return
    # Only one run may take a pending job (a retried, redelivered or duplicated task finds it taken and stops);
    # the attempt number it takes fences all its later writes.
    attempt = job.attempts + 1
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportStatus.PENDING, attempts=job.attempts).update(
        status=ImportStatus.RUNNING, attempts=attempt, heartbeat_at=timezone.now(), processed_rows=0
    )
    if not claimed:
        return
    run = _Run(job_id=job_id, attempt=attempt)
    try:
        _import(job, run)
    except _JobLost:
        logger.warning("import job %s: run %s lost the job to a later run; it wrote nothing", job_id, attempt)


def _import(job: ImportJob, run: _Run) -> None:
    try:
        with job.file.open("rb") as fh:
            rows = read_table(fh, job.original_name)
        run.beat()

        def on_progress(done: int) -> None:
            run.beat(processed_rows=done)

        objects, errors = check_rows(job.kind, rows, on_progress, user=job.created_by)
    except _JobLost:
        raise
    except TableError as exc:
        objects, errors = [], [{"row": 1, "field": "", "message": str(exc)}]
    except Exception:
        logger.exception("import job %s crashed", job.pk)
        objects, errors = [], [{"row": 0, "field": "", "message": _("导入时发生系统错误，请联系管理员。")}]

    if errors:
        run.beat(status=ImportStatus.FAILED, errors=errors, processed_rows=job.total_rows, finished_at=timezone.now())
        return
    try:
        with transaction.atomic():
            # The job row first: its lock keeps the watchdog waiting until this transaction ends, and a run that
            # lost the job rolls back before writing anything.
            run.beat(
                status=ImportStatus.SUCCEEDED,
                created_rows=len(objects),
                processed_rows=job.total_rows,
                finished_at=timezone.now(),
            )
            bulk_create_with_history(
                objects,
                MODEL[job.kind],
                batch_size=BATCH_SIZE,
                default_user=job.created_by,
                default_change_reason=f"import #{job.pk}",
            )
    except IntegrityError:
        # Someone registered one of these codes between the check and the insert: nothing was written.
        errors = [{"row": 0, "field": "", "message": _("导入期间有相同代码被登记，本次未导入任何数据，请重新上传。")}]
        run.beat(status=ImportStatus.FAILED, errors=errors, finished_at=timezone.now())


@dataclass(frozen=True)
class Requeued:
    sent: list[int]  # pending jobs nobody took, sent again
    restarted: list[int]  # running jobs whose heartbeat stopped, back to pending and sent again
    failed: list[int]  # interrupted IMPORT_MAX_ATTEMPTS times: failed with a reason


def import_jobs_requeue(*, now: dt.datetime | None = None) -> Requeued:
    """The watchdog (every minute; `manage.py requeue_stale_jobs`): no import job stays pending or running for ever.

    Each change is a conditional UPDATE that re-checks the staleness, so two watchdogs at once change a job once."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=settings.IMPORT_STALE_SECONDS)
    pending = Q(status=ImportStatus.PENDING) & (
        Q(queued_at__lt=cutoff) | Q(queued_at__isnull=True, created_at__lt=cutoff)
    )
    running = Q(status=ImportStatus.RUNNING) & (Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True))
    stale = pending | running
    sent, restarted, failed = [], [], []
    for job in ImportJob.objects.filter(stale).only("pk", "status", "attempts").order_by("pk"):
        same = ImportJob.objects.filter(stale, pk=job.pk, status=job.status, attempts=job.attempts)
        if job.status == ImportStatus.RUNNING and job.attempts >= settings.IMPORT_MAX_ATTEMPTS:
            reason = _("导入任务多次中断（%(n)d次），未导入任何数据，请重新上传。") % {"n": job.attempts}
            if same.update(
                status=ImportStatus.FAILED,
                errors=[{"row": 0, "field": "", "message": reason}],
                finished_at=now,
            ):
                logger.error("import job %s failed after %s interrupted runs", job.pk, job.attempts)
                failed.append(job.pk)
        elif same.update(status=ImportStatus.PENDING, queued_at=now, processed_rows=0):
            (restarted if job.status == ImportStatus.RUNNING else sent).append(job.pk)
    for job_id in sent + restarted:
        import_job_send(job_id=job_id)
    if restarted:
        logger.warning("import jobs %s: heartbeat stopped, sent again", restarted)
    return Requeued(sent=sent, restarted=restarted, failed=failed)


def template_header(kind: str) -> list[str]:
    return [c.label for c in COLUMNS[kind] if c.key not in NOT_IN_TEMPLATE]
