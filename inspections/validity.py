"""How long a passed inspection is valid (特种设备安全法 §40; TSG T7001-2023).

The rule is a setting (`INSPECTION_VALIDITY_FUNCTION`, a dotted path) so that the city can switch to the
TSG T7001-2023 multi-year cycle without a code change.
"""

import calendar
from datetime import date, timedelta

from django.conf import settings
from django.utils.module_loading import import_string


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def fixed_interval(*, elevator, inspected_on: date) -> date:
    """Default: inspection date + INSPECTION_INTERVAL_MONTHS (12)."""
    return add_months(inspected_on, settings.INSPECTION_INTERVAL_MONTHS)


def tsg_t7001_2023(*, elevator, inspected_on: date) -> date:
    """TSG T7001-2023 pilot: lifts in use under 15 years alternate inspection and self-testing (24 months);
    older lifts keep the yearly inspection."""
    years = elevator.years_in_use(inspected_on)
    return add_months(inspected_on, 24 if years is not None and years < 15 else 12)


def inspection_valid_until_after(*, elevator, inspected_on: date) -> date:
    return import_string(settings.INSPECTION_VALIDITY_FUNCTION)(elevator=elevator, inspected_on=inspected_on)


def inspection_application_deadline(valid_until: date) -> date:
    """The last day to apply for the periodic inspection: one calendar month before the validity ends.

    特种设备安全法 §40: the use unit applies "在检验合格有效期届满前一个月". Read as a calendar month counted back
    from the last valid day, the way 民法典 §201 counts months: the same day of the month before, or that month's
    last day when it has no such day (31 Mar → 28/29 Feb, 31 Jul → 30 Jun, 31 Jan → 31 Dec of the year before).
    """
    return add_months(valid_until, -1)


def latest_validity_with_deadline_by(day: date) -> date:
    """The latest validity end whose §40 deadline falls on or before `day`, so that "deadline ≤ day" becomes the
    plain date range `valid_until ≤ this` in SQL (the deadline never decreases as the validity end grows)."""
    valid_until = add_months(day, 1)  # its deadline is `day`, or earlier when the next month is shorter
    while inspection_application_deadline(valid_until + timedelta(days=1)) <= day:
        valid_until += timedelta(days=1)
    return valid_until
