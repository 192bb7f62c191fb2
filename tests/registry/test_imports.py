import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from accounts.choices import Role
from registry.choices import ImportStatus
from registry.imports import import_job_start
from registry.models import Elevator, ImportJob, Organization

from ..factories import ElevatorFactory, OrganizationFactory, user_with_role

HEADER = ["注册代码", "应急救援识别码", "电梯类型", "所在区县", "安装地址", "使用单位", "投入使用日期"]


def csv_file(rows, header=HEADER, name="elevators.csv", encoding="utf-8-sig"):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return SimpleUploadedFile(name, buffer.getvalue().encode(encoding), content_type="text/csv")


def xlsx_file(rows, header=HEADER, name="elevators.xlsx"):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def good_rows(n, start=1, use_unit="甲物业"):
    return [
        [
            f"3110510402201207{start + i:04d}",
            str(30000 + start + i),
            "曳引驱动乘客电梯",
            "东区",
            f"东区人民街{i}号",
            use_unit,
            "2012-07-15",
        ]
        for i in range(n)
    ]


@pytest.fixture
def regulator(db, districts):
    OrganizationFactory(name="甲物业", kind="use_unit", district=districts["510402"])
    return user_with_role(Role.CITY_REGULATOR)


def test_a_good_file_imports_everything_with_audit_records(regulator):
    job = import_job_start(user=regulator, kind="elevators", uploaded_file=csv_file(good_rows(5)))
    assert job.status == ImportStatus.SUCCEEDED and job.created_rows == 5 and job.errors == []
    assert Elevator.objects.count() == 5
    elevator = Elevator.objects.get(registration_code="31105104022012070001")
    assert elevator.use_unit.name == "甲物业" and elevator.district.code == "510402"
    assert elevator.history.get().history_user == regulator


def test_one_bad_row_imports_nothing_and_is_reported(regulator):
    rows = good_rows(4)
    rows[2][0] = "33105104022012070003"  # escalator category on a passenger elevator
    job = import_job_start(user=regulator, kind="elevators", uploaded_file=csv_file(rows))
    assert job.status == ImportStatus.FAILED and Elevator.objects.count() == 0
    assert job.errors == [
        {
            "row": 4,
            "field": "注册代码",
            "message": "类别代码“3310”（自动扶梯）与电梯类型“曳引驱动乘客电梯”（3110）不符。",
        }
    ]


def test_every_bad_row_is_reported_with_row_field_and_reason(regulator):
    ElevatorFactory(registration_code="31105104022012070009")
    rows = good_rows(10)
    rows[0][2] = "缆车"  # row 2: unknown type
    rows[1][3] = "成华区"  # row 3: not a Panzhihua district
    rows[2][5] = "不存在物业"  # row 4: unknown use unit
    rows[3][6] = "2012/13/45"  # row 5: bad date
    rows[4][1] = rows[5][1]  # rows 6/7: same rescue code twice
    rows[6][4] = ""  # row 8: address missing
    # row 10 carries 31105104022012070009, already registered
    job = import_job_start(user=regulator, kind="elevators", uploaded_file=csv_file(rows))
    found = {(e["row"], e["field"]) for e in job.errors}
    assert found == {
        (2, "电梯类型"),
        (3, "所在区县"),
        (4, "使用单位"),
        (5, "投入使用日期"),
        (7, "应急救援识别码"),
        (8, "安装地址"),
        (10, "注册代码"),
    }
    messages = {e["row"]: e["message"] for e in job.errors}
    assert messages[3].startswith("“成华区”不是攀枝花市的区县")
    assert messages[4] == "找不到名为“不存在物业”的使用单位，请先导入或登记该单位。"
    assert messages[7] == f"与第6行重复：“{rows[5][1]}”。"
    assert messages[8] == "不能为空。"
    assert messages[10] == "“31105104022012070009”已登记，不能重复导入。"
    assert Elevator.objects.count() == 1


def test_xlsx_is_imported_like_csv(regulator):
    rows = good_rows(3)
    job = import_job_start(user=regulator, kind="elevators", uploaded_file=xlsx_file(rows))
    assert job.status == ImportStatus.SUCCEEDED and Elevator.objects.count() == 3


def test_gb18030_csv_from_chinese_excel_is_read(regulator):
    job = import_job_start(user=regulator, kind="elevators", uploaded_file=csv_file(good_rows(2), encoding="gb18030"))
    assert job.status == ImportStatus.SUCCEEDED


