"""A use unit takes its compliance page from red to green in the browser (issue 15 "Tests"; plan §2(7), §2(12);
特种设备安全法 §33; TSG T5002-2017): 金江物业's 安全管理员 陈安全 opens 安全合规自查, sees elevator `a` red (no use
registration certificate, no safety manager answering for it, no emergency plan, its last drill 250 days ago, no
liability insurance; its inspection valid and maintenance not yet due) and follows each item's "去处理" link to the
real form: the certificate (a wrong number first, then the right one), the manager's elevators, a plan with its PDF, a
drill planned then recorded, and a policy with its PDF. After each step the item is green on the compliance page;
at the end the whole card is.

Then the preparedness pages pass axe-core (WCAG 2.1 AA, no "serious" or "critical" violation) at a phone's and an
office desktop's size, with the vendored script (tests/browser/vendor/axe.min.js; no network), the certificate list
in a test of its own.

A transactional test flushes the tables; the `world` fixture builds the personas again for each test.
"""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from preparedness.choices import DrillScenario
from preparedness.services import drills as drill_services
from preparedness.services import insurance as insurance_services

from ..factories import PDF, ElevatorFactory
from .conftest import DESKTOP, PHONE, login, shot

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
OFFICE = {"width": 1366, "height": 768}
BLOCKING = ("serious", "critical")
CERTIFICATE_NO = "梯11川D00123(19)"
# The items the journey turns green (inspection and maintenance are green from the start).
RED_AT_START = ("certificate", "manager", "plan", "drill", "insurance")


def pdf(name: str) -> dict:
    return {"name": name, "mimeType": "application/pdf", "buffer": PDF}


# ---------------------------------------------------------------- axe-core (as test_rescue_a11y.py)


def axe_problems(page) -> list[str]:
    """The serious and critical violations axe-core finds on the page as it is now, one line per element."""
    # Evaluated by the test driver, not added as a <script>: the Content-Security-Policy refuses inline scripts.
    page.evaluate("() => {\n" + AXE.read_text() + "\n}")
    violations = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' ') + ' — '"
        " + (n.failureSummary || '').split('\\n').slice(1, 2).join(''))}))"
    )
    return [f"{v['id']} ({v['impact']}): {node}" for v in violations if v["impact"] in BLOCKING for node in v["nodes"]]


def check_page(page, name: str, problems: dict) -> None:
    """Screenshot the page and collect its blocking violations (all pages are checked before the test fails)."""
    page.wait_for_load_state()
    shot(page, name)
    found = axe_problems(page)
    if found:
        problems[name] = found


# ---------------------------------------------------------------- the journey


def card(code: str) -> str:
    return f'article.compliance-row[data-code="{code}"]'


def open_compliance(page, url: str, code: str) -> None:
    page.goto(f"{url}/preparedness/compliance/")
    page.wait_for_selector(card(code))


def item_state(page, code: str, key: str) -> str:
    return page.get_attribute(f'{card(code)} li[data-item="{key}"]', "data-state")


def follow_fix(page, code: str, key: str) -> None:
    """Click the item's "去处理" link on the elevator's card."""
    link = page.locator(f'{card(code)} li[data-item="{key}"] a')
    assert "去处理" in link.inner_text()
    link.click()
    page.wait_for_load_state()


def assert_green_after(page, url: str, code: str, key: str) -> None:
    open_compliance(page, url, code)
    assert item_state(page, code, key) == "ok", f"{key} is still {item_state(page, code, key)} after its form"


