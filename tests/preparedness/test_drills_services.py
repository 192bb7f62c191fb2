"""Drills (TSG T5002-2017: at least every DRILL_INTERVAL_MONTHS months per elevator) and emergency plans (plan §2(7)):
the due day at its month-end edges, the reminder job once per gap, last_drill_on never going back, and the services'
rules and permissions."""

import io
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image

from notifications.choices import ReminderKind
from notifications.models import Notification, Reminder
from preparedness.choices import ComplianceState, DrillScenario, DrillStatus
from preparedness.rules import drill_due_on, drill_state
from preparedness.selectors.drills import drill_elevators
from preparedness.services.drills import (
    DrillReminderRun,
    Upload,
    drill_cancel,
    drill_cancel_reason,
    drill_plan,
    drill_record,
    drills_reminders_run,
)
from registry.choices import ElevatorStatus
from registry.models import Elevator

from ..factories import JPEG, PDF, ElevatorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _intervals(settings):
    settings.DRILL_INTERVAL_MONTHS = 6
    settings.DRILL_REMINDER_DAYS = 30


def real_jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, format="JPEG")
    return out.getvalue()


def set_last_drill(day, *elevators):
    Elevator.objects.filter(pk__in=[e.pk for e in elevators]).update(last_drill_on=day)


def planned(world, who="use_unit", elevators=None, **extra):
    return drill_plan(
        user=world["users"][who],
        use_unit=world["use_a"],
        planned_on=extra.pop("planned_on", date(2026, 11, 20)),
        scenario=extra.pop("scenario", DrillScenario.ENTRAPMENT),
        elevators=elevators or [world["a"]],
        **extra,
    )


def record(world, drill, held_on, who="use_unit", **extra):
    kwargs = {
        "use_unit_participants": "陈安全",
        "firm_participants": "王师傅",
        "release_minutes": 12,
        "findings": "",
        "improvements": "",
        "today": date(2026, 12, 1),
    } | extra
    return drill_record(user=world["users"][who], drill=drill, held_on=held_on, **kwargs)


class TestDueDay:
    """The due day is in time, the day after is overdue; a shorter month ends the interval on its last day."""

    @pytest.mark.parametrize(
        ("held", "due"),
        [
            (date(2026, 8, 31), date(2027, 2, 28)),
            (date(2027, 8, 31), date(2028, 2, 29)),  # 2028 is a leap year
            # preparedness.rules: the same day six months on (30 June → 30 December), clamped only when the month
            # has no such day; the brief's "30 Jun → 31 Dec" (month end to month end) is not what the rules say.
            (date(2026, 6, 30), date(2026, 12, 30)),
            (date(2026, 3, 31), date(2026, 9, 30)),
            (date(2026, 1, 15), date(2026, 7, 15)),
        ],
    )
    def test_due_exactly_six_calendar_months_later(self, held, due):
        assert drill_due_on(held) == due

    @pytest.mark.parametrize(
        ("held", "today", "state"),
        [
            (date(2026, 8, 31), date(2027, 2, 28), ComplianceState.DUE_SOON),  # the due day is in time
            (date(2026, 8, 31), date(2027, 3, 1), ComplianceState.OVERDUE),
            (date(2027, 8, 31), date(2028, 2, 29), ComplianceState.DUE_SOON),
            (date(2027, 8, 31), date(2028, 3, 1), ComplianceState.OVERDUE),
            (date(2026, 6, 30), date(2026, 12, 30), ComplianceState.DUE_SOON),
            (date(2026, 6, 30), date(2026, 12, 31), ComplianceState.OVERDUE),
            # DRILL_REMINDER_DAYS = 30: due 30 Dec → reminded from 30 Nov, not on 29 Nov.
            (date(2026, 6, 30), date(2026, 11, 30), ComplianceState.DUE_SOON),
            (date(2026, 6, 30), date(2026, 11, 29), ComplianceState.OK),
        ],
    )
    def test_the_list_counts_what_the_rule_says(self, world, held, today, state):
        set_last_drill(held, world["a"])
        city = world["users"]["city"]
        assert drill_state(counted_from=held, today=today) == state
        for s in (ComplianceState.OK, ComplianceState.DUE_SOON, ComplianceState.OVERDUE):
            listed = drill_elevators(user=city, today=today, state=s).filter(pk=world["a"].pk).exists()
            assert listed == (s == state), s

    def test_never_drilled_counts_from_the_later_of_commissioning_and_registration(self, world):
        a = world["a"]
        registered = timezone.localdate(a.created_at)  # TruncDate: the city's day
        Elevator.objects.filter(pk=a.pk).update(commission_date=registered + timedelta(days=10))
        row = drill_elevators(user=world["users"]["city"], today=registered).get(pk=a.pk)
        assert row.drill_counted_from == registered + timedelta(days=10)
        Elevator.objects.filter(pk=a.pk).update(commission_date=None)
        row = drill_elevators(user=world["users"]["city"], today=registered).get(pk=a.pk)
        assert row.drill_counted_from == registered

    def test_elevators_not_in_use_are_not_listed(self, world):
        Elevator.objects.filter(pk=world["a"].pk).update(status=ElevatorStatus.SCRAPPED)
        assert not drill_elevators(user=world["users"]["city"], today=date(2026, 12, 1)).filter(pk=world["a"].pk)


