"""Reading and writing CSV/XLSX tables: the file formats of bulk import and export.

openpyxl's read-only and write-only modes keep memory flat for tens of thousands of rows; CSV uses the
standard library, UTF-8 with BOM so that Excel on Chinese Windows opens it correctly.

An uploaded XLSX is a zip of XML written by anyone (issue 14): before openpyxl reads it, `check_xlsx` refuses a zip
whose members declare more than XLSX_MAX_UNCOMPRESSED_BYTES in all (a 4 MB zip held 1.2 GB of sheet XML; Python's
zipfile never inflates a member past its declared size, so the declared sizes bound the work) or too many members,
and any XML part with a DTD (XLSX parts never carry one; entity expansion, "billion laughs", needs it). Reading
stops past IMPORT_MAX_ROWS rows, CSV alike.
"""

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from xml.etree.ElementTree import ParseError

from django.conf import settings
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


XLSX_MAX_MEMBERS = 1000
# The XML declaration, comments and processing instructions before the root element; a DTD would be among them.
PROLOG_MAX_BYTES = 64 * 1024
_ROOT_START = re.compile(rb"<[A-Za-z_]")


def _prolog(member) -> bytes:
    """The bytes of an XML part before its root element (UTF-16 parts re-encoded as UTF-8 for the search)."""
    head = member.read(PROLOG_MAX_BYTES)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = head.decode("utf-16", errors="replace").encode()
    root = _ROOT_START.search(head)
    if root is None and len(head) == PROLOG_MAX_BYTES:
        raise TableError(_("XLSX文件中的XML格式异常，无法读取。"))
    return head[: root.start()] if root else head


def check_xlsx(fileobj) -> None:
    """Refuse an XLSX whose contents would be too big once inflated or that declares a DTD, before openpyxl reads it
    (TableError with the reason). Reads the central directory and the start of each XML part only."""
    limit = settings.XLSX_MAX_UNCOMPRESSED_BYTES
    try:
        with zipfile.ZipFile(fileobj) as archive:
            members = archive.infolist()
            if len(members) > XLSX_MAX_MEMBERS:
                raise TableError(_("XLSX文件包含的部件过多，无法读取。"))
            if sum(member.file_size for member in members) > limit:
                raise TableError(_("XLSX文件解压后超过%(mb)dMB，请拆分后分批导入。") % {"mb": limit // 2**20})
            for member in members:
                if member.filename.endswith((".xml", ".rels")):
                    with archive.open(member) as part:
                        prolog = _prolog(part)
                    if b"<!DOCTYPE" in prolog or b"<!ENTITY" in prolog:
                        raise TableError(_("XLSX文件包含DTD或实体声明，出于安全原因不予读取。"))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, OSError, EOFError) as exc:
        raise TableError(_("无法读取XLSX文件：%(e)s") % {"e": exc}) from exc
    finally:
        fileobj.seek(0)


def _too_many_rows(limit: int) -> TableError:
    return TableError(_("文件超过%(n)d行，请拆分后分批导入。") % {"n": limit})


def _xlsx_rows(fileobj, limit: int) -> list[list[str]]:
    check_xlsx(fileobj)
    try:
        workbook = load_workbook(fileobj, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, ParseError) as exc:
        raise TableError(_("无法读取XLSX文件：%(e)s") % {"e": exc}) from exc
    try:
        rows = []
        for row in workbook.worksheets[0].iter_rows(values_only=True):
            if len(rows) > limit:  # the header and `limit` rows of data
                raise _too_many_rows(limit)
            rows.append([_cell_text(v) for v in row])
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, ParseError, IndexError) as exc:
        raise TableError(_("无法读取XLSX文件：%(e)s") % {"e": exc}) from exc
    finally:
        workbook.close()
    return rows


# A GB18030 decoding is believed when at most this share of its non-ASCII characters is unusual (issue 14).
ODD_CHARACTER_SHARE = 0.2
# Punctuation a Chinese table may well hold outside GB2312: Latin-1 signs, general punctuation (—, …, ‰),
# CJK symbols and full-width forms.
_COMMON_PUNCTUATION = ((0x00A0, 0x00FF), (0x2000, 0x206F), (0x3000, 0x303F), (0xFF00, 0xFFEF))


def _is_usual(char: str) -> bool:
    code = ord(char)
    if code < 0x80 or any(low <= code <= high for low, high in _COMMON_PUNCTUATION):
        return True
    try:
        char.encode("gb2312")  # the 6,763 common hanzi and the usual symbols
    except UnicodeEncodeError:
        return False
    return True


def decode_csv(raw: bytes, name: str) -> str:
    """The text of a CSV in UTF-8 (with or without BOM) or GB18030, each decoded strictly; anything else is a
    TableError naming the file (issue 14: Big5 and Latin-1 files were read as GB18030 gibberish and imported).

    Every byte string of a double-byte encoding decodes as *some* GB18030, so a GB18030 decoding is believed only
    when its non-ASCII characters are mostly common ones (GB2312 hanzi, punctuation): Big5 text decodes to about half
    rare or private-use characters, Latin-1 letters to odd hanzi, while a real Chinese table has a few rare ones in
    names at most."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    refused = TableError(_("文件“%(name)s”编码无法识别，请另存为UTF-8或GB18030编码的CSV。") % {"name": name})
    try:
        text = raw.decode("gb18030")
    except UnicodeDecodeError:
        raise refused from None
    wide = [char for char in text if ord(char) >= 0x80]
    odd = sum(1 for char in wide if not _is_usual(char))
    if wide and odd > ODD_CHARACTER_SHARE * len(wide):
        raise refused
    return text


def read_table(fileobj, name: str) -> list[list[str]]:
    """All rows of the first sheet (or the CSV) as lists of stripped strings; the first row is the header.
    TableError past IMPORT_MAX_ROWS rows of data, or for an XLSX `check_xlsx` refuses."""
    limit = settings.IMPORT_MAX_ROWS
    head = fileobj.read(8)
    fileobj.seek(0)
    if sniff_format(name, head) == "xlsx":
        rows = _xlsx_rows(fileobj, limit)
    else:
        text = decode_csv(fileobj.read(), name)
        rows = []
        try:
            for row in csv.reader(io.StringIO(text)):
                if len(rows) > limit:
                    raise _too_many_rows(limit)
                rows.append([c.strip() for c in row])
        except csv.Error as exc:
            raise TableError(_("无法读取CSV文件：%(e)s") % {"e": exc}) from exc
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