def test_a_use_unit_takes_its_compliance_page_from_red_to_green(live_server, page_factory, world):
    url = live_server.url
    today = timezone.localdate()
    elevator = world["a"]
    elevator.last_drill_on = today - timedelta(days=250)
    elevator.save(update_fields=["last_drill_on"])
    code, pk = elevator.registration_code, elevator.pk
    username = world["users"]["use_unit"].username

    desk = page_factory(DESKTOP)
    login(desk, url, username)
    phone = page_factory(PHONE)
    login(phone, url, username)

    # Red: five of the seven items; inspection valid, maintenance not yet due.
    open_compliance(desk, url, code)
    assert desk.get_attribute(card(code), "data-state") == "red"
    states = {key: item_state(desk, code, key) for key in ("inspection", "maintenance", *RED_AT_START)}
    assert states == {
        "inspection": "ok",
        "maintenance": "ok",
        "certificate": "missing",
        "manager": "missing",
        "plan": "missing",
        "drill": "overdue",
        "insurance": "missing",
    }
    summary = desk.inner_text("#compliance-summary")
    assert summary.count("1 部缺失或超期") == len(RED_AT_START)
    shot(desk, "preparedness-journey-red-desktop")
    open_compliance(phone, url, code)
    assert phone.get_attribute(card(code), "data-state") == "red"
    shot(phone, "preparedness-journey-red-phone")

    # 1. The use registration certificate (特种设备安全法 §33): a wrong number is named at the top, then the right one.
    follow_fix(desk, code, "certificate")
    assert desk.url.endswith(f"/preparedness/certificates/{pk}/")
    desk.fill("#id_number", "梯11川D123")
    desk.fill("#id_authority", "攀枝花市市场监督管理局")
    desk.fill("#id_issued_on", "2019-05-20")
    desk.click("#certificate-form button[type=submit]")
    desk.wait_for_selector("#error-summary")
    summary_box = desk.locator("#error-summary")
    assert "使用登记证编号" in summary_box.inner_text()
    assert summary_box.locator('a[href="#id_number"]').count() == 1
    assert desk.evaluate("document.activeElement.id") == "error-summary"  # the errors are read first
    # The summary comes before the form's first field.
    assert desk.evaluate(
        "document.querySelector('#error-summary').compareDocumentPosition(document.querySelector('#id_number'))"
        " & Node.DOCUMENT_POSITION_FOLLOWING"
    )
    shot(desk, "preparedness-journey-certificate-error-desktop")
    assert desk.input_value("#id_authority") == "攀枝花市市场监督管理局"  # what was right is kept
    desk.fill("#id_number", CERTIFICATE_NO)
    desk.click("#certificate-form button[type=submit]")
    desk.wait_for_url(f"{url}/preparedness/certificates/")
    assert "已登记电梯" in desk.inner_text("main")
    assert_green_after(desk, url, code, "certificate")

    # 2. The safety manager (plan §2(7)): 陈安全, certified, answers for elevator `a`.
    follow_fix(desk, code, "manager")
    desk.wait_for_selector("#managers")
    row = desk.locator("#managers tbody tr", has=desk.locator("td.name", has_text="陈安全"))
    row.locator("a", has_text="负责电梯").click()
    desk.wait_for_selector("#assign-form")
    desk.check(f'#assign-form input[name=elevators][value="{pk}"]')
    desk.click("#assign-form button[type=submit]")
    desk.wait_for_selector("#uncovered.alert-success")
    assert_green_after(desk, url, code, "manager")

    # 3. The emergency plan (应急专项预案) with its PDF, for elevator `a`.
    follow_fix(desk, code, "plan")
    desk.fill("#id_title", "电梯困人应急专项预案")
    desk.fill("#id_version", "2026版")
    desk.fill("#id_adopted_on", (today - timedelta(days=30)).isoformat())
    desk.set_input_files("#id_document", files=[pdf("应急预案.pdf")])
    desk.check(f'input[name=elevators][value="{pk}"]')
    desk.click("main form[enctype] button[type=submit]")
    desk.wait_for_url("**/preparedness/plans/*/")
    assert "已登记" in desk.inner_text("main")
    assert_green_after(desk, url, code, "plan")

    # 4. A drill (TSG T5002-2017): planned for elevator `a` under the plan, then recorded as held today by both sides.
    follow_fix(desk, code, "drill")
    assert desk.is_checked(f'input[name=elevators][value="{pk}"]')  # the link preselects the elevator
    assert desk.input_value("#id_planned_on") == today.isoformat()
    desk.select_option("#id_scenario", DrillScenario.ENTRAPMENT.value)
    desk.select_option("#id_plan", index=1)  # the plan just filed (the first option is the empty one)
    desk.click("main form button[type=submit]")
    desk.wait_for_url("**/preparedness/drills/*/")
    assert "已计划" in desk.inner_text("main")
    drill_url = desk.url
    open_compliance(desk, url, code)
    assert item_state(desk, code, "drill") == "overdue"  # planning alone does not count
    desk.goto(drill_url)
    desk.click("a:has-text('记录演练结果')")
    desk.wait_for_selector("#id_use_unit_participants")
    assert desk.input_value("#id_held_on") == today.isoformat()
    desk.fill("#id_use_unit_participants", "陈安全 安全管理员\n李物业 物业经理")
    desk.fill("#id_firm_participants", "王师傅 维保工\n赵师傅 维保工")
    desk.fill("#id_release_minutes", "12")
    desk.fill("#id_findings", "五楼层门钥匙存放位置不明确。")
    desk.fill("#id_improvements", "钥匙统一存放于值班室并登记。")
    desk.click("main form button[type=submit]")
    desk.wait_for_url("**/preparedness/drills/*/")
    assert "演练结果已记录" in desk.inner_text("main")
    assert "王师傅" in desk.inner_text("main") and "陈安全" in desk.inner_text("main")
    assert_green_after(desk, url, code, "drill")

    # 5. Liability insurance (plan §2(12)): a policy in force today, covering `a`, with its PDF.
    follow_fix(desk, code, "insurance")
    desk.fill("#id_insurer", "中国人民财产保险股份有限公司攀枝花市分公司")
    desk.fill("#id_policy_no", "PDAA2026510400000123")
    desk.check(f'input[name=elevators][value="{pk}"]')
    desk.fill("#id_cover_per_person", "500000")
    desk.fill("#id_cover_per_accident", "2000000")
    desk.fill("#id_starts_on", (today - timedelta(days=10)).isoformat())
    desk.fill("#id_ends_on", (today + timedelta(days=355)).isoformat())
    desk.set_input_files("#id_document", files=[pdf("保单.pdf")])
    desk.click("main form button[type=submit]")
    desk.wait_for_url("**/preparedness/insurance/*/")
    assert "PDAA2026510400000123" in desk.inner_text("main")
    assert_green_after(desk, url, code, "insurance")

    # Green: every item of the card, and the summary says 全部符合 for each of the seven.
    assert desk.get_attribute(card(code), "data-state") == "green"
    for key in ("inspection", "maintenance", *RED_AT_START):
        assert item_state(desk, code, key) == "ok"
    tiles = desk.locator("#compliance-summary a[data-item]")
    assert tiles.count() == 7
    for i in range(7):
        assert "全部符合" in tiles.nth(i).inner_text()
    assert "去处理" not in desk.inner_text(card(code))
    shot(desk, "preparedness-journey-green-desktop")
    open_compliance(phone, url, code)
    assert phone.get_attribute(card(code), "data-state") == "green"
    shot(phone, "preparedness-journey-green-phone")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


