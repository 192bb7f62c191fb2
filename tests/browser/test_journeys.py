"""User journeys in a real browser: a resident's lookup, and an inspection from application to public page."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.choices import Role
from registry.choices import OrganizationKind

from ..factories import ElevatorFactory, OrganizationFactory, PersonFactory, inspector, user_with_role
from .conftest import PHONE, login, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TODAY = timezone.localdate()


@pytest.fixture
def elevator(districts):
    use_unit = OrganizationFactory(
        name="攀枝花市金江物业管理有限公司", kind=OrganizationKind.USE_UNIT, district=districts["510402"]
    )
    firm = OrganizationFactory(
        name="攀枝花市安达电梯工程有限公司", kind=OrganizationKind.MAINTENANCE, district=districts["510402"]
    )
    PersonFactory(organization=use_unit, name="张三", phone="13900001111")
    return ElevatorFactory(
        # 2012-08: a month tests.factories.registration_code never uses, so no factory-made lift can take this code
        # (which one it reaches depends on how many tests ran before).
        registration_code="31105104022012080003",
        rescue_code="12345",
        district=districts["510402"],
        address="东区炳草岗大街1号阳光花园3栋1单元",
        building_name="阳光花园",
        use_unit=use_unit,
        maintenance_firm=firm,
        inspection_valid_until=TODAY + timedelta(days=20),
        last_maintenance_on=TODAY - timedelta(days=3),
    )


def test_use_unit_applies_agency_schedules_and_passes_public_page_shows_new_validity(
    live_server, page_factory, elevator
):
    agency = OrganizationFactory(name="攀枝花市特种设备监督检验所", kind=OrganizationKind.INSPECTION)
    person = inspector(agency, name="李检验")
    user_with_role(Role.USE_UNIT, organization=elevator.use_unit, username="wuye")
    user_with_role(Role.INSPECTION, organization=agency, username="jianyan")

    page = page_factory(PHONE)
    login(page, live_server.url, "wuye")
    page.goto(live_server.url + "/inspections/my-elevators/")
    page.click("text=申报检验")
    page.fill("#id_site_contact", "王经理")
    page.fill("#id_site_phone", "13800000000")
    shot(page, "journey3-apply-phone")
    page.click("button:has-text('提交申报')")
    page.wait_for_selector("text=已向攀枝花市特种设备监督检验所提交检验申报")

    page = page_factory()
    login(page, live_server.url, "jianyan")
    page.goto(live_server.url + "/inspections/applications/")
    page.click(f"text={elevator.address[:10]}")
    page.click("button:has-text('受理')")
    page.wait_for_selector("#application-status:has-text('已受理')")
    page.fill("#id_scheduled_on", TODAY.isoformat())
    page.check(f"text={person.name}")
    page.click("button:has-text('确定排期')")
    page.wait_for_selector("#application-status:has-text('已排期')")
    page.click("text=录入检验结果")
    page.select_option("#id_result", "passed")
    page.fill("#id_report_no", "PZH-2026-0001")
    shot(page, "journey3-result-desktop")
    page.click("button:has-text('保存检验结果')")
    page.wait_for_selector("text=检验结果已录入：合格")

    new_validity = TODAY.replace(year=TODAY.year + 1) if not (TODAY.month == 2 and TODAY.day == 29) else None
    public = page_factory(PHONE)
    public.goto(f"{live_server.url}/e/{elevator.registration_code}/")
    text = public.inner_text("body")
    assert new_validity is None or new_validity.isoformat() in text
    assert "有效" in text
    shot(public, "journey3-public-after-pass-phone")


def test_worker_records_a_visit_with_a_photo_on_a_phone_and_the_safety_manager_confirms(
    live_server, page_factory, elevator, tmp_path, checklists
):
    from datetime import timedelta as td

    from registry.choices import PersonKind

    worker = PersonFactory(organization=elevator.maintenance_firm, kind=PersonKind.MAINTENANCE_WORKER, name="王师傅")
    worker.user = user_with_role(Role.MAINTENANCE, organization=elevator.maintenance_firm, username="weibao")
    worker.save()
    # Only the use unit's designated 安全管理员 with a valid certificate confirms (TSG T5002-2017).
    PersonFactory(
        organization=elevator.use_unit,
        kind=PersonKind.SAFETY_MANAGER,
        name="陈安全",
        user=user_with_role(Role.USE_UNIT, organization=elevator.use_unit, username="wuye"),
    )
    elevator.last_maintenance_on = TODAY - td(days=14)
    elevator.save()
    photo = tmp_path / "car.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF" + b"0" * 200)

    page = page_factory(PHONE)
    login(page, live_server.url, "weibao")
    page.goto(f"{live_server.url}/maintenance/records/new/?elevator={elevator.rescue_code}")
    page.wait_for_selector("text=层门地坎")
    page.set_input_files("input[name=attachments]", str(photo))
    page.check("input[name=sign_off]")
    shot(page, "journey2-record-phone")
    page.click("button:has-text('提交维保记录')")
    page.wait_for_selector("text=维保记录已上传，等待使用单位确认")
    assert page.locator("img[alt='car.jpg']").count() == 1

    manager = page_factory(PHONE)
    login(manager, live_server.url, "wuye")
    manager.goto(f"{live_server.url}/maintenance/records/")
    manager.click(f"text={elevator.address[:12]}")
    manager.once("dialog", lambda dialog: dialog.accept())
    manager.click("button:has-text('确认维保记录')")
    manager.wait_for_selector("#record-status:has-text('已确认')")
    shot(manager, "journey2-confirmed-phone")

    public = page_factory(PHONE)
    public.goto(f"{live_server.url}/e/{elevator.registration_code}/")
    assert TODAY.isoformat() in public.inner_text("body")


def test_regulator_reads_the_dashboard_follows_an_overdue_count_and_reads_an_elevators_history(
    live_server, page_factory, elevator
):
    from ..factories import ElevatorFactory

    user_with_role(Role.CITY_REGULATOR, username="city", is_staff=True)
    overdue = ElevatorFactory(
        district=elevator.district,
        use_unit=elevator.use_unit,
        maintenance_firm=elevator.maintenance_firm,
        inspection_valid_until=TODAY - timedelta(days=3),
        address="东区人民街9号超期楼",
    )
    overdue.address = "东区人民街9号超期楼（已更正）"
    overdue.save()

    page = page_factory()
    login(page, live_server.url, "city")
    page.goto(f"{live_server.url}/dashboard/")
    page.wait_for_selector("canvas")
    assert page.locator("canvas").count() >= 2
    page.wait_for_function("() => window.Chart !== undefined")
    shot(page, "journey-dashboard-desktop")
    overdue_card = page.locator("a.card.border-danger").first
    assert overdue_card.inner_text().strip().endswith("1")
    overdue_card.click()
    page.wait_for_url("**/registry/elevators/?*inspection_status=expired*")
    assert overdue.registration_code in page.inner_text("body")
    assert elevator.registration_code not in page.inner_text("body")

    page.click(f"text={overdue.registration_code}")
    page.click("text=完整履历")
    page.wait_for_url("**/history/")
    text = page.inner_text("main")
    # newest first: the address correction above the registration
    assert "安装地址：东区人民街9号超期楼 → 东区人民街9号超期楼（已更正）" in text
    assert text.index("登记信息变更") < text.index("电梯登记入库")
    shot(page, "journey-history-desktop")
