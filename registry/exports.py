"""Export of filtered, permission-scoped lists as CSV (streamed) or XLSX (written row by row to a temp file)."""

import tempfile
from collections.abc import Callable, Iterable

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone

from .tabular import csv_stream, xlsx_file

CHUNK = 2000

ELEVATOR_EXPORT: list[tuple[str, Callable]] = [
    ("注册代码", lambda e: e.registration_code),
    ("应急救援识别码", lambda e: e.rescue_code or ""),
    ("使用登记证编号", lambda e: e.use_certificate_no),
    ("电梯类型", lambda e: e.get_elevator_type_display()),
    ("所在区县", lambda e: e.district.name),
    ("安装地址", lambda e: e.address),
    ("楼宇/小区名称", lambda e: e.building_name),
    ("场所类型", lambda e: e.get_building_kind_display()),
    ("使用单位", lambda e: e.use_unit.name if e.use_unit else ""),
    ("维保单位", lambda e: e.maintenance_firm.name if e.maintenance_firm else ""),
    ("投入使用日期", lambda e: e.commission_date.isoformat() if e.commission_date else ""),
    ("状态", lambda e: e.get_status_display()),
    ("专项维修资金", lambda e: e.get_maintenance_fund_display()),
    ("检验有效期至", lambda e: e.inspection_valid_until.isoformat() if e.inspection_valid_until else ""),
    ("最近维保日期", lambda e: e.last_maintenance_on.isoformat() if e.last_maintenance_on else ""),
]


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


FAULT_EXPORT: list[tuple[str, Callable]] = [
    ("注册代码", lambda f: f.elevator.registration_code),
    ("安装地址", lambda f: f.elevator.address),
    ("所在区县", lambda f: f.elevator.district.name),
    ("维保单位", lambda f: f.firm.name if f.firm else ""),
    ("来源", lambda f: f.get_source_display()),
    ("故障类型", lambda f: f.get_kind_display()),
    ("故障原因", lambda f: f.get_cause_display()),
    ("被困人数", lambda f: f.trapped_people),
    ("报告时间", lambda f: _local(f.reported_at)),
    ("派出时间", lambda f: _local(f.dispatched_at)),
    ("到达时间", lambda f: _local(f.arrived_at)),
    ("解救/恢复时间", lambda f: _local(f.released_at)),
]

ORGANIZATION_EXPORT: list[tuple[str, Callable]] = [
    ("单位名称", lambda o: o.name),
    ("单位类型", lambda o: o.get_kind_display()),
    ("统一社会信用代码", lambda o: o.credit_code),
    ("许可证编号", lambda o: o.licence_no),
    ("许可证有效期至", lambda o: o.licence_valid_until.isoformat() if o.licence_valid_until else ""),
    ("所在区县", lambda o: o.district.name if o.district else ""),
    ("地址", lambda o: o.address),
    ("单位电话", lambda o: o.contact_phone),
]


def _rows(queryset, columns) -> Iterable[list]:
    # iterator() streams from the database cursor instead of loading the whole list into memory.
    for obj in queryset.iterator(chunk_size=CHUNK):
        yield [get(obj) for _, get in columns]


def export_response(*, queryset, columns, fmt: str, basename: str):
    """A download of the queryset: CSV streams as it is read; XLSX is spooled to disk, not held in memory."""
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    header = [label for label, _ in columns]
    if fmt == "xlsx":
        spool = tempfile.TemporaryFile()
        xlsx_file(header, _rows(queryset, columns), spool)
        spool.seek(0)
        return FileResponse(
            spool,
            as_attachment=True,
            filename=f"{basename}-{stamp}.xlsx",
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response = StreamingHttpResponse(
        csv_stream(header, _rows(queryset, columns)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{basename}-{stamp}.csv"'
    return response
