"""Date windows shared by the jobs, lists and statistics."""

from datetime import date, datetime, time, timedelta

from django.utils import timezone


def day_bounds(since: date, until: date) -> tuple[datetime, datetime]:
    """Aware datetimes [start of `since`, start of the day after `until`) in local time, so date ranges are
    inclusive and datetime indexes are used."""
    tz = timezone.get_current_timezone()
    return (
        timezone.make_aware(datetime.combine(since, time.min), tz),
        timezone.make_aware(datetime.combine(until + timedelta(days=1), time.min), tz),
    )


def years_before(day: date, years: int) -> date:
    """The same calendar day `years` earlier (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def last_12_months(today: date) -> tuple[date, date]:
    """The 12 months ending on `today`, both days included (2025-06-15 → 2024-06-16 … 2025-06-15)."""
    return years_before(today, 1) + timedelta(days=1), today
