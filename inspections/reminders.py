"""The daily expiry reminder job (特种设备安全法 §40; plan §2(7)): docs/rules.md "Reminders".

Days are the city's calendar days (the caller passes `timezone.localdate()`). For an elevator in use:

- `INSPECTION_REMINDER_DAYS_BEFORE_DEADLINE` days before the §40 deadline (one calendar month before the validity
  ends, `inspection_application_deadline`): remind the use unit, unless an application is already filed;
- on the deadline day, still without an application: remind the use unit again;
- `REMINDER_MAINTENANCE_DAYS` days before the validity ends, still without an application: the maintenance firm;
- after the last valid day: alert the district regulator (the elevator now shows as overdue everywhere);
- no validity on record (never inspected) or failed without a passed re-inspection: alert the use unit and the
  district regulator (and the firm, for a failure);
- an organisation's licence or a person's certificate: `REMINDER_LICENCE_DAYS` days before it ends, and once it has
  ended.

A stage is due from its day until the next one takes over (the ahead reminder until the deadline, the deadline one
until the validity ends, an alert for as long as its condition lasts): a day on which the job did not run is caught
up by the next run, never skipped.

Exactly once per subject, stage and cycle: each reminder is a row under a unique key (kind, subject, cycle date),
inserted with ON CONFLICT DO NOTHING. A run only notifies about the rows that *it* inserted (by its run id), so the
job may run twice, or on two workers at once, and nobody hears twice. Every stage is one INSERT of candidates found
by one SELECT: the query count does not depend on the number of elevators.
"""

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db.models import DateField, Exists, OuterRef, Subquery
from django.db.models.functions import Coalesce, TruncDate
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

from .choices import OPEN_APPLICATION_STATUSES, InspectionKind, InspectionResult
from .models import Inspection, InspectionApplication
from .validity import inspection_application_deadline, latest_validity_with_deadline_by

# An elevator that must not be used (特种设备安全法 §40): its district regulator is alerted besides the use unit.
ALERTS = (ReminderKind.INSPECTION_EXPIRED, ReminderKind.NEVER_INSPECTED, ReminderKind.INSPECTION_FAILED)


@dataclass
class ReminderRun:
    run_id: uuid.UUID
    created: dict[str, int]
    recipients: int


def _without_application():
    """Elevators with no open application for periodic inspection (特种设备安全法 §40: 申报 one month before)."""
    return ~Exists(
        InspectionApplication.objects.filter(
            elevator=OuterRef("pk"),
            kind__in=[InspectionKind.PERIODIC, InspectionKind.RE_INSPECTION],
            status__in=OPEN_APPLICATION_STATUSES,
        )
    )


def _registered_on():
    # The day the elevator entered the registry, in the city's calendar: it never changes, so an alert keyed on it
    # is sent once per elevator (a commissioning date may be missing or corrected later).
    return TruncDate("created_at")


def _last_failed_on():
    """The date of the elevator's latest failed inspection: a new failure starts a new alert cycle."""
    return Subquery(
        Inspection.objects.filter(
            elevator=OuterRef("pk"), result__in=[InspectionResult.FAILED, InspectionResult.RE_FAILED]
        )
        .order_by("-inspected_on", "-pk")
        .values("inspected_on")[:1],
        output_field=DateField(),
    )


