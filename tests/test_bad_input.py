"""Bad input in a query string or form gets a page or a 4xx with a message, never a server error."""

import pytest
from django.urls import reverse


@pytest.mark.parametrize("month", ["9999-12", "0001-01", "2026-13", "abc", "2026-", "-1-01"])
def test_the_inspection_calendar_shows_this_month_for_a_month_it_cannot_show(client, world, month):
    client.force_login(world["users"]["inspection"])
    assert client.get(reverse("inspections:calendar"), {"month": month}).status_code == 200


def test_marking_a_notification_read_with_a_malformed_id_is_a_400_with_a_message(client, world):
    client.force_login(world["users"]["use_unit"])
    response = client.post(reverse("notifications:mark_read"), {"id": "abc"})
    assert response.status_code == 400 and "通知编号无效" in response.content.decode()


def test_marking_an_unknown_notification_read_marks_none(client, world):
    client.force_login(world["users"]["use_unit"])
    response = client.post(reverse("notifications:mark_read"), {"id": "999999"}, follow=True)
    assert response.status_code == 200 and "已将0条通知标为已读" in response.content.decode()


# --- The API's filters, bodies and uploads (issue 14): a 400 naming the field, never a server error -------------

BAD_OFFSET = "1028-12-10T00:01:33+16:26"  # PostgreSQL refuses offsets beyond ±15:59
RECORDS = "/api/v1/maintenance-records/"
BULK = "/api/v1/maintenance-records/bulk/"


def _record(world, **extra):
    import base64  # noqa: F401  (kept local: the calendar tests above need none of this)
    from datetime import timedelta

    from django.utils import timezone

    from .factories import all_ok

    start = timezone.now() - timedelta(hours=3)
    data = {
        "elevator": world["a"].registration_code,
        "tier": "half_monthly",
        "started_at": start.isoformat(),
        "ended_at": (start + timedelta(minutes=45)).isoformat(),
        "workers": [world["worker_a"].pk],
        "signed_by": world["worker_a"].pk,
        "items": [{"item": pk, "result": "ok"} for pk in all_ok()],
    }
    data.update(extra)
    return data


def _fields(response) -> set[str]:
    body = response.json()
    return set(body) if isinstance(body, dict) else set()


@pytest.mark.parametrize(
    "url, role, params, field",
    [
        (RECORDS, "maintenance", {"started_before": BAD_OFFSET}, "started_before"),
        (RECORDS, "maintenance", {"started_after": "2026-01-01T00:00:00-16:00"}, "started_after"),
        (RECORDS, "maintenance", {"started_after": "0001-01-01T00:00:00+08:00"}, "started_after"),
        (RECORDS, "maintenance", {"started_before": "9999-12-31T23:59:59-08:00"}, "started_before"),
        ("/api/v1/faults/", "city", {"reported_before": "9999-12-31"}, "reported_before"),
        ("/api/v1/faults/", "city", {"reported_after": "0001-01-01"}, "reported_after"),
        ("/api/v1/inspection-applications/", "city", {"scheduled_after": "0001-01-01"}, "scheduled_after"),
        ("/api/v1/elevators/", "city", {"commissioned_before": "9999-12-31"}, "commissioned_before"),
    ],
)
def test_a_date_filter_out_of_range_is_a_400_naming_it(client, world, url, role, params, field):
    client.force_login(world["users"][role])
    response = client.get(url, params)
    assert response.status_code == 400, response.content
    assert field in _fields(response)


@pytest.mark.parametrize(
    "url, role",
    [
        (RECORDS, "maintenance"),
        ("/api/v1/inspection-applications/", "city"),
        ("/api/v1/inspections/", "city"),
        ("/api/v1/faults/", "city"),
        ("/api/v1/complaints/", "city"),
        ("/api/v1/elevators/", "city"),
        ("/api/v1/organizations/", "city"),
        ("/api/v1/districts/", "city"),
        ("/maintenance/records/", "maintenance"),
        ("/inspections/applications/", "city"),
    ],
)
def test_a_nul_in_q_is_never_a_server_error(client, world, url, role):
    client.force_login(world["users"][role])
    response = client.get(url, {"q": "a\x00b"})
    assert response.status_code in (200, 400), response.status_code
    if url.startswith("/api/"):
        assert response.status_code == 400 and "q" in _fields(response)


