"""Export of filtered, permission-scoped lists as CSV (streamed) or XLSX (written row by row to a temp file).

Each app names its columns as (label, getter) pairs next to its pages; this module writes them.
"""

import tempfile
from collections.abc import Iterable

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone

from .tabular import csv_stream, xlsx_file

CHUNK = 2000


def local_minute(moment) -> str:
    """A moment as the city's local time to the minute, as exports show it; empty for none."""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


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
