"""Daily maintenance jobs: the 15-day overdue alert (特种设备安全监察条例 §31) and contract roll-over."""

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from notifications.choices import ReminderKind
from notifications.models import Reminder
from notifications.services import (
    DigestLine,
    digests_for_organizations,
    notifications_send_digests,
    reminders_insert_from,
)
from registry.models import Elevator
from registry.states import maintenance_counted_from_expression, maintenance_overdue_q


@dataclass
class OverdueRun:
    created: int
    recipients: int


def maintenance_overdue_queryset(*, today: date):
    """Elevators in use overdue for maintenance on `today` (条例 §31, registry.states), each with `counted_from`:
    the day its interval runs from (the last confirmed routine maintenance, or for one never maintained the latest
    of commissioning, registration and contract start)."""
    return Elevator.objects.filter(maintenance_overdue_q(today=today)).alias(
        counted_from=maintenance_counted_from_expression()
    )


def maintenance_overdue_run(*, today: date) -> OverdueRun:
    """Alert the firm and the use unit once per gap: the cycle is the day the interval counts from, so a new
    maintenance, or for a never-maintained elevator a new contract, starts a new cycle.

    A fixed handful of queries whatever the number of elevators; safe to run twice or on two workers.
    """
    run_id = uuid.uuid4()
    reminders_insert_from(
        ReminderKind.MAINTENANCE_OVERDUE,
        maintenance_overdue_queryset(today=today),
        subject="elevator",
        cycle_field="counted_from",
        run_id=run_id,
    )
    new = Reminder.objects.filter(run_id=run_id).select_related("elevator")
    by_org: dict[int, list[DigestLine]] = defaultdict(list)
    count = 0
    for reminder in new:
        count += 1
        e = reminder.elevator
        if e.last_maintenance_on == reminder.cycle:
            text = _("%(code)s %(address)s：最近一次维保为%(day)s，已超过%(n)d天，请立即安排维保。")
        else:
            text = _("%(code)s %(address)s：无维保记录，自%(day)s起已超过%(n)d天，请立即安排维保。")
        line = DigestLine(
            text
            % {
                "code": e.registration_code,
                "address": e.address,
                "day": reminder.cycle,
                "n": settings.MAINTENANCE_INTERVAL_DAYS,
            },
            reverse("registry:elevator_detail", args=[e.pk]),
        )
        for org_id in (e.maintenance_firm_id, e.use_unit_id):
            if org_id:
                by_org[org_id].append(line)
    digests = digests_for_organizations(by_org)
    notifications_send_digests(
        digests=digests,
        title=_("%(day)s 维保超期提醒") % {"day": today.isoformat()},
        link=reverse("maintenance:records"),
    )
    return OverdueRun(created=count, recipients=len(digests))