@pytest.mark.parametrize(
    "params", [{"service_request_id": "TS\x00"}, {"service_code": "\x00"}, {"status": "\x00"}, {"q": "\x00"}]
)
def test_open311_lists_answer_a_nul_with_a_spec_error_or_nothing(client, db, params):
    response = client.get("/open311/v2/requests.json", params)
    assert response.status_code in (200, 400)


@pytest.mark.parametrize("field", ["start_date", "end_date"])
def test_open311_dates_with_an_impossible_offset_are_a_400_naming_the_field(client, db, field):
    response = client.get("/open311/v2/requests.json", {field: BAD_OFFSET})
    assert response.status_code == 400 and field in response.json()[0]["description"]


def test_open311_requests_xml_stays_well_formed_with_control_characters(client, plan, districts):
    import xml.etree.ElementTree as ET

    from complaints.services import complaint_submit
    from departments.choices import Category

    complaint_submit(
        elevator=None,
        address="西区\x0b清香坪\x01某小区",
        district=districts["510403"],
        category=Category.VANDALISM,
        description="按钮\x01被砸\x0b坏\x1f了\ufffe。",
    )
    response = client.get("/open311/v2/requests.xml")
    assert response.status_code == 200
    root = ET.fromstring(response.content)  # raised ParseError before the fix
    [row] = list(root)
    assert "被砸" in row.findtext("description") and "\x01" not in row.findtext("description")


