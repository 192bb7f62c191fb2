"""Personal data in a resident's own words (issue 14): phone numbers in every common format and ID numbers are masked
by one function (complaints.privacy) wherever the text reaches anyone but the handling department (Open311, the
tracking page, the firm's and the use unit's page and API, exports); internal notes (仅内部可见) never reach the firm
or the use unit; photos lose their EXIF/GPS on intake."""

import csv
import hashlib
import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from complaints.choices import EventKind
from complaints.models import ComplaintEvent
from complaints.privacy import mask_personal_data
from complaints.services import complaint_respond, complaint_submit
from departments.choices import Category
from maintenance.photos import GPS_IFD
from maintenance.services import UploadedFile

from ..factories import make_record

pytestmark = pytest.mark.django_db

PERSONAL = [
    "13812345678",
    "138 1234 5678",
    "138-1234-5678",
    "138.1234.5678",
    "+86 138 1234 5678",
    "+86-138-1234-5678",
    "+8613812345678",
    "0086 13812345678",
    "0086-138-1234-5678",
    "8613812345678",
    "(+86)13812345678",
    "（+86）138 1234 5678",
    "１３８１２３４５６７８",
    "0812-3334444",
    "0812 3334444",
    "08123334444",
    "(0812)3334444",
    "（0812）3334444",
    "010-12345678",
    "0812-3334444转801",
    "+86 812 3334444",
    "51040219900101123X",
    "51040219900101123x",
    "510402199001011234",
    "510402 19900101 1234",
    "510402900101123",
    "zhang.san+lift@example.com.cn",
]
NOT_PERSONAL = [
    "31105104022012070003",  # a registration code (20 digits)
    "TS202612011234567890",  # a tracking number
    "救援码12345",
    "2026-12-01 08:30",
    "2026年12月1日下午3点",
    "12号楼2单元1803室",
    "停了1500分钟",
    "1381234567",  # 10 digits: not a phone number
]


@pytest.mark.parametrize("number", PERSONAL)
def test_each_format_is_masked_inside_chinese_text(number):
    assert mask_personal_data(f"请联系我{number}，谢谢") == "请联系我***，谢谢"
    assert mask_personal_data(f"电话: {number}") == "电话: ***"


@pytest.mark.parametrize("text", NOT_PERSONAL)
def test_codes_dates_and_amounts_are_left_alone(text):
    assert mask_personal_data(text) == text


def test_several_numbers_in_one_text_and_empty_text():
    text = "我是13812345678，身份证510402199001011234，座机0812-3334444。"
    assert mask_personal_data(text) == "我是***，身份证***，座机***。"
    assert mask_personal_data("") == ""


SECRET_WORDS = "电梯卡在3楼，请联系 +86 139-0000-1111 或 0812 6667777，身份证51040219850505231X。"
SECRETS = ("139-0000-1111", "6667777", "51040219850505231X", "5231X")


@pytest.fixture
def filed(world, plan):
    complaint = complaint_submit(
        elevator=world["a"],
        category=Category.MAINTENANCE_FUND,  # led by 住建局 (zjj), 东区's government co-responsible
        description=SECRET_WORDS,
        contact_name="王小明",
        contact_phone="13800001234",
    )
    zjj, firm = world["users"]["zjj"], world["users"]["maintenance"]
    complaint_respond(user=zjj, complaint=complaint, text="内部备注：住户系维保单位前员工", public=False)
    complaint_respond(user=firm, complaint=complaint, text="维保单位内部：待查", public=False)
    complaint_respond(user=firm, complaint=complaint, text="已派人检查。", public=True)
    ComplaintEvent.objects.create(complaint=complaint, kind=EventKind.NOTE, text="督办备忘：约谈", public=False)
    return complaint


def detail_page(client, user, complaint) -> str:
    client.force_login(user)
    response = client.get(reverse("complaints:staff_detail", args=[complaint.pk]))
    assert response.status_code == 200
    return response.content.decode()


def api_detail(client, user, complaint) -> dict:
    client.force_login(user)
    response = client.get(f"/api/v1/complaints/{complaint.pk}/")
    assert response.status_code == 200
    return response.json()


@pytest.mark.parametrize("who", ["use_unit", "maintenance"])
def test_the_firm_and_the_use_unit_read_masked_words_and_no_internal_notes(client, world, filed, who):
    user = world["users"][who]
    page = detail_page(client, user, filed)
    data = api_detail(client, user, filed)
    listed = next(r for r in client.get("/api/v1/complaints/").json()["results"] if r["id"] == filed.pk)
    texts = [e["text"] for e in data["events"]]
    for body in (page, json.dumps(data, ensure_ascii=False), json.dumps(listed, ensure_ascii=False)):
        assert "电梯卡在3楼" in body and "***" in body
        for secret in (*SECRETS, "住户系维保单位前员工", "督办备忘"):
            assert secret not in body
    assert "已派人检查。" in page and "已派人检查。" in texts
    # the firm keeps its own internal note; the use unit does not see it
    assert ("维保单位内部：待查" in page) is (who == "maintenance")
    assert ("维保单位内部：待查" in texts) is (who == "maintenance")


