"""Working days in Panzhihua's calendar (docs/rules.md "Working days"), at their edges, in Asia/Shanghai.

A deadline of N working days ends at 24:00 local (23:59:59.999999) of the N-th working day after the day a complaint
was filed (民法典 §201: the first day is not counted); a public holiday is a rest day, a make-up Saturday (调休) a
working day. The 2026 edges are checked twice: with the rows `chinesecalendar` gives, and with rows written here by
hand from 国务院办公厅's notice, so that a change in the library's data cannot hide a change in the counting.
"""

import io
import logging
from datetime import UTC, date, datetime, timedelta

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from accounts.choices import Role
from complaints.jobs import calendar_check_run
from complaints.models import Complaint
from complaints.services import complaint_deadlines, complaint_submit
from complaints.tasks import check_calendar_task
from departments.choices import Category
from notifications.choices import ReminderKind
from notifications.models import Notification, Reminder
from workdays import selectors
from workdays.choices import DayKind
from workdays.models import CalendarDay
from workdays.selectors import add_working_days, is_working_day, working_calendar
from workdays.services import CalendarUnavailable, calendar_load_year

from ..factories import at, user_with_role

pytestmark = pytest.mark.django_db

H, W = DayKind.HOLIDAY, DayKind.WORKDAY
# 国务院办公厅关于2026年部分节假日安排的通知, the days this file counts across (weekdays off, weekends worked).
HAND_2026 = [
    (date(2026, 1, 1), H, "元旦"),
    (date(2026, 1, 2), H, "元旦"),
    (date(2026, 1, 4), W, "元旦"),
    (date(2026, 2, 14), W, "春节"),
    *[(date(2026, 2, d), H, "春节") for d in (16, 17, 18, 19, 20, 23)],
    (date(2026, 2, 28), W, "春节"),
    (date(2026, 9, 20), W, "国庆节"),
    (date(2026, 9, 25), H, "中秋节"),
    *[(date(2026, 10, d), H, "国庆节") for d in (1, 2, 5, 6, 7)],
    (date(2026, 10, 10), W, "国庆节"),
]


def end_of(day: date) -> datetime:
    """24:00 of `day` in Panzhihua: the last moment of a deadline."""
    return datetime.combine(day, datetime.max.time(), tzinfo=timezone.get_default_timezone())


@pytest.fixture(autouse=True)
def _fresh_warnings(monkeypatch):
    """The calendar warns once per year and process: each test starts as a fresh process."""
    monkeypatch.setattr(selectors, "_warned_years", set())


@pytest.fixture(params=["library", "by hand"])
def calendar_2026(request):
    """The 2026 calendar: as chinesecalendar has it, or written by hand above."""
    if request.param == "library":
        calendar_load_year(year=2026)
    else:
        CalendarDay.objects.bulk_create([CalendarDay(date=d, kind=k, name=n) for d, k, n in HAND_2026])
    return request.param


def due(filed_at: datetime, days: int = 1) -> datetime:
    return add_working_days(filed_at, days)


# ---------------------------------------------------------------- an ordinary week: the city's day, not UTC's


@pytest.mark.parametrize("hour, minute", [(0, 0), (7, 30), (17, 0), (23, 59)])
def test_filed_on_friday_at_any_hour_is_due_at_the_end_of_monday(calendar_2026, hour, minute):
    friday = date(2026, 12, 4)
    assert due(at(friday, hour, minute)) == end_of(date(2026, 12, 7))


def test_friday_0730_in_panzhihua_is_thursday_in_utc_and_still_counts_as_friday(calendar_2026):
    filed = at(date(2026, 12, 4), 7, 30)
    assert filed.astimezone(UTC).date() == date(2026, 12, 3)  # what the old count started from
    assert due(filed) == end_of(date(2026, 12, 7))
    assert due(filed).astimezone(UTC) == datetime(2026, 12, 7, 15, 59, 59, 999999, tzinfo=UTC)


