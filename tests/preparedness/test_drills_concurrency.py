"""The drill reminder job in real processes: two workers at once send each reminder and alert once (the project's way,
as tests/inspections/test_concurrency.py)."""

from datetime import date

import pytest

from notifications.choices import ReminderKind
from notifications.models import Notification, Reminder
from registry.models import Elevator

from ..factories import ElevatorFactory
from ..processes import manage

pytestmark = pytest.mark.slow  # real processes on a test database committed for them

TODAY = date(2026, 12, 1)
RUN = (
    "import datetime; from preparedness.services.drills import drills_reminders_run as run; "
    f"print(run(today=datetime.date.fromisoformat('{TODAY.isoformat()}')))"
)


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_each_drill_reminder_once(world):
    elevators = [world["a"]] + ElevatorFactory.create_batch(
        30, use_unit=world["use_a"], maintenance_firm=world["firm_a"]
    )
    Elevator.objects.exclude(pk__in=[e.pk for e in elevators]).delete()
    for i, elevator in enumerate(elevators):
        # Held 30 June: due 30 December, within DRILL_REMINDER_DAYS (30) of 1 December; 31 May: overdue since 30 Nov.
        Elevator.objects.filter(pk=elevator.pk).update(last_drill_on=date(2026, 6, 30) if i % 2 else date(2026, 5, 31))
    procs = [manage("shell", "-c", RUN) for _ in range(2)]
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    assert Reminder.objects.filter(kind=ReminderKind.DRILL_DUE).count() == 15
    assert Reminder.objects.filter(kind=ReminderKind.DRILL_OVERDUE).count() == 16
    # Every elevator is named in exactly one of the use unit's notifications, and in one of the firm's.
    for user in (world["users"]["use_unit"], world["users"]["maintenance"]):
        bodies = list(Notification.objects.filter(recipient=user).values_list("body", flat=True))
        for elevator in elevators:
            assert sum(body.count(elevator.registration_code) for body in bodies) == 1, elevator.registration_code


RECORD = """
from django.utils import timezone
from django.core.exceptions import ValidationError
from accounts.models import User
from preparedness.models import Drill
from preparedness.services.drills import drill_record
try:
    drill_record(
        user=User.objects.get(pk={user}), drill=Drill.objects.get(pk={drill}), held_on=timezone.localdate(),
        use_unit_participants="甲", firm_participants="乙", release_minutes=5, findings="", improvements="",
    )
    print("RECORDED")
except ValidationError as exc:
    print("REFUSED", exc.message_dict["status"][0])
"""


@pytest.mark.django_db(transaction=True)
def test_a_drill_recorded_twice_at_once_is_recorded_once(world):
    from django.utils import timezone

    from preparedness.choices import DrillScenario, DrillStatus
    from preparedness.models import Drill
    from preparedness.services.drills import drill_plan

    drill = drill_plan(
        user=world["users"]["use_unit"],
        use_unit=world["use_a"],
        planned_on=timezone.localdate(),
        scenario=DrillScenario.ENTRAPMENT,
        elevators=[world["a"]],
    )
    procs = [
        manage("shell", "-c", RECORD.format(user=world["users"][who].pk, drill=drill.pk))
        for who in ("use_unit", "maintenance")
    ]
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    last_lines = sorted(o.strip().splitlines()[-1] for o in outputs)
    assert [line.split()[0] for line in last_lines] == ["RECORDED", "REFUSED"], outputs
    assert any("记录为已演练，不能再次记录" in o for o in outputs), outputs
    assert Drill.objects.get().status == DrillStatus.HELD
    assert Drill.history.filter(status=DrillStatus.HELD).count() == 1