# ---------------------------------------------------------------- accessibility of the preparedness pages


def records(world) -> None:
    """Lists with something in them: elevator `a` of 金江物业 with a plan, a drill held last month and a policy in
    force; a second elevator of 金江物业 with nothing (red on the compliance page, on the uninsured list); 米易物业's
    elevator `b` with nothing either (the city's overview has two districts)."""
    today = timezone.localdate()
    use_a, manager = world["use_a"], world["users"]["use_unit"]
    a = world["a"]
    ElevatorFactory(district=a.district, use_unit=use_a, maintenance_firm=world["firm_a"])
    plan = drill_services.emergency_plan_file(
        user=manager,
        use_unit=use_a,
        title="电梯困人应急专项预案",
        version="2026版",
        adopted_on=today - timedelta(days=60),
        document=drill_services.Upload(name="plan.pdf", data=PDF),
        elevators=[a],
    )
    drill = drill_services.drill_plan(
        user=manager,
        use_unit=use_a,
        planned_on=today - timedelta(days=30),
        scenario=DrillScenario.ENTRAPMENT,
        elevators=[a],
        plan=plan,
    )
    drill_services.drill_record(
        user=manager,
        drill=drill,
        held_on=today - timedelta(days=30),
        use_unit_participants="陈安全 安全管理员",
        firm_participants="王师傅 维保工",
        release_minutes=12,
        findings="",
        improvements="",
    )
    drill_services.drill_plan(
        user=manager, use_unit=use_a, planned_on=today, scenario=DrillScenario.POWER_CUT, elevators=[a], plan=plan
    )
    insurance_services.policy_register(
        user=manager,
        insured=use_a,
        insurer="中国人民财产保险股份有限公司攀枝花市分公司",
        policy_no="PDAA2026510400000123",
        elevators=[a],
        cover_per_person=Decimal("500000"),
        cover_per_accident=Decimal("2000000"),
        starts_on=today - timedelta(days=10),
        ends_on=today + timedelta(days=20),  # ending soon: amber on the pages
    )