@pytest.mark.parametrize(
    "filed, expected",
    [
        (at(date(2026, 12, 5), 0, 0), date(2026, 12, 7)),  # Saturday: Monday is the first working day
        (at(date(2026, 12, 6), 23, 59), date(2026, 12, 7)),  # Sunday night
        (at(date(2026, 12, 7), 0, 1), date(2026, 12, 8)),  # Monday just after midnight: Tuesday
        (at(date(2026, 12, 3), 23, 59), date(2026, 12, 4)),  # Thursday night: Friday
    ],
)
def test_a_weekend_filing_counts_from_the_next_working_day(calendar_2026, filed, expected):
    assert due(filed) == end_of(expected)


def test_several_working_days_skip_the_weekend(calendar_2026):
    assert due(at(date(2026, 12, 2)), 3) == end_of(date(2026, 12, 7))  # Wednesday + 3: Thu, Fri, Mon
    assert due(at(date(2026, 12, 5)), 5) == end_of(date(2026, 12, 11))  # Saturday + 5: Mon–Fri


# ---------------------------------------------------------------- 国庆 2026: 1–7 October off, 20 Sep and 10 Oct worked


@pytest.mark.parametrize(
    "filed, expected",
    [
        (at(date(2026, 9, 30), 9, 0), date(2026, 10, 8)),  # the day before 国庆: the holiday is skipped
        (at(date(2026, 9, 30), 23, 30), date(2026, 10, 8)),
        (at(date(2026, 10, 1), 10, 0), date(2026, 10, 8)),  # during the holiday
        (at(date(2026, 10, 7), 22, 0), date(2026, 10, 8)),  # its last day
        (at(date(2026, 10, 8), 10, 0), date(2026, 10, 9)),  # the day after
        (at(date(2026, 10, 9), 10, 0), date(2026, 10, 10)),  # Friday before the make-up Saturday: due Saturday
        (at(date(2026, 10, 10), 10, 0), date(2026, 10, 12)),  # filed on the make-up Saturday: Monday
        (at(date(2026, 9, 19), 10, 0), date(2026, 9, 20)),  # a Saturday before the make-up Sunday: due Sunday
        (at(date(2026, 9, 24), 10, 0), date(2026, 9, 28)),  # Thursday before 中秋 (Friday 25th off)
    ],
)
def test_national_day_and_its_make_up_days(calendar_2026, filed, expected):
    assert due(filed) == end_of(expected)


# ---------------------------------------------------------------- 春节 2026: 15–23 February, 14 and 28 February worked


@pytest.mark.parametrize(
    "filed, days, expected",
    [
        (at(date(2026, 2, 13), 17, 0), 1, date(2026, 2, 14)),  # Friday: the make-up Saturday is the next working day
        (at(date(2026, 2, 14), 10, 0), 1, date(2026, 2, 24)),  # filed on that Saturday: after the holiday
        (at(date(2026, 2, 13), 17, 0), 2, date(2026, 2, 24)),
        (at(date(2026, 2, 18), 10, 0), 1, date(2026, 2, 24)),  # during 春节
        (at(date(2026, 2, 23), 10, 0), 1, date(2026, 2, 24)),  # its last day, a Monday off
        (at(date(2026, 2, 27), 10, 0), 1, date(2026, 2, 28)),  # Friday before the second make-up Saturday
        (at(date(2026, 2, 12), 10, 0), 3, date(2026, 2, 24)),  # Thursday + 3: Fri 13, Sat 14, Tue 24
    ],
)
def test_spring_festival_and_its_make_up_saturdays(calendar_2026, filed, days, expected):
    assert due(filed, days) == end_of(expected)