def test_bulk_datetimes_with_an_impossible_offset_are_reported_per_field(client, world):
    client.force_login(world["users"]["maintenance"])
    body = {"records": [_record(world, started_at=BAD_OFFSET, ended_at="2026-01-01T10:00:00+16:00")]}
    response = client.post(BULK, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-offset")
    assert response.status_code == 400, response.content
    assert {e["field"] for e in response.json()["errors"]} == {"started_at", "ended_at"}


def test_bulk_nul_in_a_text_is_a_400_naming_the_field(client, world):
    client.force_login(world["users"]["maintenance"])
    body = {"records": [_record(world, note="好\u0000")]}
    response = client.post(BULK, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-nul")
    assert response.status_code == 400, response.content
    assert "note" in response.content.decode() and "空字符" in response.content.decode()


@pytest.mark.parametrize("field", ["note", "elevator"])
def test_a_nul_in_any_text_of_a_json_body_is_a_400_naming_the_field(client, world, field):
    client.force_login(world["users"]["maintenance"])
    body = _record(world, **{field: "x\u0000y"})
    response = client.post(RECORDS, body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert field in response.content.decode()


@pytest.mark.parametrize("url", [RECORDS, BULK, "/api/v1/maintenance-contracts/"])
def test_json_nested_100000_deep_is_a_400(client, world, url):
    client.force_login(world["users"]["maintenance"])
    body = '{"records": ' + "[" * 100_000 + "]" * 100_000 + "}"
    response = client.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-deep")
    assert response.status_code == 400, response.content
    assert "嵌套" in response.json()["detail"]


@pytest.mark.parametrize("content", ["!!!!", "é", "QUJD=", "A" * 5])
def test_bad_base64_attachments_are_a_400_naming_the_field(client, world, content):
    client.force_login(world["users"]["maintenance"])
    body = _record(world, attachments=[{"name": "p.jpg", "content_base64": content}])
    response = client.post(RECORDS, body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert "attachments" in _fields(response)


@pytest.mark.parametrize("items", ["not json", "[", '{"a": 1}', "[1, 2]", "[" * 5000 + "]" * 5000])
def test_multipart_items_that_are_not_a_json_list_are_a_400_naming_the_field(client, world, items):
    client.force_login(world["users"]["maintenance"])
    data = _record(world)
    data["items"] = items
    response = client.post(RECORDS, data)  # multipart
    assert response.status_code == 400, response.content
    assert "items" in _fields(response)


def test_corrects_that_is_not_a_number_is_a_400(client, world):
    client.force_login(world["users"]["maintenance"])
    response = client.post(RECORDS, _record(world, corrects="abc"), content_type="application/json")
    assert response.status_code == 400 and "corrects" in _fields(response)
    response = client.get(RECORDS, {"corrects": "abc"})
    assert response.status_code in (200, 400)


@pytest.mark.parametrize(
    "params", [{"since": "9999-01-01"}, {"until": "9999-12-31"}, {"since": "0001-01-01"}, {"until": "0001-01-01"}]
)
def test_the_dashboard_shows_the_default_period_for_dates_it_cannot_show(client, world, params):
    client.force_login(world["users"]["city"])
    response = client.get("/dashboard/", params, follow=True)
    assert response.status_code == 200


@pytest.mark.parametrize("field", ["started_at", "ended_at"])
def test_a_record_time_with_an_impossible_offset_is_a_400_naming_it(client, world, field):
    client.force_login(world["users"]["maintenance"])
    response = client.post(RECORDS, _record(world, **{field: BAD_OFFSET}), content_type="application/json")
    assert response.status_code == 400 and field in _fields(response)


# --- Registry imports: XLSX opened with limits (elevator_portal/tabular.py) --------------------------------------


def _xlsx_with_sheet(sheet_xml: bytes, name="elevators.xlsx"):
    """A workbook written by openpyxl whose first sheet's XML is replaced by `sheet_xml`."""
    import io
    import zipfile

    from django.core.files.uploadedfile import SimpleUploadedFile
    from openpyxl import Workbook

    plain = io.BytesIO()
    workbook = Workbook()
    workbook.active.append(["注册代码"])
    workbook.save(plain)
    out = io.BytesIO()
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = sheet_xml if info.filename == "xl/worksheets/sheet1.xml" else source.read(info)
            target.writestr(info.filename, data)
    return SimpleUploadedFile(name, out.getvalue())


SHEET_HEAD = b'<?xml version="1.0" encoding="UTF-8"?>\n'
SHEET_OPEN = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
SHEET_CLOSE = b"</sheetData></worksheet>"


def _rows_xml(n: int) -> bytes:
    rows = b"".join(
        b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>x%d</t></is></c></row>' % (i, i, i) for i in range(1, n + 1)
    )
    return SHEET_HEAD + SHEET_OPEN + rows + SHEET_CLOSE


def _import(world, uploaded):
    from django.core.exceptions import ValidationError

    from registry.imports import import_job_start

    with pytest.raises(ValidationError) as refused:
        import_job_start(user=world["users"]["city"], kind="elevators", uploaded_file=uploaded)
    return " ".join(refused.value.message_dict["file"])


def test_a_billion_laughs_xlsx_is_refused_with_a_message(world):
    laughs = b'<!DOCTYPE lolz [<!ENTITY lol "lol">' + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10)
    )
    sheet = (
        SHEET_HEAD
        + laughs
        + b"]>"
        + SHEET_OPEN
        + b'<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
        + SHEET_CLOSE
    )
    assert "DTD" in _import(world, _xlsx_with_sheet(sheet))


def test_an_xlsx_zip_bomb_is_refused_before_it_is_inflated(world, settings):
    settings.XLSX_MAX_UNCOMPRESSED_BYTES = 2**20  # 1 MB here; 200 MB by default (a 4 MB zip held 1.2 GB)
    uploaded = _xlsx_with_sheet(_rows_xml(30_000))  # ~2 MB of sheet XML in ~100 KB of zip
    assert "解压后超过1MB" in _import(world, uploaded)


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_an_import_over_the_row_limit_is_refused_at_upload(world, settings, kind):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.IMPORT_MAX_ROWS = 100
    if kind == "xlsx":
        uploaded = _xlsx_with_sheet(_rows_xml(150))
    else:
        uploaded = SimpleUploadedFile("e.csv", "\n".join(f"x{i}" for i in range(150)).encode())
    assert "超过100行" in _import(world, uploaded)


def test_a_csv_with_a_giant_field_is_refused_with_a_message(world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    assert "CSV" in _import(world, SimpleUploadedFile("e.csv", b'"' + b"x" * 200_000 + b'"\n'))


def test_the_record_form_answers_404_for_a_corrects_that_is_not_a_number(client, world):
    client.force_login(world["users"]["maintenance"])
    assert client.get(reverse("maintenance:record_new"), {"corrects": "abc"}).status_code == 404


@pytest.mark.parametrize("url", ["/firms/", "/rescue/outbox/", "/maintenance/records/", "/faults/"])
def test_a_nul_in_a_page_query_is_a_400_naming_the_parameter(client, world, url):
    client.force_login(world["users"]["city"])
    response = client.get(url, {"q": "a\x00"})  # /firms/ and /rescue/outbox/ were a 500 on PostgreSQL
    assert response.status_code == 400 and "查询参数q不能包含空字符" in response.content.decode()


def test_open311_refuses_a_nul_in_a_post_in_the_spec_format(client, db):
    response = client.post("/open311/v2/requests.json", {"api_key": "k\x00", "service_code": "vandalism"})
    assert response.status_code == 400 and "api_key" in response.json()[0]["description"]
