"""The daily expiry reminder job (plan §2(7); design card: reminders one month before inspection expiry).

- 30 days before `inspection_valid_until`: remind the use unit, unless an application is already filed;
- 15 days before, still without an application: remind the maintenance firm too;
- after the last valid day: alert the district regulator (the elevator now shows as overdue everywhere);
- 30 days before an organisation's licence or a person's certificate ends: remind that organisation.

Exactly once per subject, stage and cycle: each reminder is a row under a unique key (kind, subject, validity
date), inserted with ON CONFLICT DO NOTHING. A run only notifies about the rows that *it* inserted (by its run
id), so the job may run twice, or on two workers at once, and nobody hears twice. Every stage is one
INSERT of candidates found by one SELECT: the query count does not depend on the number of elevators.
"""

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import User
from notifications.choices import ReminderKind
from notifications.models import Reminder
from notifications.services import (
    DigestLine,
    digests_for_district_regulators,
    digests_for_organizations,
    merge_digests,
    notifications_send_digests,
    reminders_insert_from,
)
from registry.choices import ElevatorStatus, InspectionStatus
from registry.models import Elevator, Organization, Person
from registry.states import inspection_status_q

from .choices import OPEN_APPLICATION_STATUSES, InspectionKind
from .models import InspectionApplication


@dataclass
class ReminderRun:
    run_id: uuid.UUID
    created: dict[str, int]
    recipients: int


def _without_application():
    """Elevators with no open application for periodic inspection (plan §2(7): 申报 one month before)."""
    return ~Exists(
        InspectionApplication.objects.filter(
            elevator=OuterRef("pk"),
            kind__in=[InspectionKind.PERIODIC, InspectionKind.RE_INSPECTION],
            status__in=OPEN_APPLICATION_STATUSES,
        )
    )


def reminders_run(*, today: date) -> ReminderRun:
    """Insert every reminder due today that was not sent before, then send one digest per recipient."""
    run_id = uuid.uuid4()
    in_use = Elevator.objects.filter(status=ElevatorStatus.IN_USE, inspection_failed=False)

    for kind, days in [
        (ReminderKind.INSPECTION_30, settings.REMINDER_USE_UNIT_DAYS),
        (ReminderKind.INSPECTION_15, settings.REMINDER_MAINTENANCE_DAYS),
    ]:
        due = in_use.filter(inspection_valid_until__gte=today, inspection_valid_until__lte=today + timedelta(days=days))
        reminders_insert_from(
            kind,
            due.filter(_without_application()),
            subject="elevator",
            cycle_field="inspection_valid_until",
            run_id=run_id,
        )
    reminders_insert_from(
        ReminderKind.INSPECTION_EXPIRED,
        in_use.filter(inspection_status_q(InspectionStatus.EXPIRED, today=today)),
        subject="elevator",
        cycle_field="inspection_valid_until",
        run_id=run_id,
    )
    horizon = today + timedelta(days=settings.REMINDER_LICENCE_DAYS)
    reminders_insert_from(
        ReminderKind.LICENCE_30,
        Organization.objects.filter(is_active=True, licence_valid_until__gte=today, licence_valid_until__lte=horizon),
        subject="organization",
        cycle_field="licence_valid_until",
        run_id=run_id,
    )
    reminders_insert_from(
        ReminderKind.CERTIFICATE_30,
        Person.objects.filter(certificate_valid_until__gte=today, certificate_valid_until__lte=horizon),
        subject="person",
        cycle_field="certificate_valid_until",
        run_id=run_id,
    )

    new = list(
        Reminder.objects.filter(run_id=run_id).select_related(
            "elevator__district", "organization", "person__organization"
        )
    )
    digests = _digests(new)
    notifications_send_digests(
        digests=digests,
        title=_("%(day)s 到期提醒") % {"day": today.isoformat()},
        link=reverse("inspections:my_elevators"),
    )
    created = defaultdict(int)
    for reminder in new:
        created[reminder.kind] += 1
    return ReminderRun(run_id=run_id, created=dict(created), recipients=len(digests))


def _digests(reminders: list[Reminder]) -> dict[User, list[DigestLine]]:
    """Who hears about what: users of the organisations concerned, and district regulators for overdue lifts."""
    by_org: dict[int, list[DigestLine]] = defaultdict(list)
    by_district: dict[int, list[DigestLine]] = defaultdict(list)
    for r in reminders:
        if r.elevator_id:
            e = r.elevator
            where = f"{e.registration_code} {e.address}"
            if r.kind == ReminderKind.INSPECTION_EXPIRED:
                line = DigestLine(
                    _("%(where)s：检验有效期已于%(day)s届满，依法不得继续使用。") % {"where": where, "day": r.cycle},
                    reverse("registry:elevator_detail", args=[e.pk]),
                )
                by_district[e.district_id].append(line)
                if e.use_unit_id:
                    by_org[e.use_unit_id].append(line)
            else:
                line = DigestLine(
                    _("%(where)s：检验有效期至%(day)s，请在届满前一个月内向检验机构申报定期检验。")
                    % {"where": where, "day": r.cycle},
                    reverse("inspections:my_elevators"),
                )
                if e.use_unit_id:
                    by_org[e.use_unit_id].append(line)
                if r.kind == ReminderKind.INSPECTION_15 and e.maintenance_firm_id:
                    by_org[e.maintenance_firm_id].append(line)
        elif r.organization_id:
            by_org[r.organization_id].append(
                DigestLine(
                    _("本单位许可证（%(no)s）将于%(day)s到期，请及时办理延续。")
                    % {"no": r.organization.licence_no or "—", "day": r.cycle}
                )
            )
        elif r.person_id:
            by_org[r.person.organization_id].append(
                DigestLine(
                    _("%(name)s的证书（%(no)s）将于%(day)s到期，请及时复审。")
                    % {"name": r.person.name, "no": r.person.certificate_no, "day": r.cycle}
                )
            )
    return merge_digests(digests_for_organizations(by_org), digests_for_district_regulators(by_district))