def test_is_working_day_reads_the_exceptions(calendar_2026):
    assert is_working_day(date(2026, 2, 14)) and is_working_day(date(2026, 2, 28))  # make-up Saturdays
    assert not is_working_day(date(2026, 2, 16)) and not is_working_day(date(2026, 2, 23))
    assert not is_working_day(date(2026, 10, 3))  # a Saturday inside 国庆: a weekend, no row needed
    assert is_working_day(date(2026, 10, 9)) and is_working_day(date(2026, 10, 10))


def test_the_library_has_2026_as_the_state_council_published_it():
    """The data the counting above relies on when loaded from chinesecalendar (the hand rows are the same days)."""
    load = calendar_load_year(year=2026)
    rows = {(d.date, d.kind, d.name) for d in CalendarDay.objects.all()}
    assert set(HAND_2026) <= rows and load.created == load.total == len(rows)
    spring = CalendarDay.objects.filter(name="春节")
    assert list(spring.filter(kind=W).values_list("date", flat=True)) == [date(2026, 2, 14), date(2026, 2, 28)]
    assert spring.filter(kind=H).count() == 6  # Mon 16 – Fri 20 and Mon 23 (the weekends are rest days anyway)


# ---------------------------------------------------------------- the answer deadline: 7 calendar days, 民法典 §203


@pytest.mark.parametrize(
    "filed, expected",
    [
        (at(date(2026, 12, 2), 10, 0), date(2026, 12, 9)),  # Wednesday + 7: Wednesday
        (at(date(2026, 12, 5), 10, 0), date(2026, 12, 14)),  # Saturday + 7 is a Saturday: Monday
        (at(date(2026, 9, 30), 10, 0), date(2026, 10, 8)),  # + 7 is 7 October, inside 国庆: the 8th
        (at(date(2026, 2, 10), 10, 0), date(2026, 2, 24)),  # + 7 is 17 February, inside 春节: the 24th
        (at(date(2026, 2, 7), 10, 0), date(2026, 2, 14)),  # + 7 is the make-up Saturday: it stays
    ],
)
def test_the_answer_deadline_never_ends_on_a_rest_day(calendar_2026, filed, expected):
    assert complaint_deadlines(filed_at=filed).resolve == end_of(expected)


def test_the_answer_deadline_is_never_before_the_acceptance_deadline(calendar_2026):
    for n in range(400):
        filed = at(date(2026, 1, 1) + timedelta(days=n), n % 24)
        deadlines = complaint_deadlines(filed_at=filed)
        assert filed < deadlines.accept <= deadlines.resolve, filed


def test_a_filed_complaint_stores_both_deadlines(calendar_2026, monkeypatch, plan, districts):
    filed = at(date(2026, 9, 30), 16, 45)
    monkeypatch.setattr(timezone, "now", lambda: filed)
    complaint = complaint_submit(
        elevator=None,
        address="东区炳草岗大街1号",
        district=districts["510402"],
        category=Category.SELECTION,
        description="电梯选型不合理。",
    )
    complaint = Complaint.objects.get(pk=complaint.pk)
    assert complaint.accept_deadline == end_of(date(2026, 10, 8)) == complaint.resolve_deadline


# ---------------------------------------------------------------- one query a call


