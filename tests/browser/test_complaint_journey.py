"""Journey 1 on a phone, in Chinese: from the elevator's page to a filed complaint with a photo, its tracking page,
the department's answer, and the resident's rating.

The department's side goes through the service (its pages are written separately); the resident's side is the
browser's. A transactional test flushes the tables, so the plan's departments and routing table are loaded here.
"""

import pytest

from accounts.choices import Role
from complaints.models import Complaint
from complaints.services import complaint_transition
from departments.plan import ensure_plan
from registry.choices import OrganizationKind
from registry.demo import ensure_districts

from ..factories import ElevatorFactory, OrganizationFactory, user_with_role
from .conftest import PHONE, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# A real 1×1 PNG: the service checks the content, not the name.
PNG_1X1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def test_resident_files_a_complaint_with_a_photo_and_later_reads_the_answer(live_server, page_factory, tmp_path):
    plan = ensure_plan()
    districts = ensure_districts()
    firm = OrganizationFactory(
        name="攀枝花市安达电梯工程有限公司", kind=OrganizationKind.MAINTENANCE, district=districts["510402"]
    )
    elevator = ElevatorFactory(
        registration_code="31105104022012070003",
        rescue_code="12345",
        district=districts["510402"],
        address="东区炳草岗大街1号阳光花园3栋1单元",
        building_name="阳光花园",
        maintenance_firm=firm,
    )
    photo = tmp_path / "button.png"
    photo.write_bytes(PNG_1X1)

    page = page_factory(PHONE)
    page.goto(f"{live_server.url}/e/{elevator.registration_code}/")
    page.click("text=投诉或反映问题")
    page.wait_for_selector("#complaint-elevator:has-text('东区炳草岗大街1号阳光花园3栋1单元')")

    # "Someone trapped?" shows the hotlines big, as links to call; "no" puts them away again.
    assert not page.is_visible("#trapped-help")
    page.click("label:has-text('有人被困')")
    assert page.is_checked("#id_trapped_now_1") and page.is_visible("#call-hotline")
    assert page.get_attribute("#call-hotline", "href") == "tel:96333"
    assert page.get_attribute("#call-119", "href") == "tel:119"
    page.wait_for_timeout(300)  # let the buttons finish their colour transition for the screenshot
    shot(page, "journey1-trapped-hotlines-phone")
    page.click("label:has-text('没有')")
    assert not page.is_visible("#trapped-help")

    page.select_option("#id_category", "vandalism")
    page.fill("#id_description", "轿厢内按钮面板被人砸坏，3楼按钮失灵。")
    page.set_input_files("#id_photos", str(photo))
    page.fill("#id_contact_phone", "13800001234")
    shot(page, "journey1-complaint-form-phone")
    page.wait_for_timeout(3200)  # a person takes longer than the form's minimum fill time
    page.click("button:has-text('提交投诉')")

    page.wait_for_selector("#new-tracking-no")
    complaint = Complaint.objects.get()
    assert page.inner_text("#new-tracking-no") == complaint.tracking_no
    assert page.inner_text("#tracking-no") == complaint.tracking_no
    assert page.inner_text("#complaint-status") == "已提交"
    assert complaint.photos.count() == 1
    assert complaint.department == plan["gaj"]  # plan §2(8): vandalism → 市公安局
    assert "13800001234" not in page.inner_text("body")
    shot(page, "journey1-tracking-submitted-phone")

    police = user_with_role(Role.DEPARTMENT, organization=plan["gaj"].organization)
    complaint_transition(user=police, complaint=complaint, action="accept")
    complaint_transition(
        user=police, complaint=complaint, action="resolve", text="已调取监控并立案调查，按钮面板已由维保单位更换。"
    )

    page.reload()
    page.wait_for_selector("#complaint-answer:has-text('已调取监控并立案调查')")
    assert page.inner_text("#complaint-status") == "已答复"
    shot(page, "journey1-tracking-answered-phone")

    page.click("label[for=id_rating_0]")  # ★★★★★
    page.click("button:has-text('评价并办结')")
    page.wait_for_selector("text=感谢您的评价，投诉已办结。")
    assert page.inner_text("#complaint-status") == "已办结"
    complaint.refresh_from_db()
    assert complaint.rating == 5