class TestReminderJob:
    def test_reminder_before_and_alert_when_overdue_once_per_gap(self, world, mailoutbox):
        a, b = world["a"], world["b"]
        set_last_drill(date(2026, 6, 30), a)  # due 30 Dec
        set_last_drill(date(2026, 5, 31), b)  # due 30 Nov
        Elevator.objects.exclude(pk__in=[a.pk, b.pk]).delete()
        run = drills_reminders_run(today=date(2026, 12, 1))
        assert run == DrillReminderRun(due_soon=1, overdue=1, recipients=run.recipients)
        assert Reminder.objects.get(kind=ReminderKind.DRILL_DUE).elevator_id == a.pk
        assert Reminder.objects.get(kind=ReminderKind.DRILL_OVERDUE).elevator_id == b.pk
        assert Reminder.objects.get(elevator=a).cycle == date(2026, 6, 30)
        # The use unit and the firm of each elevator hear of it, each in one digest.
        note = Notification.objects.get(recipient=world["users"]["use_unit"])
        assert a.registration_code in note.body and "2026-12-30" in note.body
        note_b = Notification.objects.get(recipient=world["users"]["maintenance_b"])
        assert b.registration_code in note_b.body and "已于2026-11-30到期" in note_b.body
        assert Notification.objects.filter(recipient=world["users"]["maintenance"]).count() == 1
        # Running again (the same day or later in the gap) sends nothing new.
        assert drills_reminders_run(today=date(2026, 12, 1)) == DrillReminderRun(0, 0, 0)
        assert drills_reminders_run(today=date(2026, 12, 20)) == DrillReminderRun(0, 0, 0)
        # a becomes overdue: one alert, once.
        assert drills_reminders_run(today=date(2026, 12, 30)) == DrillReminderRun(0, 0, 0)  # due day: in time
        assert drills_reminders_run(today=date(2026, 12, 31)).overdue == 1
        assert drills_reminders_run(today=date(2027, 1, 2)) == DrillReminderRun(0, 0, 0)
        assert Reminder.objects.count() == 3

    def test_a_new_drill_starts_a_new_cycle(self, world):
        a = world["a"]
        Elevator.objects.exclude(pk=a.pk).delete()
        set_last_drill(date(2026, 5, 31), a)
        assert drills_reminders_run(today=date(2026, 12, 1)).overdue == 1
        drill = planned(world)
        record(world, drill, date(2026, 12, 1))
        # Six months later it is due again: a new cycle, so a new reminder.
        run = drills_reminders_run(today=date(2027, 5, 10))
        assert run.due_soon == 1
        assert set(Reminder.objects.values_list("cycle", flat=True)) == {date(2026, 5, 31), date(2026, 12, 1)}

    def test_reminder_days_edge(self, world):
        a = world["a"]
        Elevator.objects.exclude(pk=a.pk).delete()
        set_last_drill(date(2026, 6, 30), a)  # due 30 Dec: reminded from 30 Nov (30 days before)
        assert drills_reminders_run(today=date(2026, 11, 29)) == DrillReminderRun(0, 0, 0)
        assert drills_reminders_run(today=date(2026, 11, 30)).due_soon == 1

    def test_a_handful_of_queries_whatever_the_number_of_elevators(self, world):
        def queries(n):
            Reminder.objects.all().delete()
            for _ in range(n):
                ElevatorFactory(use_unit=world["use_a"], maintenance_firm=world["firm_a"])
            set_last_drill(date(2026, 5, 31), *Elevator.objects.all())
            with CaptureQueriesContext(connection) as ctx:
                drills_reminders_run(today=date(2026, 12, 1))
            return len(ctx.captured_queries)

        assert queries(1) == queries(8)


