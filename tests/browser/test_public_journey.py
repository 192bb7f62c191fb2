"""A resident in front of the car, phone in hand: rescue code in, public page out, then both languages.

The data is made with the ORM (no factories), committed, so that the live server's thread sees it.
"""

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from registry.choices import OrganizationKind, PersonKind
from registry.demo import ensure_districts
from registry.models import Elevator, Organization, Person

from .conftest import PHONE, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CODE = "31105104022012070003"
RESCUE_CODE = "12345"


@pytest.fixture
def sunshine_garden():
    today = timezone.localdate()
    districts = ensure_districts()
    use_unit = Organization.objects.create(
        name="攀枝花市金江物业管理有限公司", kind=OrganizationKind.USE_UNIT, district=districts["510402"]
    )
    firm = Organization.objects.create(
        name="攀枝花市安达电梯工程有限公司", kind=OrganizationKind.MAINTENANCE, district=districts["510402"]
    )
    # Personal data on file that the public page must never show.
    Person.objects.create(
        name="张三",
        kind=PersonKind.SAFETY_MANAGER,
        organization=use_unit,
        phone="13900001111",
        certificate_no="TS-AQ-510402-0001",
        certificate_valid_until=today + timedelta(days=400),
    )
    return Elevator.objects.create(
        registration_code=CODE,
        rescue_code=RESCUE_CODE,
        elevator_type="3110",
        district=districts["510402"],
        address="东区炳草岗大街1号阳光花园3栋1单元",
        building_name="阳光花园",
        use_unit=use_unit,
        maintenance_firm=firm,
        inspection_valid_until=today + timedelta(days=200),
        last_maintenance_on=today - timedelta(days=3),
    )


def _switch_language(page, code: str) -> None:
    """On a phone the navbar is collapsed: open it, then press the language button."""
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible():
        toggler.click()
    button = page.locator(f"#language-form button[name=language][value={code}]")
    button.wait_for(state="visible")
    # The button posts the language form; wait for the page it leads to (a busy CI machine may take seconds).
    with page.expect_navigation(timeout=30000):
        button.click()


def test_resident_looks_up_elevator_by_rescue_code_and_switches_language(live_server, page_factory, sunshine_garden):
    elevator = sunshine_garden
    page = page_factory(PHONE)

    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    page.fill("input[name=q]", RESCUE_CODE)
    shot(page, "public-journey-1-home-phone")
    page.locator("main form[role=search] button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/e/{CODE}/")
    page.wait_for_load_state()

    text = page.inner_text("body")
    for shown in (
        elevator.address,
        elevator.use_unit.name,
        elevator.maintenance_firm.name,
        "96333",
        elevator.inspection_valid_until.isoformat(),
        CODE,
        RESCUE_CODE,
    ):
        assert shown in text, f"{shown!r} missing from the public page"
    assert "张三" not in text and "13900001111" not in text, "the public page shows personal data"
    assert "13900001111" not in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "page overflows the phone"
    shot(page, "public-journey-2-public-page-phone")

    _switch_language(page, "en")
    page.wait_for_selector("html[lang=en]")
    page.wait_for_load_state()
    assert page.url == f"{live_server.url}/e/{CODE}/"
    text = page.inner_text("body")
    assert CODE in text and elevator.address in text
    # The catalogue may still be incomplete: expect English only for a label that has a translation.
    with translation.override("en"):
        label = translation.gettext("检验有效期至")
    if label != "检验有效期至":
        assert label in text
    assert page.locator("#language-form button[value=zh-hans]").count() == 1
    shot(page, "public-journey-3-public-page-english-phone")

    _switch_language(page, "zh-hans")
    page.wait_for_selector("html[lang=zh-CN]")
    page.wait_for_load_state()
    text = page.inner_text("body")
    assert "检验有效期至" in text and CODE in text
    shot(page, "public-journey-4-public-page-chinese-again-phone")