@pytest.mark.parametrize("size", ["phone", "office"])
def test_the_preparedness_pages_have_no_serious_accessibility_violations(live_server, page_factory, world, size):
    viewport = PHONE if size == "phone" else OFFICE
    records(world)
    url = live_server.url
    a = world["a"]
    problems: dict[str, list[str]] = {}

    unit = page_factory(viewport)
    login(unit, url, world["users"]["use_unit"].username)
    unit.goto(f"{url}/preparedness/compliance/")
    unit.wait_for_selector(card(a.registration_code))
    check_page(unit, f"a11y-preparedness-compliance-{size}", problems)

    unit.goto(f"{url}/preparedness/safety/")
    unit.wait_for_selector("#managers")
    check_page(unit, f"a11y-preparedness-safety-{size}", problems)

    unit.goto(f"{url}/preparedness/certificates/{a.pk}/")
    unit.fill("#id_number", "梯11川D123")
    unit.fill("#id_authority", "攀枝花市市场监督管理局")
    unit.click("#certificate-form button[type=submit]")
    unit.wait_for_selector("#error-summary")
    check_page(unit, f"a11y-preparedness-certificate-errors-{size}", problems)

    unit.goto(f"{url}/preparedness/drills/")
    unit.wait_for_load_state()
    check_page(unit, f"a11y-preparedness-drills-{size}", problems)

    unit.goto(f"{url}/preparedness/drills/new/?elevator={a.pk}")
    unit.wait_for_selector("#id_scenario")
    check_page(unit, f"a11y-preparedness-drill-form-{size}", problems)

    unit.goto(f"{url}/preparedness/insurance/")
    unit.wait_for_load_state()
    check_page(unit, f"a11y-preparedness-policies-{size}", problems)

    unit.goto(f"{url}/preparedness/insurance/new/")
    unit.wait_for_selector("#id_insurer")
    check_page(unit, f"a11y-preparedness-policy-form-{size}", problems)

    # The city regulator: the overview by district, and the elevators without insurance.
    city = page_factory(viewport)
    login(city, url, world["users"]["city"].username)
    city.goto(f"{url}/preparedness/")
    city.wait_for_load_state()
    check_page(city, f"a11y-preparedness-overview-{size}", problems)

    city.goto(f"{url}/preparedness/insurance/uninsured/")
    city.wait_for_load_state()
    check_page(city, f"a11y-preparedness-uninsured-{size}", problems)

    assert not problems, "\n".join(f"{name}:\n  " + "\n  ".join(lines) for name, lines in problems.items())
    if size == "phone":  # nothing wider than the phone's screen on the use unit's pages
        for path in ("compliance/", "certificates/", "drills/", "insurance/"):
            unit.goto(f"{url}/preparedness/{path}")
            width = unit.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], f"/preparedness/{path} is {width}px wide on a {PHONE['width']}px phone"


# The certificate list on its own: its rows in use without a certificate carry the page's one call to action, which
# must keep its contrast (WCAG 1.4.3) and fit a phone.
@pytest.mark.parametrize("size", ["phone", "office"])
def test_the_certificate_list_has_no_serious_accessibility_violations(live_server, page_factory, world, size):
    records(world)
    unit = page_factory(PHONE if size == "phone" else OFFICE)
    login(unit, live_server.url, world["users"]["use_unit"].username)
    unit.goto(f"{live_server.url}/preparedness/certificates/")
    unit.wait_for_selector("#certificates a.btn-primary")
    problems: dict[str, list[str]] = {}
    check_page(unit, f"a11y-preparedness-certificates-{size}", problems)
    assert not problems, "\n".join(f"{name}:\n  " + "\n  ".join(lines) for name, lines in problems.items())
