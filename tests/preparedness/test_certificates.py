"""Use registration certificates (使用登记证; 特种设备安全法 §33; TSG 08-2017): the service, the bulk import (all or
nothing, each bad row reported), the pages, the scan's download and the `use-certificates` API, every role."""

import csv
import io
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from preparedness.services.certificates import use_certificate_record, use_certificates_import
from registry.choices import ElevatorStatus
from registry.models import Elevator

from ..factories import JPEG, PDF, PNG, ElevatorFactory

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
ROLES = ["anonymous", "city", "district", "use_unit", "maintenance", "inspection", "department", "rescue_centre"]
WRITERS = {"city", "district", "use_unit"}  # for 金江物业's elevator a, in 东区
NUMBER = "梯11川D00123(19)"


def record(world, who="use_unit", elevator="a", **extra):
    data = dict(
        user=world["users"][who],
        elevator=world[elevator],
        number=NUMBER,
        authority="攀枝花市市场监督管理局",
        issued_on=TODAY - timedelta(days=100),
    )
    data.update(extra)
    return use_certificate_record(**data)


def login(client, world, who):
    if who != "anonymous":
        client.force_login(world["users"][who])


# ---------------------------------------------------------------- the service


class TestRecord:
    def test_records_the_certificate_with_the_users_name_in_the_history(self, world):
        elevator = record(world, number=" 梯11川D00123（19） ")  # full-width brackets and spaces, as typed
        elevator.refresh_from_db()
        assert elevator.use_certificate_no == NUMBER
        assert elevator.use_certificate_authority == "攀枝花市市场监督管理局"
        last = elevator.history.first()
        assert last.history_user == world["users"]["use_unit"] and last.use_certificate_no == NUMBER

    @pytest.mark.parametrize(
        "number, message",
        [
            ("梯11川D0123(19)", "格式"),
            ("11川D00123(19)", "格式"),
            ("梯21川D00123(19)", "类别"),  # 21 is an escalator's category, the elevator is a 3110
            ("", "请填写使用登记证编号"),
        ],
    )
    def test_the_number_is_validated(self, world, number, message):
        with pytest.raises(ValidationError) as exc:
            record(world, number=number)
        assert message in exc.value.message_dict["use_certificate_no"][0]

    @pytest.mark.parametrize("days, ok", [(-1, True), (0, True), (1, False)])
    def test_the_date_may_not_be_in_the_future(self, world, days, ok):
        day = TODAY + timedelta(days=days)
        if ok:
            assert record(world, issued_on=day).use_certificate_issued_on == day
        else:
            with pytest.raises(ValidationError) as exc:
                record(world, issued_on=day)
            assert "use_certificate_issued_on" in exc.value.message_dict

    def test_authority_and_date_are_required(self, world):
        with pytest.raises(ValidationError) as exc:
            record(world, authority=" ", issued_on=None)
        assert {"use_certificate_authority", "use_certificate_issued_on"} <= set(exc.value.message_dict)

    def test_one_certificate_per_elevator(self, world):
        record(world)
        other = ElevatorFactory(use_unit=world["use_a"], district=world["a"].district)
        with pytest.raises(ValidationError) as exc:
            use_certificate_record(
                user=world["users"]["use_unit"], elevator=other, number=NUMBER, authority="x", issued_on=TODAY
            )
        assert world["a"].registration_code in exc.value.message_dict["use_certificate_no"][0]

    @pytest.mark.parametrize("content, ext", [(PDF, "pdf"), (JPEG, "jpg"), (PNG, "png")])
    def test_the_scan_is_a_pdf_jpeg_or_png_stored_under_a_random_name(self, world, content, ext):
        elevator = record(world, scan=SimpleUploadedFile("王安全的证.bin", content))
        assert (
            elevator.use_certificate_scan.name.endswith(f".{ext}")
            and "王安全" not in elevator.use_certificate_scan.name
        )

    def test_other_files_and_big_files_are_refused(self, world, settings):
        with pytest.raises(ValidationError) as exc:
            record(world, scan=SimpleUploadedFile("x.pdf", b"GIF89a" + b"\x00" * 20))
        assert "PDF/JPEG/PNG" in exc.value.message_dict["use_certificate_scan"][0]
        settings.PREPAREDNESS_FILE_MAX_BYTES = len(PDF) - 1
        with pytest.raises(ValidationError) as exc:
            record(world, scan=SimpleUploadedFile("x.pdf", PDF))
        assert "不能超过" in exc.value.message_dict["use_certificate_scan"][0]

    @pytest.mark.parametrize(
        "who, allowed",
        [
            ("city", True),
            ("district", True),
            ("use_unit", True),
            ("use_unit_b", False),
            ("maintenance", False),
            ("inspection", False),
            ("department", False),
            ("rescue_centre", False),
        ],
    )
    def test_who_may_record(self, world, who, allowed):
        if allowed:
            assert record(world, who=who).use_certificate_no == NUMBER
        else:
            with pytest.raises(PermissionDenied):
                record(world, who=who)

    def test_a_district_regulator_only_for_use_units_of_the_district(self, world):
        with pytest.raises(PermissionDenied):
            record(world, who="district", elevator="b")


