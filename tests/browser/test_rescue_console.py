"""The rescue console in a real browser (docs/rules.md "Entrapment rescue loop"): a new incident raises the alarm
within seconds without a reload, and 接警 works in place."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from maintenance.models import Fault
from rescue.services import incident_report

from ..factories import ElevatorFactory
from .conftest import PHONE, login, shot


def reported(minutes: int):
    return timezone.now().replace(microsecond=0) - timedelta(minutes=minutes)


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_console_shows_a_new_incident_within_seconds_and_acts_without_reload(live_server, page_factory, world):
    first = incident_report(elevator=world["a"], source="web", reported_at=reported(10)).fault
    page = page_factory(PHONE)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    login(page, live_server.url, world["users"]["maintenance"].username)
    page.goto(live_server.url + reverse("rescue:console"))
    row = page.locator(f'tr[data-incident="{first.pk}"]')
    assert row.is_visible() and page.locator("#new-incident-alarm").is_hidden()
    elapsed = row.locator(".elapsed").inner_text()
    page.wait_for_timeout(1200)
    assert row.locator(".elapsed").inner_text() != elapsed  # counting up
    # Another elevator of the firm: the page polls the feed and raises the alarm, no reload.
    other = ElevatorFactory(district=world["a"].district, use_unit=world["use_a"], maintenance_firm=world["firm_a"])
    second = incident_report(elevator=other, source="hotline", trapped_people=3).fault
    page.wait_for_selector("#new-incident-alarm:not([hidden])", timeout=5000)
    assert other.address in page.locator("#new-incident-alarm").inner_text()
    assert page.locator(f'tr[data-incident="{second.pk}"]').is_visible()
    shot(page, "rescue-console-alarm-phone")
    # 接警 on the first row, by fetch: its stage changes in place.
    row.locator("button[name=action][value=acknowledge]").click()
    page.wait_for_selector(f'tr[data-incident="{first.pk}"] .stage-acknowledged', timeout=5000)
    assert Fault.objects.get(pk=first.pk).acknowledged_at is not None
    assert "接警" in page.locator("#console-messages").inner_text()
    assert page.url.endswith(reverse("rescue:console")) and not errors