def test_missing_required_column_is_refused_at_upload(regulator):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        import_job_start(user=regulator, kind="elevators", uploaded_file=csv_file([], header=["注册代码"]))
    assert "缺少必需的列：电梯类型、所在区县、安装地址" in exc.value.message_dict["file"][0]
    assert ImportJob.objects.count() == 0


def test_a_file_that_only_pretends_to_be_xlsx_is_refused(regulator):
    from django.core.exceptions import ValidationError

    fake = SimpleUploadedFile("x.xlsx", b"just some text")
    with pytest.raises(ValidationError) as exc:
        import_job_start(user=regulator, kind="elevators", uploaded_file=fake)
    assert "不是有效的XLSX文件" in exc.value.message_dict["file"][0]


def test_organizations_import(regulator):
    header = ["单位名称", "单位类型", "统一社会信用代码", "许可证编号", "许可证有效期至", "所在区县"]
    rows = [
        ["新维保公司", "维保单位", "915104000000000001", "TS001", "2027-12-31", "西区"],
        ["新物业公司", "use_unit", "", "", "", "510402"],
    ]
    job = import_job_start(user=regulator, kind="organizations", uploaded_file=csv_file(rows, header=header))
    assert job.status == ImportStatus.SUCCEEDED, job.errors
    firm = Organization.objects.get(name="新维保公司")
    assert firm.kind == "maintenance" and firm.district.code == "510403"
    assert Organization.objects.get(name="新物业公司").kind == "use_unit"


def test_large_files_go_to_the_background_job_and_record_progress(
    regulator, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.IMPORT_SYNC_MAX_ROWS = 10
    from registry import imports

    progress = []
    monkeypatch.setattr(imports, "PROGRESS_EVERY", 5)
    with django_capture_on_commit_callbacks() as callbacks:
        job = import_job_start(user=regulator, kind="elevators", uploaded_file=csv_file(good_rows(30)))
    assert job.status == ImportStatus.PENDING and Elevator.objects.count() == 0  # queued, not yet run
    monkeypatch.setattr(imports, "check_rows", _recording(imports.check_rows, progress))
    for callback in callbacks:
        callback()  # CELERY_TASK_ALWAYS_EAGER runs the queued task in-process
    job.refresh_from_db()
    assert job.status == ImportStatus.SUCCEEDED and job.processed_rows == 30 and Elevator.objects.count() == 30
    assert progress == [5, 10, 15, 20, 25, 30]


def _recording(check_rows, progress):
    def wrapper(kind, rows, on_progress=None, **kwargs):
        def record(done):
            on_progress(done)
            progress.append(ImportJob.objects.get().processed_rows)

        return check_rows(kind, rows, record, **kwargs)

    return wrapper


def test_running_the_same_job_twice_imports_once(regulator):
    from registry.imports import import_job_run

    job = import_job_start(user=regulator, kind="elevators", uploaded_file=csv_file(good_rows(3)))
    import_job_run(job_id=job.pk)
    assert Elevator.objects.count() == 3


def test_upload_page_flow_and_downloadable_report(client, regulator):
    client.force_login(regulator)
    rows = good_rows(2)
    rows[1][0] = "123"
    response = client.post(
        reverse("registry:import_upload"), {"kind": "elevators", "file": csv_file(rows)}, follow=True
    )
    body = response.content.decode()
    assert "发现 1 处错误，未导入任何数据" in body and "注册代码应为20位数字，当前为3位。" in body
    job = ImportJob.objects.get()
    status = client.get(reverse("registry:import_detail", args=[job.pk]), {"format": "json"}).json()
    assert status["finished"] and status["error_count"] == 1
    report = client.get(reverse("registry:import_report", args=[job.pk])).content.decode("utf-8-sig")
    assert report.splitlines()[1] == "3,注册代码,注册代码应为20位数字，当前为3位。"


def test_upload_page_names_the_file_problem(client, regulator):
    client.force_login(regulator)
    response = client.post(
        reverse("registry:import_upload"), {"kind": "elevators", "file": SimpleUploadedFile("a.csv", b"")}
    )
    assert response.status_code == 200 and "提交的是空文件。" in response.content.decode()


def test_template_download(client, regulator):
    client.force_login(regulator)
    body = client.get(reverse("registry:import_template", args=["elevators"])).content.decode("utf-8-sig")
    assert body.startswith("注册代码,应急救援识别码")


def test_export_xlsx_round_trips(client, regulator):
    client.force_login(regulator)
    ElevatorFactory.create_batch(3)
    response = client.get(reverse("registry:elevator_list"), {"export": "xlsx"})
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[0][0] == "注册代码" and len(rows) == 4
