"""Writes of the working-day calendar: a year's public holidays and make-up working days from `chinese_calendar`.

`chinese_calendar` (PyPI `chinesecalendar`) transcribes 国务院办公厅's yearly notice on public holidays; it knows a
year only once the notice is out (usually in the autumn before) and a release carries it. Rows already on record
are kept as they are, so a correction made in the admin survives loading the year again.
"""

from dataclasses import dataclass
from datetime import date, timedelta

import chinese_calendar

from .choices import DayKind
from .models import CalendarDay

# The library names holidays in English.
HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


class CalendarUnavailable(Exception):
    """The installed `chinese_calendar` has no data for the year asked."""


@dataclass(frozen=True)
class YearLoad:
    year: int
    created: int  # rows added now
    total: int  # rows of the year on record afterwards


def calendar_days_from_library(*, year: int) -> list[CalendarDay]:
    """The days of `year` that break the Monday–Friday pattern, as `chinese_calendar` has them (unsaved)."""
    days = []
    day = date(year, 1, 1)
    while day.year == year:
        try:
            is_holiday, name = chinese_calendar.get_holiday_detail(day)
        except NotImplementedError as exc:  # "no available data for year 2027, only year between [2004, 2026] ..."
            raise CalendarUnavailable(str(exc)) from exc
        weekend = day.weekday() >= 5
        if is_holiday and not weekend:
            days.append(CalendarDay(date=day, kind=DayKind.HOLIDAY, name=HOLIDAY_NAMES.get(name, name or "")))
        elif weekend and not is_holiday:
            days.append(CalendarDay(date=day, kind=DayKind.WORKDAY, name=HOLIDAY_NAMES.get(name, name or "")))
        day += timedelta(days=1)
    return days


def calendar_load_year(*, year: int) -> YearLoad:
    """Add `year`'s public holidays and make-up working days from `chinese_calendar`; idempotent (a unique date)."""
    days = calendar_days_from_library(year=year)
    in_year = CalendarDay.objects.filter(date__gte=date(year, 1, 1), date__lte=date(year, 12, 31))
    before = in_year.count()
    CalendarDay.objects.bulk_create(days, ignore_conflicts=True)
    total = in_year.count()
    return YearLoad(year=year, created=total - before, total=total)