class TestRecording:
    def test_recording_moves_last_drill_on_up_never_back(self, world):
        a, b2 = world["a"], ElevatorFactory(use_unit=world["use_a"], maintenance_firm=world["firm_a"])
        set_last_drill(date(2026, 11, 1), a)
        drill = planned(world, elevators=[a, b2])
        record(world, drill, date(2026, 10, 1))  # recorded late, held before a's last drill
        a.refresh_from_db()
        b2.refresh_from_db()
        assert a.last_drill_on == date(2026, 11, 1)
        assert b2.last_drill_on == date(2026, 10, 1)
        later = planned(world, elevators=[a])
        record(world, later, date(2026, 11, 25))
        a.refresh_from_db()
        assert a.last_drill_on == date(2026, 11, 25)

    def test_a_drill_recorded_twice_is_recorded_once(self, world):
        drill = planned(world)
        record(world, drill, date(2026, 11, 20))
        with pytest.raises(ValidationError, match="已于2026-11-20记录为已演练"):
            record(world, drill, date(2026, 11, 21), who="maintenance")
        drill.refresh_from_db()
        assert drill.held_on == date(2026, 11, 20)

    def test_held_day_participants_and_release_time_are_checked(self, world):
        drill = planned(world)
        with pytest.raises(ValidationError) as exc:
            record(
                world,
                drill,
                date(2026, 12, 2),
                use_unit_participants=" ",
                firm_participants="",
                release_minutes=None,
            )
        assert set(exc.value.message_dict) == {
            "held_on",
            "use_unit_participants",
            "firm_participants",
            "release_minutes",
        }
        record(world, drill, date(2026, 12, 1))  # today is in time

    def test_held_before_commissioning_is_refused(self, world):
        Elevator.objects.filter(pk=world["a"].pk).update(commission_date=date(2026, 11, 1))
        drill = planned(world)
        with pytest.raises(ValidationError, match="投入使用日期"):
            record(world, drill, date(2026, 10, 31))

    def test_photos_are_typed_by_content_capped_and_re_encoded(self, world, settings):
        settings.PREPAREDNESS_FILE_MAX_BYTES = 2000
        drill = planned(world)
        with pytest.raises(ValidationError) as exc:
            record(
                world,
                drill,
                date(2026, 11, 20),
                photos=[Upload("a.pdf", PDF), Upload("big.jpg", JPEG + b"\x00" * 3000)],
            )
        messages = exc.value.message_dict["photos"]
        assert any("a.pdf" in m and "不是JPEG或PNG" in m for m in messages)
        assert any("big.jpg" in m and "过大" in m for m in messages)
        drill.refresh_from_db()
        assert drill.status == DrillStatus.PLANNED
        photo = real_jpeg()
        record(world, drill, date(2026, 11, 20), photos=[Upload("p.jpg", photo)])
        stored = drill.photos.get()
        assert len(stored.sha256) == 64 and stored.size == stored.file.size

    def test_cancel_keeps_the_reason_and_ends_the_drill(self, world):
        drill = planned(world)
        with pytest.raises(ValidationError, match="取消原因"):
            drill_cancel(user=world["users"]["use_unit"], drill=drill, reason=" ")
        drill_cancel(user=world["users"]["maintenance"], drill=drill, reason="停电检修，改期")
        drill.refresh_from_db()
        assert drill.status == DrillStatus.CANCELLED
        assert drill_cancel_reason(drill) == "停电检修，改期"
        with pytest.raises(ValidationError, match="已取消"):
            record(world, drill, date(2026, 11, 20))


class TestPlanningRights:
    def test_the_firm_defaults_to_the_elevators_firm(self, world):
        assert planned(world).firm == world["firm_a"]

    def test_a_firm_plans_only_for_elevators_it_maintains(self, world):
        assert planned(world, who="maintenance").firm == world["firm_a"]
        with pytest.raises(PermissionDenied):
            planned(world, who="maintenance_b")
        with pytest.raises(ValidationError, match="不由"):
            planned(world, who="use_unit", firm=world["firm_b"])

    def test_a_use_unit_plans_only_for_its_own_elevators(self, world):
        with pytest.raises(ValidationError, match="不属于使用单位"):
            planned(world, elevators=[world["b"]])
        with pytest.raises(PermissionDenied):
            drill_plan(
                user=world["users"]["use_unit"],
                use_unit=world["use_b"],
                planned_on=date(2026, 11, 20),
                scenario=DrillScenario.FIRE,
                elevators=[world["b"]],
            )

    @pytest.mark.parametrize(
        ("who", "allowed"),
        [
            ("city", True),
            ("district", True),
            ("use_unit", True),
            ("maintenance", True),
            ("use_unit_b", False),
            ("maintenance_b", False),
            ("inspection", False),
            ("department", False),
            ("rescue_centre", False),
        ],
    )
    def test_who_records_a_drill(self, world, who, allowed):
        drill = planned(world)
        if allowed:
            assert record(world, drill, date(2026, 11, 20), who=who).status == DrillStatus.HELD
        else:
            with pytest.raises(PermissionDenied):
                record(world, drill, date(2026, 11, 20), who=who)