# ---------------------------------------------------------------- the bulk import


def csv_upload(rows, name="certs.csv"):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["注册代码", "使用登记证编号", "登记机关", "登记日期"])
    writer.writerows(rows)
    return SimpleUploadedFile(name, buffer.getvalue().encode("utf-8-sig"))


def xlsx_upload(rows):
    book = Workbook()
    sheet = book.active
    sheet.append(["注册代码", "使用登记证编号", "登记机关", "登记日期"])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile("certs.xlsx", buffer.getvalue())


class TestImport:
    def test_a_good_file_updates_every_elevator_with_history(self, world):
        second = ElevatorFactory(use_unit=world["use_a"], district=world["a"].district)
        upload = xlsx_upload(
            [
                [world["a"].registration_code, NUMBER, "东区分局", "2019-05-01"],
                [second.registration_code, "梯11川D00124（19）", "东区分局", "2019/05/02"],
            ]
        )
        result = use_certificates_import(user=world["users"]["use_unit"], uploaded_file=upload)
        assert (result.updated, result.errors) == (2, [])
        second.refresh_from_db()
        assert second.use_certificate_no == "梯11川D00124(19)" and str(second.use_certificate_issued_on) == "2019-05-02"
        assert second.history.first().history_user == world["users"]["use_unit"]

    def test_one_bad_row_imports_nothing_and_every_bad_row_is_reported(self, world):
        future = (TODAY + timedelta(days=1)).isoformat()
        second = ElevatorFactory(use_unit=world["use_a"], district=world["a"].district)
        third, fourth, fifth = (
            ElevatorFactory(use_unit=world["use_a"], district=world["a"].district) for _ in range(3)
        )
        upload = csv_upload(
            [
                [world["a"].registration_code, NUMBER, "东区分局", "2019-05-01"],  # 2: good
                ["31105104022099990001", "梯11川D00200(19)", "东区分局", "2019-05-01"],  # 3: unknown code
                [world["b"].registration_code, "梯11川D00201(19)", "米易分局", "2019-05-01"],  # 4: out of scope
                [second.registration_code, "梯11-00202", "东区分局", "2019-05-01"],  # 5: bad format
                [third.registration_code, NUMBER, "东区分局", "2019-05-01"],  # 6: duplicate number in the file
                [world["a"].registration_code, "梯11川D00203(19)", "东区分局", "2019-05-01"],  # 7: duplicate code
                [fourth.registration_code, "梯11川D00204(19)", "东区分局", future],  # 8: date in the future
                [fifth.registration_code, "梯11川D00205(19)", "", "2019-13-01"],  # 9: empty authority, bad date
            ]
        )
        result = use_certificates_import(user=world["users"]["use_unit"], uploaded_file=upload)
        assert result.updated == 0
        by_row = {}
        for e in result.errors:
            by_row.setdefault(e["row"], []).append((e["field"], e["message"]))
        assert 2 not in by_row
        assert by_row[3] == [("注册代码", "注册代码“31105104022099990001”不存在。")]
        assert by_row[4][0][0] == "注册代码" and "不属于本单位或本辖区" in by_row[4][0][1]
        assert by_row[5][0][0] == "使用登记证编号" and "格式" in by_row[5][0][1]
        assert by_row[6] == [("使用登记证编号", f"与第2行重复：“{NUMBER}”。")]
        assert ("注册代码", f"与第2行重复：“{world['a'].registration_code}”。") in by_row[7]
        assert by_row[8] == [("登记日期", "登记日期不能晚于今天。")]
        assert {field for field, _ in by_row[9]} == {"登记机关", "登记日期"}
        world["a"].refresh_from_db()
        assert world["a"].use_certificate_no == ""  # nothing written

    def test_a_number_on_record_for_another_elevator_is_refused(self, world):
        record(world)
        other = ElevatorFactory(use_unit=world["use_a"], district=world["a"].district)
        result = use_certificates_import(
            user=world["users"]["use_unit"],
            uploaded_file=csv_upload([[other.registration_code, NUMBER, "东区分局", "2019-05-01"]]),
        )
        assert result.updated == 0 and world["a"].registration_code in result.errors[0]["message"]

    def test_a_missing_column_or_an_unreadable_file_is_a_file_error(self, world):
        bad = SimpleUploadedFile("x.csv", "注册代码,登记机关\n1,2\n".encode())
        with pytest.raises(ValidationError) as exc:
            use_certificates_import(user=world["users"]["use_unit"], uploaded_file=bad)
        assert "使用登记证编号" in exc.value.message_dict["file"][0]
        with pytest.raises(ValidationError):
            use_certificates_import(
                user=world["users"]["use_unit"], uploaded_file=SimpleUploadedFile("x.xlsx", b"not a zip")
            )

    @pytest.mark.parametrize("who", ["maintenance", "inspection", "department", "rescue_centre"])
    def test_only_use_units_and_regulators_import(self, world, who):
        with pytest.raises(PermissionDenied):
            use_certificates_import(user=world["users"][who], uploaded_file=csv_upload([]))

    def test_the_import_writes_in_a_fixed_number_of_queries(self, world, django_assert_max_num_queries):
        elevators = [ElevatorFactory(use_unit=world["use_a"], district=world["a"].district) for _ in range(20)]
        rows = [[e.registration_code, f"梯11川D{n:05d}(19)", "东区分局", "2019-05-01"] for n, e in enumerate(elevators)]
        # 1. the elevators by code with their use units, 2. the numbers on record, 3. savepoint, 4. the UPDATE,
        # 5. the history rows' insert, 6. release.
        with django_assert_max_num_queries(6):
            result = use_certificates_import(user=world["users"]["city"], uploaded_file=csv_upload(rows))
        assert result.updated == 20