def test_each_question_is_one_query(calendar_2026, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert due(at(date(2026, 9, 30)), 1) == end_of(date(2026, 10, 8))
    with django_assert_num_queries(1):
        assert not is_working_day(date(2026, 10, 1))
    with django_assert_num_queries(1):  # both deadlines of a complaint
        complaint_deadlines(filed_at=at(date(2026, 2, 13)))
    calendar = working_calendar(since=date(2026, 1, 1), working_days=250)
    with django_assert_num_queries(0):
        # 元旦: Friday 2 January off, Sunday 4 January worked, then four weeks less a day
        assert calendar.add_working_days(at(date(2026, 1, 1)), 20) == end_of(date(2026, 1, 29))


def test_a_period_reaching_into_the_next_year_reads_it_too(calendar_2026):
    CalendarDay.objects.create(date=date(2027, 1, 1), kind=H, name="元旦")
    assert due(at(date(2026, 12, 31), 10)) == end_of(date(2027, 1, 4))  # Thursday: Friday 1 January is off
    with pytest.raises(ValueError):
        working_calendar(since=date(2026, 12, 31)).is_working_day(date(2028, 1, 3))
    with pytest.raises(ValueError):
        add_working_days(at(date(2026, 12, 31)), -1)


def test_a_naive_moment_is_refused():
    with pytest.raises(ValueError):
        add_working_days(datetime(2026, 12, 4, 7, 30), 1)  # noqa: DTZ001 — the point of the test


# ---------------------------------------------------------------- a year without data: Monday–Friday, with a warning


def test_a_year_without_holidays_counts_monday_to_friday_and_warns_once(caplog):
    calendar_load_year(year=2026)  # 2026 is on record, 2027 is not
    with caplog.at_level(logging.WARNING, logger="workdays.selectors"):
        assert due(at(date(2026, 12, 31), 10)) == end_of(date(2027, 1, 1))  # 元旦 2027 not known: a Friday worked
        assert due(at(date(2027, 2, 5), 10)) == end_of(date(2027, 2, 8))
    warnings = [r.getMessage() for r in caplog.records if r.name == "workdays.selectors"]
    assert len(warnings) == 1 and "2027" in warnings[0] and "Monday to Friday" in warnings[0]


def test_the_library_says_so_when_it_does_not_know_a_year():
    with pytest.raises(CalendarUnavailable, match="2027"):
        calendar_load_year(year=2027)
    err = io.StringIO()
    with pytest.raises(CommandError, match="2027"):
        call_command("load_holidays", year=[2027], stdout=io.StringIO(), stderr=err)
    assert "2027: not loaded" in err.getvalue() and "Monday to Friday" in err.getvalue()
    assert not CalendarDay.objects.exists()


def test_load_holidays_loads_this_year_and_next_and_keeps_admin_corrections(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: date(2025, 12, 1))
    CalendarDay.objects.create(date=date(2026, 10, 8), kind=H, name="国庆节（市政府另行通知）")  # entered in the admin
    out, err = io.StringIO(), io.StringIO()
    call_command("load_holidays", stdout=out, stderr=err)  # 2025 and 2026
    assert "2025:" in out.getvalue() and "2026:" in out.getvalue() and not err.getvalue()
    assert CalendarDay.objects.filter(date__year=2025).exists()
    assert CalendarDay.objects.get(date=date(2026, 10, 8)).name == "国庆节（市政府另行通知）"
    total = CalendarDay.objects.count()
    call_command("load_holidays", stdout=out, stderr=err)  # again: nothing new
    assert CalendarDay.objects.count() == total


def test_without_a_year_the_command_only_warns_about_an_unknown_next_year(monkeypatch):
    """`make run` loads this year and next: a next year the library does not know yet must not stop it."""
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: date(2026, 12, 1))
    out, err = io.StringIO(), io.StringIO()
    call_command("load_holidays", stdout=out, stderr=err)
    assert "2026:" in out.getvalue() and "2027: not loaded" in err.getvalue()


# ---------------------------------------------------------------- the data: what a row may say


def test_a_holiday_must_be_a_weekday_and_a_make_up_day_a_weekend():
    with pytest.raises(ValidationError) as saturday_off:
        CalendarDay(date=date(2026, 10, 3), kind=H, name="国庆节").full_clean()
    with pytest.raises(ValidationError) as wednesday_worked:
        CalendarDay(date=date(2026, 10, 7), kind=W, name="国庆节").full_clean()
    assert "kind" in saturday_off.value.message_dict and "kind" in wednesday_worked.value.message_dict
    CalendarDay(date=date(2026, 10, 10), kind=W, name="国庆节").full_clean()


