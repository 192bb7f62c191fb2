"""特种设备安全法 §40's calendar month and the reminders around it, at their edges; the alerts nothing escapes
(never inspected, failed without a passed re-inspection, licence and certificate expired)."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from inspections.choices import InspectionKind, InspectionResult
from inspections.models import InspectionApplication
from inspections.reminders import reminders_run
from inspections.validity import inspection_application_deadline, latest_validity_with_deadline_by
from notifications.choices import ReminderKind
from notifications.models import Notification, Reminder
from registry.models import Elevator

from ..factories import ElevatorFactory, InspectionFactory, PersonFactory, make_application, make_inspection

D = date.fromisoformat

# Validity ends → §40 deadline (one calendar month before; the month's last day when it has no such day).
DEADLINES = [
    ("2027-01-31", "2026-12-31"),
    ("2027-02-28", "2027-01-28"),
    ("2028-02-29", "2028-01-29"),
    ("2027-03-31", "2027-02-28"),
    ("2028-03-31", "2028-02-29"),
    ("2027-03-30", "2027-02-28"),
    ("2027-04-30", "2027-03-30"),
    ("2027-05-31", "2027-04-30"),
    ("2027-07-31", "2027-06-30"),
    ("2027-12-31", "2027-11-30"),
]


def run(elevator, day):
    """The kinds of reminder about `elevator` the job inserted on `day` (the personas' own dates aside)."""
    run_id = reminders_run(today=day).run_id
    return set(Reminder.objects.filter(run_id=run_id, elevator=elevator).values_list("kind", flat=True))


def notes(user, about):
    """The bodies of `user`'s notifications that name `about`, oldest first (the personas' certificates aside)."""
    bodies = Notification.objects.filter(recipient=user).order_by("id").values_list("body", flat=True)
    return [body for body in bodies if about in body]


def valid_until(elevator, day):
    Elevator.objects.filter(pk=elevator.pk).update(inspection_valid_until=day)
    elevator.refresh_from_db()


@pytest.mark.parametrize("ends, deadline", DEADLINES)
def test_the_deadline_is_one_calendar_month_before_the_validity_ends(ends, deadline):
    assert inspection_application_deadline(D(ends)) == D(deadline)


def test_latest_validity_with_deadline_by_is_the_exact_inverse_over_four_years():
    day = D("2026-01-01")
    while day < D("2030-01-01"):
        last = latest_validity_with_deadline_by(day)
        assert inspection_application_deadline(last) <= day < inspection_application_deadline(last + timedelta(1))
        day += timedelta(days=1)


@pytest.mark.django_db
@pytest.mark.parametrize("ends, deadline", DEADLINES)
def test_the_use_unit_is_reminded_seven_days_before_the_deadline_and_on_it(world, ends, deadline):
    elevator = world["a"]
    valid_until(elevator, D(ends))
    ahead = D(deadline) - timedelta(days=7)
    assert run(elevator, ahead - timedelta(days=1)) == set()  # the day before the ahead reminder: nothing
    assert run(elevator, ahead) == {ReminderKind.INSPECTION_DEADLINE_AHEAD}
    assert run(elevator, D(deadline) - timedelta(days=1)) == set()  # already told
    assert run(elevator, D(deadline)) == {ReminderKind.INSPECTION_DEADLINE}
    assert run(elevator, D(deadline) + timedelta(days=1)) == set()
    ahead_note, deadline_note = notes(world["users"]["use_unit"], elevator.registration_code)
    assert f"检验有效期至{ends}，请于{deadline}前向检验机构申请定期检验（特种设备安全法第四十条）" in ahead_note
    assert f"申请定期检验的期限为{deadline}（特种设备安全法第四十条），尚未申请" in deadline_note


@pytest.mark.django_db
def test_the_deadline_reminder_arrives_before_the_old_thirty_day_one_would_have(world):
    """Validity to 2027-03-31: the §40 deadline is 02-28; a reminder 30 days before expiry (03-01) came too late."""
    elevator = world["a"]
    valid_until(elevator, D("2027-03-31"))
    assert run(elevator, D("2027-02-21")) == {ReminderKind.INSPECTION_DEADLINE_AHEAD}
    assert run(elevator, D("2027-02-28")) == {ReminderKind.INSPECTION_DEADLINE}
    assert run(elevator, D("2027-03-01")) == set()
    note = notes(world["users"]["use_unit"], elevator.registration_code)[0]
    assert "请于2027-02-28前向检验机构申请定期检验（特种设备安全法第四十条）" in note


@pytest.mark.django_db
def test_days_before_the_deadline_is_a_setting(world, settings):
    settings.INSPECTION_REMINDER_DAYS_BEFORE_DEADLINE = 14
    elevator = world["a"]
    valid_until(elevator, D("2027-07-31"))
    assert run(elevator, D("2027-06-15")) == set()
    assert run(elevator, D("2027-06-16")) == {ReminderKind.INSPECTION_DEADLINE_AHEAD}


@pytest.mark.django_db
def test_a_missed_day_is_caught_up_by_the_next_run_not_skipped(world):
    elevator = world["a"]
    valid_until(elevator, D("2027-07-31"))  # deadline 06-30, ahead 06-23
    assert run(elevator, D("2027-06-25")) == {ReminderKind.INSPECTION_DEADLINE_AHEAD}  # the job did not run on 06-23
    # Down from the 29th to 07-03: the deadline reminder still goes out, once.
    assert run(elevator, D("2027-07-03")) == {ReminderKind.INSPECTION_DEADLINE}
    assert run(elevator, D("2027-07-04")) == set()


@pytest.mark.django_db
def test_first_run_after_the_deadline_sends_only_the_deadline_reminder_and_expiry_still_comes(world):
    elevator = world["a"]
    valid_until(elevator, D("2027-07-31"))
    assert run(elevator, D("2027-07-10")) == {ReminderKind.INSPECTION_DEADLINE}
    assert run(elevator, D("2027-07-16")) == {ReminderKind.INSPECTION_15}  # the firm, 15 days before expiry
    assert run(elevator, D("2027-07-31")) == set()  # the last valid day
    assert run(elevator, D("2027-08-01")) == {ReminderKind.INSPECTION_EXPIRED}
    assert run(elevator, D("2027-08-20")) == set()


@pytest.mark.django_db
def test_each_reminder_once_however_often_the_job_runs(world):
    elevator = world["a"]
    valid_until(elevator, D("2027-03-31"))
    for day in [D("2027-02-21")] * 3 + [D("2027-02-22"), D("2027-02-28"), D("2027-02-28"), D("2027-03-20")]:
        reminders_run(today=day)
    assert sorted(Reminder.objects.filter(elevator=elevator).values_list("kind", flat=True)) == sorted(
        [ReminderKind.INSPECTION_DEADLINE_AHEAD, ReminderKind.INSPECTION_DEADLINE, ReminderKind.INSPECTION_15]
    )
    assert len(notes(world["users"]["use_unit"], elevator.registration_code)) == 2
    assert len(notes(world["users"]["maintenance"], elevator.registration_code)) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("status, reminded", [("submitted", False), ("scheduled", False), ("rejected", True)])
def test_no_deadline_reminder_once_an_application_is_filed(world, status, reminded):
    elevator = world["a"]
    valid_until(elevator, D("2027-03-31"))
    InspectionApplication.objects.create(
        elevator=elevator,
        kind=InspectionKind.PERIODIC,
        agency=world["agency"],
        wished_from=D("2027-03-01"),
        wished_to=D("2027-03-10"),
        site_contact="王经理",
        site_phone="13800000000",
        submitted_by=world["users"]["use_unit"],
        status=status,
    )
    expected = {ReminderKind.INSPECTION_DEADLINE} if reminded else set()
    assert run(elevator, D("2027-02-28")) == expected
    assert run(elevator, D("2027-03-20")) == ({ReminderKind.INSPECTION_15} if reminded else set())


@pytest.mark.django_db
def test_who_hears_each_inspection_stage(world):
    users = world["users"]
    valid_until(world["a"], D("2027-03-31"))

    def inbox(user):
        return notes(user, world["a"].registration_code)

    reminders_run(today=D("2027-02-21"))
    reminders_run(today=D("2027-02-28"))
    assert len(inbox(users["use_unit"])) == 2 and inbox(users["maintenance"]) == inbox(users["district"]) == []
    reminders_run(today=D("2027-03-16"))  # 15 days before expiry: the firm
    assert len(inbox(users["maintenance"])) == 1 and "使用单位尚未申请定期检验" in inbox(users["maintenance"])[0]
    assert len(inbox(users["use_unit"])) == 2
    reminders_run(today=D("2027-04-01"))  # expired: the use unit and the district regulator
    assert "依法不得继续使用" in inbox(users["district"])[0] and len(inbox(users["use_unit"])) == 3
    assert inbox(users["use_unit_b"]) == []


# Nothing escapes: never inspected, failed without a passed re-inspection.


@pytest.mark.django_db
def test_an_elevator_in_use_never_inspected_is_alerted_once_to_its_use_unit_and_district(world):
    elevator = world["a"]
    valid_until(elevator, None)
    ElevatorFactory(use_unit=world["use_a"], status="suspended", inspection_valid_until=None)  # not in use
    today = timezone.localdate()
    assert reminders_run(today=today).created == {ReminderKind.NEVER_INSPECTED: 1}
    assert reminders_run(today=today + timedelta(days=1)).created == {}
    reminder = Reminder.objects.get()
    assert reminder.elevator == elevator and reminder.cycle == timezone.localdate(elevator.created_at)
    for who in ["use_unit", "district"]:
        body = Notification.objects.get(recipient=world["users"][who]).body
        assert elevator.registration_code in body and "没有检验记录" in body
    assert not Notification.objects.filter(recipient=world["users"]["maintenance"]).exists()


@pytest.mark.django_db
def test_a_failed_elevator_without_a_passed_reinspection_is_alerted_once_per_failure(world):
    elevator = world["a"]
    today = timezone.localdate()
    make_inspection(world, inspected_on=today - timedelta(days=3), result=InspectionResult.FAILED)
    assert reminders_run(today=today).created == {ReminderKind.INSPECTION_FAILED: 1}
    assert reminders_run(today=today + timedelta(days=1)).created == {}
    assert Reminder.objects.get().cycle == today - timedelta(days=3)
    for who in ["use_unit", "maintenance", "district"]:
        assert "检验不合格且尚无复检合格记录" in Notification.objects.get(recipient=world["users"][who]).body
    # The re-inspection fails too: a new failure, a new alert.
    make_inspection(world, kind=InspectionKind.RE_INSPECTION, result=InspectionResult.RE_FAILED)
    assert reminders_run(today=today + timedelta(days=1)).created == {ReminderKind.INSPECTION_FAILED: 1}
    elevator.refresh_from_db()
    assert elevator.inspection_failed


@pytest.mark.django_db
def test_failed_then_passed_on_reinspection_raises_no_alert(world):
    today = timezone.localdate()
    make_inspection(world, inspected_on=today - timedelta(days=10), result=InspectionResult.FAILED)
    make_inspection(world, kind=InspectionKind.RE_INSPECTION, result=InspectionResult.RE_PASSED)
    assert reminders_run(today=today).created == {}


@pytest.mark.django_db
def test_a_failed_flag_without_an_inspection_on_record_is_still_alerted(world):
    """A failure imported without its inspection row: the alert's cycle is the registration date."""
    elevator = world["a"]
    Elevator.objects.filter(pk=elevator.pk).update(inspection_failed=True)
    InspectionFactory(elevator=world["b"], result=InspectionResult.FAILED)  # someone else's failure: not this cycle
    today = timezone.localdate()
    assert reminders_run(today=today).created == {ReminderKind.INSPECTION_FAILED: 1}
    assert Reminder.objects.get().cycle == timezone.localdate(elevator.created_at)


# Licences and certificates: the 30-day warning, and the alert once expired ("有效期至" is the last valid day).


@pytest.mark.django_db
@pytest.mark.parametrize(
    "offset, expected",
    [
        (-400, {ReminderKind.LICENCE_EXPIRED}),  # long expired: alerted once, on the first run
        (-1, {ReminderKind.LICENCE_EXPIRED}),  # expired yesterday
        (0, {ReminderKind.LICENCE_30}),  # today is its last valid day
        (1, {ReminderKind.LICENCE_30}),
        (30, {ReminderKind.LICENCE_30}),
        (31, set()),
    ],
)
def test_licence_warning_and_expiry_at_their_edges(world, offset, expected):
    today = timezone.localdate()
    firm = world["firm_a"]
    firm.licence_valid_until = today + timedelta(days=offset)
    firm.save()
    assert set(reminders_run(today=today).created) == expected
    assert reminders_run(today=today).created == {}


@pytest.mark.django_db
def test_an_expired_licence_is_alerted_once_to_the_firm_and_its_district_regulator(world):
    today = timezone.localdate()
    firm = world["firm_a"]
    firm.licence_valid_until = today
    firm.save()
    assert reminders_run(today=today).created == {ReminderKind.LICENCE_30: 1}
    assert reminders_run(today=today + timedelta(days=1)).created == {ReminderKind.LICENCE_EXPIRED: 1}
    assert reminders_run(today=today + timedelta(days=9)).created == {}
    body = Notification.objects.filter(recipient=world["users"]["maintenance"]).order_by("-id").first().body
    assert "TS3351-A" in body and "已过期" in body
    assert "安达维保的许可证（TS3351-A）" in Notification.objects.get(recipient=world["users"]["district"]).body
    # Renewed: a new cycle, alerted again when that one ends.
    firm.licence_valid_until = today + timedelta(days=400)
    firm.save()
    assert reminders_run(today=today + timedelta(days=401)).created[ReminderKind.LICENCE_EXPIRED] == 1


@pytest.mark.django_db
def test_an_inactive_organisation_is_not_alerted(world):
    firm = world["firm_a"]
    firm.licence_valid_until = timezone.localdate() - timedelta(days=1)
    firm.is_active = False
    firm.save()
    assert reminders_run(today=timezone.localdate()).created == {}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "offset, expected",
    [(-1, {ReminderKind.CERTIFICATE_EXPIRED}), (0, {ReminderKind.CERTIFICATE_30}), (1, {ReminderKind.CERTIFICATE_30})],
)
def test_certificate_warning_and_expiry_at_their_edges(world, offset, expected):
    today = timezone.localdate()
    person = world["inspector"]
    person.certificate_valid_until = today + timedelta(days=offset)
    person.save()
    assert set(reminders_run(today=today).created) == expected
    assert reminders_run(today=today + timedelta(days=2)).created == (
        {ReminderKind.CERTIFICATE_EXPIRED: 1} if offset >= 0 else {}
    )
    assert "李检验的证书" in Notification.objects.filter(recipient=world["users"]["inspection"]).first().body