# ---------------------------------------------------------------- pages: every role


@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize(
    "name, args",
    [
        ("preparedness:certificates", []),
        ("preparedness:certificate_edit", ["a"]),
        ("preparedness:certificate_import", []),
        ("preparedness:certificate_import_template", []),
        ("preparedness:certificate_scan", ["a"]),
    ],
)
def test_pages_by_role(world, client, who, name, args):
    elevator = world["a"]
    elevator.use_certificate_scan.save("s.pdf", ContentFile(PDF))
    login(client, world, who)
    response = client.get(reverse(name, args=[world[a].pk for a in args]))
    if who == "anonymous":
        assert response.status_code == 302 and "/login" in response["Location"]
    elif who in WRITERS:
        assert response.status_code == 200
    else:
        assert response.status_code == 403


def test_out_of_scope_elevators_are_not_found(world, client):
    world["b"].use_certificate_scan.save("s.pdf", ContentFile(PDF))
    for who in ("district", "use_unit"):
        client.force_login(world["users"][who])
        assert client.get(reverse("preparedness:certificate_edit", args=[world["b"].pk])).status_code == 404
        assert client.get(reverse("preparedness:certificate_scan", args=[world["b"].pk])).status_code == 404
        assert world["b"].registration_code not in client.get(reverse("preparedness:certificates")).content.decode()


