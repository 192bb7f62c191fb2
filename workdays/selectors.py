"""Reads of the working-day calendar: whether a day is a working day, and when a period counted in days ends.

Days are the city's calendar days (TIME_ZONE, Asia/Shanghai), never UTC's: a complaint filed on Friday at 07:30 in
Panzhihua was filed on Friday, although it is still Thursday in UTC. A day is a working day from Monday to Friday
and a rest day at weekends, unless a `CalendarDay` row says otherwise (a public holiday, or a make-up working day,
调休). A year without any holiday on record is counted Monday to Friday, with a warning in the log (and the daily
`check_calendar` job warns the city regulators before the year starts).
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from .choices import DayKind
from .models import CalendarDay

logger = logging.getLogger(__name__)

# Years this process has already warned about (one log line per year and process, not one per complaint).
_warned_years: set[int] = set()

# Slack, in calendar days, beyond the days a period counts: the longest run of rest days (春节 with its weekends,
# nine days) fits in it several times over.
_SLACK_DAYS = 30


def local_day(moment: datetime) -> date:
    """The city's calendar day of an aware moment (TIME_ZONE)."""
    return timezone.localtime(moment, timezone.get_default_timezone()).date()


def end_of_day(day: date) -> datetime:
    """The last moment of `day` in the city's time zone (23:59:59.999999, i.e. 24:00 of 民法典 §203)."""
    return datetime.combine(day, time.max, tzinfo=timezone.get_default_timezone())


@dataclass(frozen=True)
class WorkingCalendar:
    """The calendar's exceptions for whole years, read once; answers any number of questions without a query."""

    first_year: int
    last_year: int
    exceptions: dict[date, str]
    loaded_years: frozenset[int]

    def is_working_day(self, day: date) -> bool:
        """Monday to Friday, unless the day is a public holiday; Saturday and Sunday only when made up (调休)."""
        if not self.first_year <= day.year <= self.last_year:
            raise ValueError(f"{day} lies outside the calendar read ({self.first_year}–{self.last_year})")
        kind = self.exceptions.get(day)
        if kind is not None:
            return kind == DayKind.WORKDAY
        if day.year not in self.loaded_years and day.year not in _warned_years:
            _warned_years.add(day.year)
            logger.warning(
                "No public holidays on record for %d: working days are counted Monday to Friday "
                "(manage.py load_holidays --year %d, or enter them in the admin).",
                day.year,
                day.year,
            )
        return day.weekday() < 5

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after `day`."""
        day += timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The end (23:59:59.999999 local) of the `days`-th working day after the city's day of `start`.

        民法典 §201: the day a period starts is not counted, so counting begins the day after; a complaint filed
        on a rest day (a weekend or a holiday) so counts from the next working day, which is its first day.
        Zero days is the end of the day itself, or of the next working day when it is a rest day.
        """
        if days < 0:
            raise ValueError("days must not be negative")
        day = local_day(start)
        if days == 0 and not self.is_working_day(day):
            day = self.next_working_day(day)
        for _ in range(days):
            day = self.next_working_day(day)
        return end_of_day(day)

    def period_end(self, start: datetime, days: int) -> datetime:
        """The end of a period of `days` calendar days from `start` (民法典 §201–§203): it ends at 24:00 of the
        `days`-th day after the day of `start`; when that day is a rest day, at 24:00 of the next working day."""
        if days < 0:
            raise ValueError("days must not be negative")
        day = local_day(start) + timedelta(days=days)
        if not self.is_working_day(day):
            day = self.next_working_day(day)
        return end_of_day(day)


def working_calendar(*, since: date, working_days: int = 0, calendar_days: int = 0) -> WorkingCalendar:
    """The calendar from the year of `since` to a year far enough for periods of `working_days` working days and
    of `calendar_days` calendar days starting on `since`: one query."""
    # Five working days in any seven calendar days, less at most some twenty holidays a year: twice the working days
    # and the slack always reach far enough.
    until = since + timedelta(days=max(2 * working_days, calendar_days) + _SLACK_DAYS)
    years = CalendarDay.objects.filter(date__gte=date(since.year, 1, 1), date__lte=date(until.year, 12, 31))
    exceptions = dict(years.values_list("date", "kind"))
    loaded = frozenset(day.year for day, kind in exceptions.items() if kind == DayKind.HOLIDAY)
    return WorkingCalendar(first_year=since.year, last_year=until.year, exceptions=exceptions, loaded_years=loaded)


def is_working_day(day: date) -> bool:
    """Whether the city works on `day` (one query)."""
    return working_calendar(since=day).is_working_day(day)


def add_working_days(start: datetime, days: int) -> datetime:
    """The end (23:59:59.999999 local) of the `days`-th working day after the city's day of `start` (one query)."""
    return working_calendar(since=local_day(start), working_days=days).add_working_days(start, days)


def year_is_loaded(year: int) -> bool:
    """Whether any public holiday of `year` is on record (a year without one counts Monday to Friday)."""
    return CalendarDay.objects.filter(
        date__gte=date(year, 1, 1), date__lte=date(year, 12, 31), kind=DayKind.HOLIDAY
    ).exists()
