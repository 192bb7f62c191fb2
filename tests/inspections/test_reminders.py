"""The expiry reminder job (plan §2(7)): stages, edges, exactly-once, set-based."""

from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.management import call_command

from inspections.models import InspectionApplication
from inspections.reminders import reminders_run
from notifications.choices import ReminderKind
from notifications.models import Notification, Reminder

from ..factories import ElevatorFactory, bulk_elevators

TODAY = date(2026, 11, 29)


def kinds_for(elevator):
    return set(Reminder.objects.filter(elevator=elevator).values_list("kind", flat=True))


def set_validity(elevator, days):
    elevator.inspection_valid_until = TODAY + timedelta(days=days)
    elevator.save()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "days, expected",
    [
        # 特种设备安全法 §40: the deadline is one calendar month before the validity ends (valid to 2027-01-06 →
        # apply by 2026-12-06), the use unit reminded 7 days before it and on it.
        (39, set()),
        (38, {ReminderKind.INSPECTION_DEADLINE_AHEAD}),
        (31, {ReminderKind.INSPECTION_DEADLINE_AHEAD}),
        (30, {ReminderKind.INSPECTION_DEADLINE}),  # valid to 12-29: the deadline is today, 11-29
        (16, {ReminderKind.INSPECTION_DEADLINE}),  # deadline passed without an application: caught up
        (15, {ReminderKind.INSPECTION_DEADLINE, ReminderKind.INSPECTION_15}),
        (0, {ReminderKind.INSPECTION_DEADLINE, ReminderKind.INSPECTION_15}),  # the last valid day
        (-1, {ReminderKind.INSPECTION_EXPIRED}),  # the day after: expired
    ],
)
def test_reminder_stages_at_their_edges(world, days, expected):
    set_validity(world["a"], days)
    reminders_run(today=TODAY)
    assert kinds_for(world["a"]) == expected


@pytest.mark.django_db
def test_no_reminder_when_an_application_is_already_filed(world):
    elevator = world["a"]
    set_validity(elevator, 10)
    InspectionApplication.objects.create(
        elevator=elevator,
        kind="periodic",
        agency=world["agency"],
        wished_from=TODAY,
        wished_to=TODAY,
        site_contact="x",
        site_phone="1",
        submitted_by=world["users"]["use_unit"],
    )
    reminders_run(today=TODAY)
    assert kinds_for(elevator) == set()


@pytest.mark.django_db
def test_a_rejected_application_does_not_stop_the_reminder(world):
    elevator = world["a"]
    set_validity(elevator, 10)
    InspectionApplication.objects.create(
        elevator=elevator,
        kind="periodic",
        agency=world["agency"],
        wished_from=TODAY,
        wished_to=TODAY,
        site_contact="x",
        site_phone="1",
        submitted_by=world["users"]["use_unit"],
        status="rejected",
    )
    reminders_run(today=TODAY)
    assert ReminderKind.INSPECTION_DEADLINE in kinds_for(elevator)


@pytest.mark.django_db
def test_who_hears_at_each_stage(world):
    set_validity(world["a"], 30)
    reminders_run(today=TODAY)
    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {
        world["users"]["use_unit"].username
    }

    reminders_run(today=TODAY + timedelta(days=15))  # 15 days left, still no application: the firm too
    assert Notification.objects.filter(recipient=world["users"]["maintenance"]).count() == 1

    reminders_run(today=TODAY + timedelta(days=31))  # expired: the district regulator
    alert = Notification.objects.get(recipient=world["users"]["district"])
    assert world["a"].registration_code in alert.body and "依法不得继续使用" in alert.body


