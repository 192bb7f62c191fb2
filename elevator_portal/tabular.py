"""Reading and writing CSV/XLSX tables: the file formats of bulk import and export.

openpyxl's read-only and write-only modes keep memory flat for tens of thousands of rows; CSV uses the
standard library, UTF-8 with BOM so that Excel on Chinese Windows opens it correctly.
"""

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator

from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell


class TableError(Exception):
    """The file as a whole cannot be read (wrong type, broken file, missing columns)."""


def sniff_format(name: str, head: bytes) -> str:
    """Decide CSV or XLSX by content, not only by the file name."""
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if name.lower().endswith((".xlsx", ".xls")):
        raise TableError(_("文件扩展名为Excel，但内容不是有效的XLSX文件。"))
    if b"\x00" in head:
        raise TableError(_("文件不是CSV或XLSX表格。"))
    return "csv"


def read_table(fileobj, name: str) -> list[list[str]]:
    """All rows of the first sheet (or the CSV) as lists of stripped strings; the first row is the header."""
    head = fileobj.read(8)
    fileobj.seek(0)
    if sniff_format(name, head) == "xlsx":
        try:
            workbook = load_workbook(fileobj, read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
            raise TableError(_("无法读取XLSX文件：%(e)s") % {"e": exc}) from exc
        sheet = workbook.worksheets[0]
        rows = [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        workbook.close()
    else:
        raw = fileobj.read()
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise TableError(_("无法识别CSV文件的编码，请保存为UTF-8。"))
        rows = [[c.strip() for c in row] for row in csv.reader(io.StringIO(text))]
    rows = [row for row in rows if any(cell for cell in row)]
    if not rows:
        raise TableError(_("文件是空的。"))
    return rows


def _cell_text(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "date") and hasattr(value, "hour"):  # datetime from Excel date cells
        return value.date().isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


class _Echo:
    def write(self, value):
        return value


# What a spreadsheet reads as the start of a formula in a CSV cell (OWASP "CSV Injection"): a resident's
# "=HYPERLINK(...)" in a complaint must reach the regulator's spreadsheet as text, never as a live formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert_csv_cell(value):
    """A CSV cell no spreadsheet evaluates: text that starts like a formula gets a leading apostrophe, which
    spreadsheets read as "this is text"; numbers and other text are written as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def inert_xlsx_cell(sheet, value):
    """An XLSX cell no spreadsheet evaluates: openpyxl stores text that starts with "=" as a formula, so such text is
    written as a string cell instead, keeping every character the user typed."""
    if isinstance(value, str) and value.startswith("="):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def csv_stream(header: list[str], rows: Iterable[list]) -> Iterator[str]:
    """CSV lines one at a time, for a StreamingHttpResponse; every cell made inert (the one path of every export)."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([inert_csv_cell(value) for value in header])
    for row in rows:
        yield writer.writerow([inert_csv_cell(value) for value in row])


def xlsx_file(header: list[str], rows: Iterable[list], target) -> None:
    """Write an XLSX file row by row (openpyxl write-only mode keeps memory flat); every cell made inert."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append([inert_xlsx_cell(sheet, value) for value in header])
    for row in rows:
        sheet.append([inert_xlsx_cell(sheet, value) for value in row])
    workbook.save(target)