@pytest.mark.parametrize("who", ["city", "district", "zjj"])
def test_the_handlers_read_everything(client, world, filed, who):
    user = world["users"][who]
    page = detail_page(client, user, filed)
    data = api_detail(client, user, filed)
    texts = [e["text"] for e in data["events"]]
    assert SECRET_WORDS in page and data["description"] == SECRET_WORDS
    for note in ("内部备注：住户系维保单位前员工", "维保单位内部：待查", "督办备忘：约谈"):
        assert note in page and note in texts


def test_a_co_responsible_department_reads_masked_words_but_the_internal_notes(client, world, filed):
    user = world["users"]["dq_gov"]
    page = detail_page(client, user, filed)
    assert "电梯卡在3楼" in page and "139-0000-1111" not in page
    assert "内部备注：住户系维保单位前员工" in page


def test_open311_and_the_tracking_page_publish_masked_words(client, filed):
    for fmt in ("json", "xml"):
        response = client.get(reverse("open311_request", kwargs={"fmt": fmt, "service_request_id": filed.tracking_no}))
        body = response.content.decode()
        assert response.status_code == 200 and "电梯卡在3楼" in body
        assert not any(secret in body for secret in SECRETS)
    track = client.get(reverse("complaints:track", args=[filed.tracking_no])).content.decode()
    assert "电梯卡在3楼" in track and "***" in track
    assert not any(secret in track for secret in (*SECRETS, "内部备注", "维保单位内部", "督办备忘"))


@pytest.mark.parametrize("who", ["use_unit", "maintenance"])
def test_exports_for_the_firm_and_the_use_unit_carry_no_personal_data(client, world, filed, who):
    client.force_login(world["users"][who])
    response = client.get(reverse("complaints:staff_list"), {"export": "csv", "status": ""})
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert filed.tracking_no in body and len(rows) == 2
    assert not any(secret in body for secret in (*SECRETS, "13800001234", "王小明"))


# -------------------------------------------------------- photos: EXIF/GPS stripped on intake by re-encoding


def jpeg_with_gps(**extra_tags) -> bytes:
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0132] = "2026:12:01 08:15:00"  # DateTime
    exif[0x0112] = 6  # Orientation: rotate 90° to be upright
    exif[GPS_IFD] = {1: "N", 2: (26.0, 35.0, 12.5), 3: "E", 4: (101.0, 43.0, 1.0)}
    for tag, value in extra_tags.items():
        exif[int(tag[1:])] = value
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD)  # the GPS position is really there
    return data


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_a_residents_photo_is_stored_without_any_metadata_and_still_opens(world, plan):
    complaint = complaint_submit(
        elevator=world["a"],
        category=Category.BREAKDOWN,
        description="门关不上",
        photos=[("gps.jpg", jpeg_with_gps())],
    )
    photo = complaint.photos.get()
    with photo.file.open("rb") as handle:
        stored = handle.read()
    image = opened(stored)
    assert image.format == "JPEG" and image.size == (48, 64)  # turned upright by its orientation
    assert not image.getexif() and b"Exif" not in stored and b"PhoneMaker" not in stored
    assert photo.sha256 == hashlib.sha256(stored).hexdigest() and photo.size == len(stored)


def test_a_png_loses_its_text_chunks(world, plan):
    info = PngInfo()
    info.add_text("Comment", "家住3栋1单元")
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, "PNG", pnginfo=info)
    complaint = complaint_submit(
        elevator=world["a"], category=Category.BREAKDOWN, description="门关不上", photos=[("a.png", out.getvalue())]
    )
    with complaint.photos.get().file.open("rb") as handle:
        stored = handle.read()
    assert opened(stored).format == "PNG" and "家住".encode() not in stored and b"Comment" not in stored


def test_an_undecodable_photo_with_exif_is_refused_naming_it(world, plan):
    broken = jpeg_with_gps()[:200]  # the EXIF block, then nothing
    with pytest.raises(ValidationError) as exc:
        complaint_submit(
            elevator=world["a"], category=Category.BREAKDOWN, description="门关不上", photos=[("cut.jpg", broken)]
        )
    assert exc.value.message_dict["photos"] == ["照片“cut.jpg”无法读取，请重新拍摄或导出后上传。"]


def test_a_maintenance_photo_keeps_its_time_but_loses_its_gps_position(world):
    record = make_record(world, attachments=[UploadedFile("site.jpg", jpeg_with_gps())])
    attachment = record.attachments.get()
    with attachment.file.open("rb") as handle:
        stored = handle.read()
    exif = opened(stored).getexif()
    assert exif[0x0132] == "2026:12:01 08:15:00" and exif[0x010F] == "PhoneMaker"
    assert GPS_IFD not in exif and not exif.get_ifd(GPS_IFD)
    assert attachment.sha256 == hashlib.sha256(stored).hexdigest()
