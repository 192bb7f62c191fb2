"""The entrapment-accident alert (特种设备安全监察条例 §64): an entrapment still open 2 hours after the report is an
accident, and the city regulators and the district regulator of the elevator hear of it within minutes."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import access
from maintenance.models import Fault
from notifications.choices import ReminderKind
from notifications.models import Reminder
from notifications.outbox import digest_messages, outbox_write
from notifications.services import DigestLine, digests_for_district_regulators, merge_digests

from .rules import accident_q

# An entrapment released 2 hours or more after the report is alerted when it was reported within this window: a
# history entered long after the fact (an import) counts as accidents everywhere, but is not news to send.
RELEASED_ALERT_WINDOW = timedelta(days=7)


@dataclass
class AccidentRun:
    marked: int  # entrapments this run marked as accidents (accident_at)
    alerted: int  # of those, the ones this run alerted (each fault once, whatever runs at the same time)
    recipients: int


def entrapment_accidents_run(*, now: datetime) -> AccidentRun:
    """Mark every entrapment that has become an accident by `now` and is not marked yet, and alert the regulators
    of each once (条例 §64): still open 2 hours after the report, or released 2 hours or more after it (reported
    within RELEASED_ALERT_WINDOW).

    Runs every few minutes, so nothing to do costs one query and writes nothing (an empty UPDATE would still raise
    the dashboards' data version). The mark is a conditional UPDATE (accident_at IS NULL), the write that renews the
    cached figures (see rules.accident_q). The alert is a Reminder per fault (kind ENTRAPMENT_ACCIDENT, subject
    "fault:<id>", cycle the local day of the report) under the unique key (kind, subject, cycle), written in the same
    transaction as the mark: a second run, or two workers at once, alerts no fault twice. A fixed number of queries
    whatever the number of faults.
    """
    found = list(
        Fault.objects.filter(accident_q(now=now), accident_at__isnull=True)
        # Still open (a handful of rows, read from the partial index fault_open_entrapment_idx), or reported lately.
        .filter(Q(released_at__isnull=True) | Q(reported_at__gte=now - RELEASED_ALERT_WINDOW))
        .order_by("pk")  # key order: two runs at once lock the rows in the same order
        .values_list("pk", "elevator_id", "reported_at")
    )
    if not found:
        return AccidentRun(marked=0, alerted=0, recipients=0)
    run_id = uuid.uuid4()
    # The mark, the ledger and the messages in one transaction: a run killed half-way alerts nothing and leaves the
    # faults unmarked for the next run; a run that commits has its messages in the durable outbox.
    with transaction.atomic():
        marked = Fault.objects.filter(pk__in=[pk for pk, _e, _r in found], accident_at__isnull=True).update(
            accident_at=now
        )
        Reminder.objects.bulk_create(
            [
                Reminder(
                    kind=ReminderKind.ENTRAPMENT_ACCIDENT,
                    subject_key=f"fault:{pk}",
                    cycle=timezone.localdate(reported_at),
                    elevator_id=elevator_id,
                    run_id=run_id,
                )
                for pk, elevator_id, reported_at in found
            ],
            ignore_conflicts=True,
        )
        new = Reminder.objects.filter(run_id=run_id).values_list("subject_key", flat=True)
        ids = [int(key.removeprefix("fault:")) for key in new]
        faults = list(Fault.objects.filter(pk__in=ids).select_related("elevator").order_by("reported_at", "pk"))
        if not faults:
            return AccidentRun(marked=marked, alerted=0, recipients=0)
        by_district: dict[int, list[DigestLine]] = {}
        for fault in faults:
            by_district.setdefault(fault.elevator.district_id, []).append(_line(fault))
        every_line = [line for lines in by_district.values() for line in lines]
        # The city regulators and the 96333 centre hear of every accident, each district regulator of theirs.
        city = {user: list(every_line) for user in access.city_regulators() | access.rescue_centre_users()}
        digests = merge_digests(city, digests_for_district_regulators(by_district))
        outbox_write(
            digest_messages(
                digests=digests,
                title=_("%(time)s 电梯困人事故告警") % {"time": timezone.localtime(now).strftime("%Y-%m-%d %H:%M")},
                link=reverse("faults:list") + "?kind=entrapment",
                key=f"accident:{run_id}",
                subject_key=f"fault:{faults[0].pk}",
            ),
            now=now,
        )
    return AccidentRun(marked=marked, alerted=len(faults), recipients=len(digests))


def _line(fault: Fault) -> DigestLine:
    """One accident, as the regulators read it: where, when reported, how many trapped, for how long."""
    e = fault.elevator
    values = {
        "code": e.registration_code,
        "address": e.address,
        "time": timezone.localtime(fault.reported_at).strftime("%Y-%m-%d %H:%M"),
        "people": _("%(n)d人被困") % {"n": fault.trapped_people} if fault.trapped_people else _("有人被困"),
    }
    if fault.released_at is None:
        text = _(
            "%(code)s %(address)s：%(time)s报告%(people)s，超过%(m)d分钟仍未解救，依《特种设备安全监察条例》"
            "第六十四条计为事故，请立即督促救援。"
        ) % {**values, "m": settings.ENTRAPMENT_ACCIDENT_MINUTES}
    else:
        minutes = int((fault.released_at - fault.reported_at).total_seconds() // 60)
        text = _(
            "%(code)s %(address)s：%(time)s报告%(people)s，%(m)d分钟后解救，依《特种设备安全监察条例》"
            "第六十四条计为事故。"
        ) % {**values, "m": minutes}
    return DigestLine(text, reverse("faults:detail", args=[fault.pk]))