def test_the_scan_is_served_with_its_type(world, client):
    record(world, scan=SimpleUploadedFile("x.png", PNG))
    client.force_login(world["users"]["district"])
    response = client.get(reverse("preparedness:certificate_scan", args=[world["a"].pk]))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    world["b"].use_certificate_scan = ""
    client.force_login(world["users"]["use_unit_b"])
    assert client.get(reverse("preparedness:certificate_scan", args=[world["b"].pk])).status_code == 404  # no scan


def test_the_form_states_the_format_first_and_records(world, client):
    client.force_login(world["users"]["use_unit"])
    url = reverse("preparedness:certificate_edit", args=[world["a"].pk])
    body = client.get(url).content.decode()
    assert body.index("梯11川D00123(19)") < body.index('name="number"')
    response = client.post(
        url,
        {
            "number": "梯11川D00123（19）",
            "authority": "东区分局",
            "issued_on": "2019-05-01",
            "scan": SimpleUploadedFile("x.pdf", PDF),
        },
    )
    assert response.status_code == 302
    world["a"].refresh_from_db()
    assert world["a"].use_certificate_no == NUMBER and world["a"].use_certificate_scan


def test_the_form_shows_the_services_errors_at_the_top(world, client):
    client.force_login(world["users"]["use_unit"])
    response = client.post(
        reverse("preparedness:certificate_edit", args=[world["a"].pk]),
        {"number": "梯21川D00123(19)", "authority": "东区分局", "issued_on": "2019-05-01"},
    )
    body = response.content.decode()
    assert response.status_code == 400 and 'id="error-summary"' in body and 'href="#id_number"' in body
    assert "类别" in body


def test_the_import_page_reports_errors_and_imports_nothing(world, client):
    client.force_login(world["users"]["use_unit"])
    upload = csv_upload([["31105104022099990001", NUMBER, "东区分局", "2019-05-01"]])
    response = client.post(reverse("preparedness:certificate_import"), {"file": upload})
    body = response.content.decode()
    assert response.status_code == 400 and 'id="import-errors"' in body and "不存在" in body
    upload = csv_upload([[world["a"].registration_code, NUMBER, "东区分局", "2019-05-01"]])
    response = client.post(reverse("preparedness:certificate_import"), {"file": upload}, follow=True)
    assert "已导入1部电梯的使用登记证" in response.content.decode()


def test_the_template_has_the_four_columns(world, client):
    client.force_login(world["users"]["use_unit"])
    body = client.get(reverse("preparedness:certificate_import_template")).content.decode("utf-8-sig")
    assert body.strip() == "注册代码,使用登记证编号,登记机关,登记日期"


def test_the_list_filters_by_state_district_and_search_and_exports(world, client, xiqu):
    registered = ElevatorFactory(use_unit=world["use_a"], district=world["a"].district, use_certificate_no=NUMBER)
    stopped = ElevatorFactory(use_unit=world["use_a"], district=world["a"].district, status=ElevatorStatus.SCRAPPED)
    west = ElevatorFactory(district=xiqu, address="西区某街1号")
    client.force_login(world["users"]["city"])
    url = reverse("preparedness:certificates")

    def codes(**params):
        return {
            row[0]
            for row in csv.reader(
                io.StringIO(
                    b"".join(client.get(url, {**params, "export": "csv"}).streaming_content).decode("utf-8-sig")
                )
            )
        } - {"注册代码"}

    missing = codes(state="missing")
    assert world["a"].registration_code in missing and registered.registration_code not in missing
    assert stopped.registration_code not in missing  # not in use: not flagged
    assert codes(state="registered") == {registered.registration_code}
    assert codes(district=xiqu.pk) == {west.registration_code}
    assert codes(q="西区某街") == {west.registration_code}
    assert codes(q=registered.registration_code[:16]) >= {registered.registration_code}
    body = client.get(url, {"state": "missing"}).content.decode()
    assert "在用未登记" in body
    xlsx = client.get(url, {"export": "xlsx"})
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd.openxml")


