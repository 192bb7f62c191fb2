"""Accessibility of the rescue loop's pages (WCAG 2.1 AA, through axe-core): the console with incidents in every
deadline colour, the incident page, the duty roster and its form with errors, and the trapped resident's tracking
page, at a phone's and an office desktop's size. No "serious" or "critical" violation may appear; the axe-core
script is vendored (tests/browser/vendor/, MPL-2.0), so the test needs no network.

A transactional test flushes the tables, so the plan's routing table is loaded by the `plan` fixture (as in
test_rescue_journey.py).
"""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from rescue.choices import DutyLevel, EmergencyService, ReportSource
from rescue.models import DutyShift
from rescue.services import incident_acknowledge, incident_log_call, incident_report, incident_stamp

from ..factories import ElevatorFactory
from .conftest import PHONE, login, shot

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
OFFICE = {"width": 1366, "height": 768}
BLOCKING = ("serious", "critical")


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


def assert_accessible(page, name: str) -> None:
    page.wait_for_load_state()
    shot(page, name)
    problems = axe_problems(page)
    assert not problems, f"{name}:\n" + "\n".join(problems)


def incidents(world) -> dict:
    """Open incidents of 安达维保 in each colour of the arrival deadline (东区: 30 minutes; the last 5 amber), one
    arrived, and one released an hour ago (the console's second table)."""
    firm, use, maintenance = world["firm_a"], world["use_a"], world["users"]["maintenance"]
    district = world["a"].district
    now = timezone.now()

    def elevator():
        return ElevatorFactory(district=district, use_unit=use, maintenance_firm=firm)

    def report(minutes_ago, **extra):
        return incident_report(
            elevator=elevator(), source=ReportSource.HOTLINE, reported_at=now - timedelta(minutes=minutes_ago), **extra
        ).fault

    late = report(40, trapped_people=2, reporter="李女士", phone="13900002222", note="轿厢停在5楼和6楼之间")
    centre = world["users"]["rescue_centre"]
    incident_log_call(user=centre, fault=late, party="119指挥中心", service=EmergencyService.FIRE, note="请求破拆")
    amber = report(27, trapped_people=1)
    incident_acknowledge(user=maintenance, fault=amber)
    green = report(3)
    incident_stamp(user=maintenance, fault=green, step="dispatched")
    arrived = report(12)
    incident_stamp(user=maintenance, fault=arrived, step="arrived")
    released = report(70)
    incident_stamp(user=maintenance, fault=released, step="arrived")
    incident_stamp(user=maintenance, fault=released, step="released")
    DutyShift.objects.create(
        firm=firm,
        level=DutyLevel.ON_CALL,
        name="王师傅",
        phone="13800000001",
        user=maintenance,
        starts_at=now - timedelta(hours=2),
        ends_at=now + timedelta(hours=10),
    )
    return {"late": late, "amber": amber, "green": green}


@pytest.mark.parametrize("size", ["phone", "office"])
def test_the_rescue_pages_have_no_serious_accessibility_violations(live_server, page_factory, world, plan, size):
    viewport = PHONE if size == "phone" else OFFICE
    faults = incidents(world)
    url = live_server.url

    # The firm's console is open (every deadline colour) when a resident reports someone trapped on the public form.
    firm = page_factory(viewport)
    login(firm, url, world["users"]["maintenance"].username)
    firm.goto(f"{url}/rescue/")
    firm.wait_for_selector(f'tr[data-incident="{faults["late"].pk}"].status-late')
    firm.wait_for_selector(f'tr[data-incident="{faults["amber"].pk}"].status-warn')

    resident = page_factory(viewport)
    resident.goto(f"{url}/complaints/new/?elevator={world['a'].registration_code}")
    resident.click("label:has-text('有人被困')")
    resident.fill("#id_description", "我被困在电梯里。")
    resident.wait_for_timeout(3200)  # the form's minimum fill time
    resident.click("button:has-text('提交投诉')")
    resident.wait_for_selector("#rescue-progress")
    assert resident.is_visible("#rescue-refresh-toggle")  # the self-refresh can be paused (WCAG 2.2.2)
    assert_accessible(resident, f"a11y-rescue-tracking-{size}")

    firm.wait_for_selector("#new-incident-alarm", state="visible", timeout=10000)
    assert_accessible(firm, f"a11y-rescue-console-{size}")

    # Its roster (a shift on duty now) and a new shift with a bad phone number.
    firm.goto(f"{url}/rescue/roster/")
    firm.wait_for_selector("#roster tr.on-duty")
    assert_accessible(firm, f"a11y-rescue-roster-{size}")

    firm.goto(f"{url}/rescue/roster/new/")
    firm.fill("#id_name", "张三")
    firm.fill("#id_phone", "12345")
    firm.click("#shift-form button[type=submit]")
    firm.wait_for_selector("#error-summary")
    assert firm.evaluate("document.activeElement.id") == "error-summary"  # the errors are read first
    assert_accessible(firm, f"a11y-rescue-shift-errors-{size}")

    # The 96333 centre: the late incident, with its reports, the call log (119), the escalation and the outbox.
    centre = page_factory(viewport)
    login(centre, url, world["users"]["rescue_centre"].username)
    centre.goto(f"{url}/rescue/incidents/{faults['late'].pk}/")
    centre.wait_for_selector("#call-form")
    assert_accessible(centre, f"a11y-rescue-incident-{size}")
    # Nothing wider than the phone's screen (the tables are cards there).
    if size == "phone":
        assert centre.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