@pytest.mark.django_db
def test_an_expired_certificate_goes_to_the_persons_organisation_only(world):
    today = timezone.localdate()
    PersonFactory(organization=world["firm_a"], name="钱师傅", certificate_valid_until=today - timedelta(days=1))
    assert reminders_run(today=today).created == {ReminderKind.CERTIFICATE_EXPIRED: 1}
    assert "钱师傅的证书" in Notification.objects.get(recipient=world["users"]["maintenance"]).body
    assert not Notification.objects.filter(recipient=world["users"]["district"]).exists()


# Where the use unit sees it.


@pytest.mark.django_db
def test_the_deadline_is_shown_where_the_use_unit_sees_the_validity(client, world):
    elevator = world["a"]
    today = timezone.localdate()
    valid_until(elevator, today + timedelta(days=100))
    deadline = inspection_application_deadline(elevator.inspection_valid_until)
    line = f"请于 {deadline:%Y-%m-%d} 前申请定期检验（特种设备安全法第四十条）"
    client.force_login(world["users"]["use_unit"])
    assert line in client.get(reverse("inspections:my_elevators")).content.decode()
    assert line in client.get(reverse("inspections:apply", args=[elevator.pk])).content.decode()
    client.logout()
    assert line in client.get(reverse("public_elevator", args=[elevator.registration_code])).content.decode()


@pytest.mark.django_db
def test_the_deadline_is_not_shown_once_applied_or_expired(client, world):
    elevator = world["a"]
    make_application(world)
    client.force_login(world["users"]["use_unit"])
    assert (
        "前申请定期检验（特种设备安全法第四十条）"
        not in client.get(reverse("inspections:my_elevators")).content.decode()
    )
    valid_until(elevator, timezone.localdate() - timedelta(days=1))
    client.logout()
    page = client.get(reverse("public_elevator", args=[elevator.registration_code])).content.decode()
    assert "前申请定期检验" not in page