def reminders_run(*, today: date) -> ReminderRun:
    """Insert every reminder due today that was not sent before, then send one digest per recipient."""
    run_id = uuid.uuid4()
    in_use = Elevator.objects.filter(status=ElevatorStatus.IN_USE)
    valid = in_use.filter(
        inspection_status_q(InspectionStatus.VALID, today=today)
        | inspection_status_q(InspectionStatus.EXPIRING, today=today)
    )

    def insert(kind, queryset, *, subject="elevator", cycle_field="inspection_valid_until"):
        reminders_insert_from(kind, queryset, subject=subject, cycle_field=cycle_field, run_id=run_id)

    # 特种设备安全法 §40. "deadline ≤ day" is "valid_until ≤ latest_validity_with_deadline_by(day)".
    deadline_by_today = latest_validity_with_deadline_by(today)
    ahead = today + timedelta(days=settings.INSPECTION_REMINDER_DAYS_BEFORE_DEADLINE)
    ahead_by = latest_validity_with_deadline_by(ahead)
    unfiled = valid.filter(_without_application())
    insert(
        ReminderKind.INSPECTION_DEADLINE_AHEAD,
        unfiled.filter(inspection_valid_until__gt=deadline_by_today, inspection_valid_until__lte=ahead_by),
    )
    insert(ReminderKind.INSPECTION_DEADLINE, unfiled.filter(inspection_valid_until__lte=deadline_by_today))
    insert(
        ReminderKind.INSPECTION_15,
        unfiled.filter(inspection_valid_until__lte=today + timedelta(days=settings.REMINDER_MAINTENANCE_DAYS)),
    )
    insert(ReminderKind.INSPECTION_EXPIRED, in_use.filter(inspection_status_q(InspectionStatus.EXPIRED, today=today)))
    insert(
        ReminderKind.NEVER_INSPECTED,
        in_use.filter(inspection_status_q(InspectionStatus.UNKNOWN, today=today)).annotate(
            reminder_cycle=_registered_on()
        ),
        cycle_field="reminder_cycle",
    )
    insert(
        ReminderKind.INSPECTION_FAILED,
        in_use.filter(inspection_status_q(InspectionStatus.FAILED, today=today)).annotate(
            reminder_cycle=Coalesce(_last_failed_on(), _registered_on())
        ),
        cycle_field="reminder_cycle",
    )

    horizon = today + timedelta(days=settings.REMINDER_LICENCE_DAYS)
    organizations = Organization.objects.filter(is_active=True)
    insert(
        ReminderKind.LICENCE_30,
        organizations.filter(licence_valid_until__gte=today, licence_valid_until__lte=horizon),
        subject="organization",
        cycle_field="licence_valid_until",
    )
    # "有效期至" is the last valid day: a licence or certificate has expired from the day after it.
    insert(
        ReminderKind.LICENCE_EXPIRED,
        organizations.filter(licence_valid_until__lt=today),
        subject="organization",
        cycle_field="licence_valid_until",
    )
    insert(
        ReminderKind.CERTIFICATE_30,
        Person.objects.filter(certificate_valid_until__gte=today, certificate_valid_until__lte=horizon),
        subject="person",
        cycle_field="certificate_valid_until",
    )
    insert(
        ReminderKind.CERTIFICATE_EXPIRED,
        Person.objects.filter(certificate_valid_until__lt=today),
        subject="person",
        cycle_field="certificate_valid_until",
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


def _elevator_line(r: Reminder) -> DigestLine:
    e = r.elevator
    values = {"where": f"{e.registration_code} {e.address}", "day": r.cycle}
    if r.kind == ReminderKind.INSPECTION_DEADLINE_AHEAD:
        values["deadline"] = inspection_application_deadline(r.cycle)
        text = _("%(where)s：检验有效期至%(day)s，请于%(deadline)s前向检验机构申请定期检验（特种设备安全法第四十条）。")
    elif r.kind == ReminderKind.INSPECTION_DEADLINE:
        values["deadline"] = inspection_application_deadline(r.cycle)
        text = _(
            "%(where)s：检验有效期至%(day)s，申请定期检验的期限为%(deadline)s（特种设备安全法第四十条），"
            "尚未申请，请立即向检验机构申请。"
        )
    elif r.kind == ReminderKind.INSPECTION_EXPIRED:
        text = _("%(where)s：检验有效期已于%(day)s届满，依法不得继续使用。")
    elif r.kind == ReminderKind.NEVER_INSPECTED:
        text = _("%(where)s：在用电梯没有检验记录（无检验有效期），未经检验合格不得使用，请立即申请检验。")
    elif r.kind == ReminderKind.INSPECTION_FAILED:
        text = _("%(where)s：检验不合格且尚无复检合格记录，依法不得继续使用，请整改后申请复检。")
    else:  # INSPECTION_15, to the maintenance firm
        text = _("%(where)s：检验有效期至%(day)s，使用单位尚未申请定期检验，请提醒其尽快申请并做好检验配合准备。")
    link = reverse("registry:elevator_detail", args=[e.pk]) if r.kind in ALERTS else reverse("inspections:my_elevators")
    return DigestLine(text % values, link)


def _digests(reminders: list[Reminder]) -> dict[User, list[DigestLine]]:
    """Who hears about what: users of the organisations concerned, and the district regulators for alerts."""
    by_org: dict[int, list[DigestLine]] = defaultdict(list)
    by_district: dict[int, list[DigestLine]] = defaultdict(list)
    for r in reminders:
        if r.elevator_id:
            e = r.elevator
            line = _elevator_line(r)
            if e.use_unit_id and r.kind != ReminderKind.INSPECTION_15:
                by_org[e.use_unit_id].append(line)
            if r.kind in (ReminderKind.INSPECTION_15, ReminderKind.INSPECTION_FAILED) and e.maintenance_firm_id:
                by_org[e.maintenance_firm_id].append(line)
            if r.kind in ALERTS:
                by_district[e.district_id].append(line)
        elif r.organization_id:
            o = r.organization
            values = {"name": o.name, "no": o.licence_no or "—", "day": r.cycle}
            if r.kind == ReminderKind.LICENCE_EXPIRED:
                line = DigestLine(_("%(name)s的许可证（%(no)s）有效期至%(day)s，已过期，请立即办理延续。") % values)
                # 特种设备安全法 §45: only a licensed firm may maintain elevators, so the regulator hears too.
                if o.district_id:
                    by_district[o.district_id].append(line)
            else:
                line = DigestLine(_("本单位许可证（%(no)s）将于%(day)s到期，请及时办理延续。") % values)
            by_org[o.pk].append(line)
        elif r.person_id:
            p = r.person
            values = {"name": p.name, "no": p.certificate_no, "day": r.cycle}
            if r.kind == ReminderKind.CERTIFICATE_EXPIRED:
                text = _("%(name)s的证书（%(no)s）有效期至%(day)s，已过期，不得从事相应作业，请及时复审。")
            else:
                text = _("%(name)s的证书（%(no)s）将于%(day)s到期，请及时复审。")
            by_org[p.organization_id].append(DigestLine(text % values))
    return merge_digests(digests_for_organizations(by_org), digests_for_district_regulators(by_district))
