"""The rescue loop end to end, in two browsers (plan §2(10)): a resident on a phone reports someone trapped on the
public form; the maintenance firm's console, already open, raises the alarm within seconds; the firm takes it
(接警) with one tap; the resident's tracking page, refreshing itself, shows the acknowledgement.

A transactional test flushes the tables, so the plan's departments and routing table are loaded by the `plan`
fixture here (the `world` personas: elevator `a` of 金江物业, maintained by 安达维保, whose login is the firm's user).
"""

import re

import pytest

from complaints.models import Complaint

from .conftest import DESKTOP, PHONE, login, shot

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_trapped_report_reaches_the_firms_console_and_the_resident_sees_it_taken(
    live_server, page_factory, world, plan
):
    elevator = world["a"]
    firm = page_factory(DESKTOP)
    login(firm, live_server.url, world["users"]["maintenance"].username)
    firm.goto(f"{live_server.url}/rescue/")
    firm.wait_for_selector("#rescue-console")
    assert not firm.is_visible("#new-incident-alarm")

    resident = page_factory(PHONE)
    resident.goto(f"{live_server.url}/complaints/new/?elevator={elevator.registration_code}")
    resident.wait_for_selector(f"#complaint-elevator:has-text('{elevator.address}')")
    resident.click("label:has-text('有人被困')")
    resident.fill("#id_description", "我被困在电梯里，停在5楼和6楼之间。")
    resident.fill("#id_contact_phone", "13800001234")
    resident.wait_for_timeout(3200)  # a person takes longer than the form's minimum fill time
    resident.click("button:has-text('提交投诉')")

    resident.wait_for_selector("#new-tracking-no")
    complaint = Complaint.objects.get()
    fault = complaint.incident
    assert fault is not None
    assert resident.inner_text("#new-tracking-no") == complaint.tracking_no
    told = resident.inner_text("#rescue-dispatch")
    assert "维保单位安达维保的值班人员（1人）" in told and "使用单位金江物业的安全管理员（1人）" in told
    assert resident.get_attribute("#rescue-hotline", "href") == "tel:96333"
    assert "13800001234" not in resident.inner_text("body")
    assert "等待中" in resident.inner_text("[data-milestone=acknowledged]")
    shot(resident, "rescue-resident-reported-phone")

    # The console polls its feed: within 10 s the alarm is up and the incident has its row.
    firm.wait_for_selector("#new-incident-alarm", state="visible", timeout=10000)
    row = firm.wait_for_selector(f'tr[data-incident="{fault.pk}"]', timeout=10000)
    shot(firm, "rescue-console-alarm")
    row.query_selector("button[name=action][value=acknowledge]").click()
    firm.wait_for_function(
        'pk => { const r = document.querySelector(`tr[data-incident="${pk}"]`);'
        " return r && !r.querySelector('button[name=action][value=acknowledge]'); }",
        arg=str(fault.pk),
        timeout=10000,
    )
    fault.refresh_from_db()
    assert fault.acknowledged_at is not None

    # The resident's page refreshes itself (every 15 s while the incident is open) and shows 接警 with its time.
    resident.wait_for_function(
        "() => { const m = document.querySelector('[data-milestone=acknowledged]');"
        " return m && !m.textContent.includes('等待中'); }",
        timeout=25000,
    )
    acknowledged = resident.inner_text("[data-milestone=acknowledged]")
    assert "接警" in acknowledged and re.search(r"\d\d:\d\d", acknowledged)
    shot(resident, "rescue-resident-acknowledged-phone")