def test_the_list_has_a_fixed_number_of_queries(world, client, django_assert_num_queries):
    for _ in range(12):
        ElevatorFactory(use_unit=world["use_a"], district=world["a"].district)
    client.force_login(world["users"]["use_unit"])
    # 1. session, 2. user, 3. districts of the filter's choices, 4. count, 5. the page of elevators with their
    # district and use unit, 6. the menu's unread notifications.
    with django_assert_num_queries(6):
        assert client.get(reverse("preparedness:certificates")).status_code == 200


# ---------------------------------------------------------------- the API


@pytest.mark.parametrize("who", ROLES)
def test_the_api_by_role(world, client, who):
    login(client, world, who)
    listed = client.get("/api/v1/use-certificates/")
    patched = client.patch(
        f"/api/v1/use-certificates/{world['a'].pk}/",
        {
            "use_certificate_no": NUMBER,
            "use_certificate_authority": "东区分局",
            "use_certificate_issued_on": "2019-05-01",
        },
        content_type="application/json",
    )
    if who == "anonymous":
        assert (listed.status_code, patched.status_code) == (401, 401)
    elif who in WRITERS:
        assert listed.status_code == 200 and patched.status_code == 200, patched.json()
        codes = {row["registration_code"] for row in listed.json()["results"]}
        assert world["a"].registration_code in codes
        assert (world["b"].registration_code in codes) is (who == "city")
        assert patched.json()["registered"] is True
    else:
        assert (listed.status_code, patched.status_code) == (403, 403)


def test_the_api_refuses_a_bad_number_and_out_of_scope_elevators(world, client):
    client.force_login(world["users"]["use_unit"])
    bad = client.patch(
        f"/api/v1/use-certificates/{world['a'].pk}/",
        {
            "use_certificate_no": "梯21川D00123(19)",
            "use_certificate_authority": "x",
            "use_certificate_issued_on": "2019-05-01",
        },
        content_type="application/json",
    )
    assert bad.status_code == 400 and "use_certificate_no" in bad.json()
    assert (
        client.patch(f"/api/v1/use-certificates/{world['b'].pk}/", {}, content_type="application/json").status_code
        == 404
    )
    assert (
        client.put(f"/api/v1/use-certificates/{world['a'].pk}/", {}, content_type="application/json").status_code == 405
    )


def test_the_api_takes_a_scan_by_multipart(world, client):
    client.force_login(world["users"]["use_unit"])
    from django.test.client import MULTIPART_CONTENT, encode_multipart

    data = encode_multipart(
        "BoUnDaRy",
        {
            "use_certificate_no": NUMBER,
            "use_certificate_authority": "东区分局",
            "use_certificate_issued_on": "2019-05-01",
            "scan": SimpleUploadedFile("x.pdf", PDF),
        },
    )
    response = client.patch(
        f"/api/v1/use-certificates/{world['a'].pk}/",
        data,
        content_type=MULTIPART_CONTENT.replace("BoUnDaRyStRiNg", "BoUnDaRy"),
    )
    assert response.status_code == 200 and response.json()["has_scan"] is True
    assert Elevator.objects.get(pk=world["a"].pk).use_certificate_scan


def test_the_api_list_has_a_fixed_number_of_queries(world, client, django_assert_num_queries):
    for _ in range(10):
        ElevatorFactory(use_unit=world["use_a"], district=world["a"].district)
    client.force_login(world["users"]["use_unit"])
    # 1. session, 2. user, 3. count, 4. the page of elevators.
    with django_assert_num_queries(4):
        assert len(client.get("/api/v1/use-certificates/").json()["results"]) == 11
