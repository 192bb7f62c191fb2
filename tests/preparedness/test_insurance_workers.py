"""The insurance expiry reminder in real processes: two runs at once send each reminder once (plan §2(12))."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from notifications.choices import ReminderKind
from notifications.models import Notification, Reminder
from preparedness.models import InsurancePolicy

from ..factories import ElevatorFactory
from ..processes import manage

pytestmark = pytest.mark.slow  # real processes on a test database committed for them

RUN = "from django.utils import timezone; from preparedness.services.insurance import insurance_expiry_run; " + (
    "print(insurance_expiry_run(today=timezone.localdate()))"
)


@pytest.mark.django_db(transaction=True)
def test_two_processes_at_once_remind_each_policy_once(world):
    today = timezone.localdate()
    policies = []
    for i in range(20):
        policy = InsurancePolicy.objects.create(
            insurer="人保财险",
            policy_no=f"W-{i}",
            insured=world["use_a"],
            cover_per_person=Decimal("1"),
            cover_per_accident=Decimal("1"),
            starts_on=today - timedelta(days=300),
            ends_on=today + timedelta(days=i % 10),
        )
        policy.elevators.set([ElevatorFactory(use_unit=world["use_a"], district=world["a"].district)])
        policies.append(policy)
    procs = [manage("shell", "-c", RUN) for _ in range(2)]
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    # Between them the two runs reminded each policy once, whichever took which.
    assert sum(int(o.strip().splitlines()[-1]) for o in outputs) == 20
    assert Reminder.objects.filter(kind=ReminderKind.INSURANCE_EXPIRING).count() == 20
    bodies = list(Notification.objects.filter(recipient=world["users"]["use_unit"]).values_list("body", flat=True))
    for policy in policies:
        assert sum(body.count(f"保单{policy.policy_no} ") for body in bodies) == 1, policy.policy_no