@pytest.mark.django_db
def test_reminder_is_sent_once_per_inspection_cycle_however_often_the_job_runs(world):
    set_validity(world["a"], 20)
    first = reminders_run(today=TODAY)
    second = reminders_run(today=TODAY)
    third = reminders_run(today=TODAY + timedelta(days=1))
    assert first.created == {ReminderKind.INSPECTION_DEADLINE: 1} and second.created == {} and third.created == {}
    assert Reminder.objects.count() == 1
    assert Notification.objects.filter(recipient=world["users"]["use_unit"]).count() == 1
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_new_validity_starts_a_new_cycle(world):
    elevator = world["a"]
    set_validity(elevator, 20)
    reminders_run(today=TODAY)
    set_validity(elevator, 20 + 365)
    reminders_run(today=TODAY + timedelta(days=365))
    assert Reminder.objects.filter(elevator=elevator, kind=ReminderKind.INSPECTION_DEADLINE).count() == 2


@pytest.mark.django_db
def test_one_digest_per_recipient_not_one_mail_per_elevator(world):
    for _ in range(5):
        ElevatorFactory(
            use_unit=world["use_a"],
            maintenance_firm=world["firm_a"],
            inspection_valid_until=TODAY + timedelta(days=25),
        )
    run = reminders_run(today=TODAY)
    assert run.created == {ReminderKind.INSPECTION_DEADLINE: 5}
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["wuye@example.cn"]
    assert mail.outbox[0].body.count("检验有效期至") == 5
    assert Notification.objects.get(recipient=world["users"]["use_unit"]).body.count("检验有效期至") == 5


@pytest.mark.django_db
def test_licence_and_certificate_expiry_reminders(world):
    firm = world["firm_a"]
    firm.licence_no = "TS3351-1"
    firm.licence_valid_until = TODAY + timedelta(days=30)
    firm.save()
    person = world["inspector"]
    person.certificate_valid_until = TODAY + timedelta(days=31)
    person.save()
    run = reminders_run(today=TODAY)
    assert run.created == {ReminderKind.LICENCE_30: 1}
    assert "TS3351-1" in Notification.objects.get(recipient=world["users"]["maintenance"]).body
    run = reminders_run(today=TODAY + timedelta(days=1))
    assert run.created == {ReminderKind.CERTIFICATE_30: 1}
    assert "李检验" in Notification.objects.get(recipient=world["users"]["inspection"]).body


@pytest.mark.django_db
def test_failed_and_suspended_elevators_are_not_reminded(world):
    elevator = world["a"]
    set_validity(elevator, 10)
    elevator.inspection_failed = True
    elevator.save()
    ElevatorFactory(status="suspended", inspection_valid_until=TODAY + timedelta(days=10))
    # No deadline reminder for either; the failed one in use is alerted as failed instead.
    assert reminders_run(today=TODAY).created == {ReminderKind.INSPECTION_FAILED: 1}


@pytest.mark.django_db
def test_query_count_does_not_depend_on_the_number_of_elevators(world, django_assert_num_queries):
    def run_with(n: int) -> int:
        Reminder.objects.all().delete()
        Notification.objects.all().delete()
        from registry.models import Elevator

        Elevator.objects.exclude(pk=world["a"].pk).delete()
        bulk_elevators(
            n,
            use_unit=world["use_a"],
            maintenance_firm=world["firm_a"],
            inspection_valid_until=TODAY + timedelta(days=10),
        )
        bulk_elevators(n, use_unit=world["use_a"], inspection_valid_until=TODAY - timedelta(days=3))
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            run = reminders_run(today=TODAY)
        assert run.created[ReminderKind.INSPECTION_DEADLINE] == n and run.created[ReminderKind.INSPECTION_EXPIRED] == n
        return len(ctx.captured_queries)

    small, large = run_with(10), run_with(1000)
    # 10 INSERT…SELECT stages, the new reminders, the users of the organisations, the district regulators,
    # the inbox insert, the "e-mailed" update
    assert small == large == 15


@pytest.mark.django_db
def test_management_command_runs_the_same_service(world, capsys):
    set_validity(world["a"], 5)
    call_command("send_reminders", today=TODAY)
    assert "inspection_deadline: 1" in capsys.readouterr().out
    assert Reminder.objects.count() == 2