@pytest.mark.parametrize(
    "role, sees, changes",
    [
        (Role.CITY_REGULATOR, True, True),
        (Role.DISTRICT_REGULATOR, True, False),
        (Role.MAINTENANCE, False, False),
        (Role.DEPARTMENT, False, False),
    ],
)
def test_the_admin_is_for_regulators_and_city_regulators_correct_it(client, role, sees, changes):
    day = CalendarDay.objects.create(date=date(2026, 10, 8), kind=H, name="国庆节")
    client.force_login(user_with_role(role, is_staff=True))
    listing = client.get(reverse("admin:workdays_calendarday_changelist"))
    assert listing.status_code == (200 if sees else 403)
    response = client.post(
        reverse("admin:workdays_calendarday_change", args=[day.pk]),
        {"date": "2026-10-08", "kind": H, "name": "国庆节（延长）"},
    )
    day.refresh_from_db()
    assert (day.name == "国庆节（延长）") == changes, response.status_code


# ---------------------------------------------------------------- the daily check: next year's calendar missing


@pytest.fixture
def regulators(districts):
    return {
        "city": user_with_role(Role.CITY_REGULATOR, email="shiju@example.cn"),
        "district": user_with_role(Role.DISTRICT_REGULATOR),
    }


def test_before_the_warning_season_nothing_is_said(regulators):
    check = calendar_check_run(today=date(2026, 10, 31))
    assert not check.missing and not Reminder.objects.exists() and not Notification.objects.exists()


def test_from_1_november_city_regulators_are_warned_once_while_next_year_is_missing(regulators, caplog):
    assert settings.CALENDAR_WARN_FROM == "11-01"
    with caplog.at_level(logging.WARNING, logger="complaints.jobs"):
        first = calendar_check_run(today=date(2026, 11, 1))
        again = calendar_check_run(today=date(2026, 11, 2))
    assert (first.year, first.missing, first.recipients) == (2027, True, 1)
    assert (again.missing, again.recipients) == (True, 0)  # still missing, still logged, not said twice
    assert sum("2027" in r.getMessage() for r in caplog.records if r.name == "complaints.jobs") == 2
    reminder = Reminder.objects.get()
    assert (reminder.kind, reminder.subject_key, reminder.cycle) == (
        ReminderKind.CALENDAR_MISSING,
        "calendar:2027",
        date(2027, 1, 1),
    )
    note = Notification.objects.get()
    assert note.recipient == regulators["city"] and "2027年" in note.title and "load_holidays" in note.body
    assert reverse("admin:workdays_calendarday_changelist") in note.body


def test_the_check_is_quiet_once_next_year_is_on_record_and_warns_again_the_year_after(regulators):
    CalendarDay.objects.create(date=date(2027, 1, 1), kind=H, name="元旦")
    assert not calendar_check_run(today=date(2026, 11, 15)).missing
    assert calendar_check_run(today=date(2027, 11, 1)).recipients == 1  # 2028 is missing in its turn
    assert list(Reminder.objects.values_list("subject_key", flat=True)) == ["calendar:2028"]


def test_the_check_runs_as_a_daily_task_and_a_command(regulators, monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: date(2026, 12, 1))
    assert check_calendar_task.delay().get() is True  # eager in tests
    err = io.StringIO()
    call_command("check_calendar", stdout=io.StringIO(), stderr=err)
    assert "2027: no public holidays on record" in err.getvalue() and "warned now: 0" in err.getvalue()
    out = io.StringIO()
    call_command("check_calendar", today=date(2026, 6, 1), stdout=out)
    assert "2027: holidays on record (or not yet time to check)" in out.getvalue()
    assert Notification.objects.count() == 1
    entry = settings.CELERY_BEAT_SCHEDULE["calendar-check"]
    assert entry["task"] == "complaints.tasks.check_calendar_task" and entry["schedule"].hour == {6}
    assert settings.CELERY_TASK_ROUTES["complaints.tasks.check_calendar_task"] == {"queue": "fast"}
