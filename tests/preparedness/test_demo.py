"""The demo shows every preparedness state (issue 15: `make run` with demo data in every state)."""

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import User
from preparedness.choices import ComplianceState, DrillStatus
from preparedness.models import Drill
from preparedness.selectors.compliance import ITEMS, compliance_queryset, compliance_row, preparedness_overview
from registry.models import Elevator
from registry.validators import use_certificate_error


@pytest.mark.slow  # the whole demo
@pytest.mark.django_db
def test_the_demo_has_preparedness_in_every_state():
    call_command("seed_demo", stdout=io.StringIO())
    today = timezone.localdate()
    city = User.objects.get(username="city")
    rows = [compliance_row(e, today=today) for e in compliance_queryset(user=city, today=today)]
    states = {key: {item.state for row in rows for item in row.items if item.key == key} for key in ITEMS}
    assert {ComplianceState.OK, ComplianceState.DUE_SOON, ComplianceState.OVERDUE} <= states["drill"]
    assert {ComplianceState.OK, ComplianceState.DUE_SOON, ComplianceState.MISSING} <= states["insurance"]
    for key in ("certificate", "manager", "plan"):
        assert {ComplianceState.OK, ComplianceState.MISSING} <= states[key], key
    assert {row.state for row in rows} >= {"red", "amber"}
    lines, total = preparedness_overview(user=city, today=today)
    assert total.use_units_without_manager >= 1
    assert 0 < total.coverage_percent < 100
    assert Drill.objects.filter(status=DrillStatus.PLANNED).exists()
    # Every certificate number the demo gives has the layout the form asks for.
    numbers = Elevator.objects.exclude(use_certificate_no="").values_list("use_certificate_no", "elevator_type")
    assert not [n for n, t in numbers if use_certificate_error(n, elevator_type=t)]
    # The demo use unit `wuye` confirms records: its manager answers for its elevators.
    wuye = User.objects.get(username="wuye")
    assert any(
        item.key == "manager" and item.state == ComplianceState.OK
        for row in (compliance_row(e, today=today) for e in compliance_queryset(user=wuye, today=today))
        for item in row.items
    )
