"""The daily check that complaint deadlines can be counted next year: its public holidays must be on record.

Complaint deadlines count working days (docs/rules.md "Working days"); a year with no holidays on record counts
Monday to Friday, so a 春节 or 国庆 week would count as working days. 国务院办公厅 publishes next year's holidays in
the autumn: from CALENDAR_WARN_FROM (1 November) on, the city regulators are warned once a year while they are
missing, and the job logs a warning every day until they are loaded.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts import access
from notifications.choices import ReminderKind
from notifications.models import Reminder
from notifications.services import DigestLine, notifications_send_digests
from workdays.selectors import year_is_loaded

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CalendarCheck:
    year: int  # the year checked: next year
    missing: bool  # its holidays are not on record, and the warning season has begun
    recipients: int  # city regulators warned by this run (only the first run of the year warns)


def calendar_check_run(*, today: date) -> CalendarCheck:
    """Warn the city regulators, once for the year, when next year's public holidays are not on record and
    CALENDAR_WARN_FROM has passed. One query when the calendar is complete; safe to run twice or at once (the
    reminder's unique key: kind, "calendar:<year>", 1 January of that year)."""
    year = today.year + 1
    if today < date.fromisoformat(f"{today.year}-{settings.CALENDAR_WARN_FROM}") or year_is_loaded(year):
        return CalendarCheck(year=year, missing=False, recipients=0)
    logger.warning("No public holidays on record for %d: complaint deadlines there would count Monday to Friday.", year)
    run_id = uuid.uuid4()
    reminder = Reminder(
        kind=ReminderKind.CALENDAR_MISSING, subject_key=f"calendar:{year}", cycle=date(year, 1, 1), run_id=run_id
    )
    Reminder.objects.bulk_create([reminder], ignore_conflicts=True)
    if not Reminder.objects.filter(run_id=run_id).exists():  # warned before, this year or by a worker at once
        return CalendarCheck(year=year, missing=True, recipients=0)
    line = DigestLine(
        _(
            "%(year)d年的法定节假日和调休安排尚未录入工作日历，投诉受理期限将按周一至周五计算。"
            "国务院办公厅公布安排后，请在管理后台“节假日与调休”中录入，或由系统管理员更新 chinesecalendar 后运行 "
            "manage.py load_holidays --year %(year)d。"
        )
        % {"year": year},
        reverse("admin:workdays_calendarday_changelist"),
    )
    digests = {user: [line] for user in access.city_regulators()}
    notifications_send_digests(digests=digests, title=_("%(year)d年节假日安排缺失") % {"year": year})
    return CalendarCheck(year=year, missing=True, recipients=len(digests))
