"""Absurd values and unreadable encodings are refused with a Chinese message naming the field or file (issue 14):
a latitude of 999, a lift commissioned on 0001-01-01 or a fault reported in 1900 were accepted; Big5 and Latin-1
CSVs were silently decoded as GB18030."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from complaints.models import Complaint
from elevator_portal.tabular import TableError, read_table
from maintenance.choices import FaultKind, FaultSource
from maintenance.faults import services as fault_services
from maintenance.models import Fault

from .complaints.test_open311 import assert_spec_error, partner, post  # noqa: F401  (partner: a fixture)
from .factories import ElevatorFactory, FaultFactory

BEIJING = datetime.timezone(datetime.timedelta(hours=8))


# ---------------------------------------------------------------- absurd values


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("latitude", Decimal("999"), "纬度"),
        ("latitude", Decimal("-90.5"), "纬度"),
        ("longitude", Decimal("180.000001"), "经度"),
        ("longitude", Decimal("-999"), "经度"),
        ("commission_date", datetime.date(1, 1, 1), "1950"),
        ("commission_date", datetime.date(1949, 12, 31), "1950"),
    ],
)
def test_an_elevator_with_an_absurd_value_is_refused_naming_the_field(field, value, words):
    elevator = ElevatorFactory.build(district=ElevatorFactory().district, manufacture_date=None)
    setattr(elevator, field, value)
    with pytest.raises(ValidationError) as caught:
        elevator.full_clean(validate_unique=False, validate_constraints=False)
    assert field in caught.value.message_dict
    assert any(words in message for message in caught.value.message_dict[field])


@pytest.mark.django_db
def test_edge_values_are_accepted():
    elevator = ElevatorFactory.build(district=ElevatorFactory().district, manufacture_date=None)
    elevator.latitude, elevator.longitude = Decimal("-90"), Decimal("180")
    elevator.commission_date = datetime.date(1950, 1, 1)
    elevator.full_clean(validate_unique=False, validate_constraints=False)
    elevator.latitude, elevator.longitude = Decimal("26.58"), Decimal("101.71")
    elevator.full_clean(validate_unique=False, validate_constraints=False)


@pytest.mark.django_db
def test_the_api_refuses_a_latitude_of_999_naming_it(client, world):
    client.force_login(world["users"]["city"])
    url = f"/api/v1/elevators/{world['a'].pk}/"
    response = client.patch(url, {"latitude": "999"}, content_type="application/json")
    assert response.status_code == 400, response.content
    assert "纬度" in response.json()["latitude"][0]
    response = client.patch(url, {"commission_date": "0001-01-01"}, content_type="application/json")
    assert response.status_code == 400 and "1950" in response.json()["commission_date"][0]
    world["a"].refresh_from_db()
    assert world["a"].latitude != Decimal("999")


@pytest.mark.django_db
def test_a_fault_reported_in_1900_is_refused_naming_reported_at(world):
    with pytest.raises(ValidationError) as caught:
        fault_services.fault_report(
            user=world["users"]["use_unit"],
            elevator=world["a"],
            source=FaultSource.COMPLAINT,
            kind=FaultKind.STOPPED,
            reported_at=datetime.datetime(1900, 1, 1, 10, tzinfo=BEIJING),
        )
    assert "2000" in caught.value.message_dict["reported_at"][0]
    assert not Fault.objects.exists()
    # The admin and any other form call the same clean.
    fault = FaultFactory.build(elevator=world["a"], reported_at=datetime.datetime(1999, 12, 31, 23, tzinfo=BEIJING))
    with pytest.raises(ValidationError) as caught:
        fault.full_clean()
    assert "reported_at" in caught.value.message_dict
    fault.reported_at = datetime.datetime(2000, 1, 1, tzinfo=BEIJING)
    fault.full_clean()
    fault.reported_at = timezone.now()
    fault.full_clean()


@pytest.mark.parametrize(("field", "value"), [("lat", "999"), ("lat", "-90.1"), ("long", "181"), ("long", "nan")])
def test_open311_refuses_an_absurd_point_naming_the_field(client, plan, partner, districts, field, value):  # noqa: F811
    description = assert_spec_error(post(client, **{field: value}), 400)
    assert field in description and ("纬度" in description or "经度" in description)
    assert not Complaint.objects.exists()


# ---------------------------------------------------------------- CSV encodings

TRADITIONAL_TABLE = (
    "註冊代碼,電梯類型,所在區縣,安裝地址,使用單位\n31105104022012070001,曳引驅動乘客電梯,東區,東區人民街1號,甲物業\n"
)
LATIN1_TABLE = "Ménétrier,Désirée Müller,Größe,Straße\nFrançois,Hélène,Renée,Gérard\n"


def _refused_name(raw: bytes, name: str) -> str:
    with pytest.raises(TableError) as caught:
        read_table(io.BytesIO(raw), name)
    message = str(caught.value)
    assert "编码无法识别" in message and "UTF-8或GB18030" in message and name in message
    return message


@pytest.mark.parametrize("encoding", ["big5", "cp950"])
def test_a_big5_csv_is_refused_naming_the_file(encoding):
    raw = TRADITIONAL_TABLE.encode(encoding)
    raw.decode("gb18030")  # the trap: every Big5 byte pair is also some GB18030 character
    _refused_name(raw, "台灣電梯.csv")


def test_a_latin1_csv_is_refused_whether_or_not_it_decodes_as_gb18030():
    raw = LATIN1_TABLE.encode("latin-1")
    raw.decode("gb18030")  # decodes, into odd hanzi
    _refused_name(raw, "ascenseurs.csv")
    _refused_name("Café Müller,Hôtel\n".encode("latin-1"), "cafe.csv")  # é followed by ASCII: not GB18030 at all


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_utf8_with_or_without_bom_and_real_gb18030_still_pass(encoding):
    text = (
        "注册代码,电梯类型,所在区县,安装地址,使用单位,备注\n"
        "31105104022012070001,曳引驱动乘客电梯,东区,攀枝花市东区炳草岗大街12号,金江物业,负责人：王喆·李堃——“甲”\n"
        "31105104022012070002,自动扶梯,米易县,米易县攀莲镇《新城》5栋,米易物业,朱镕（15%）\n"
    )
    rows = read_table(io.BytesIO(text.encode(encoding)), "电梯.csv")
    assert rows[0][0] == "注册代码" and rows[1][-1] == "负责人：王喆·李堃——“甲”" and len(rows) == 3


@pytest.mark.django_db
def test_an_import_of_a_big5_file_is_refused_at_upload_and_gb18030_is_imported(world):
    from registry.imports import import_job_start
    from registry.models import ImportJob

    from .registry.test_imports import csv_file, good_rows

    upload = SimpleUploadedFile("elevators.csv", TRADITIONAL_TABLE.encode("big5"), content_type="text/csv")
    with pytest.raises(ValidationError) as caught:
        import_job_start(user=world["users"]["city"], kind="elevators", uploaded_file=upload)
    assert "elevators.csv" in caught.value.message_dict["file"][0]
    assert not ImportJob.objects.exists()
    rows = [[*row[:5], "金江物业", row[6]] for row in good_rows(2, start=901)]
    job = import_job_start(
        user=world["users"]["city"], kind="elevators", uploaded_file=csv_file(rows, encoding="gb18030")
    )
    assert job.status == "succeeded", job.errors if hasattr(job, "errors") else job
