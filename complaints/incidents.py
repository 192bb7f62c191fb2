"""What a resident who reported a trapped passenger may see of the incident (plan §2(10), §2(11) 信息公示): whom
the platform told and when, and how far the rescue has come. Organisations are named, people only counted: no
name or phone number of anyone reaches the resident's pages (docs/rules.md "Who sees what").

The incident is the elevator's entrapment `maintenance.Fault`; the dispatch is its "dispatch" RescueStep and the
outbox messages it wrote (notifications.OutboxMessage, subject "fault:<id>", key
"fault:<id>:dispatch:<person>:<channel>", rescue.messages.write_step_messages)."""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from maintenance.faults.rules import fault_limit_minutes
from maintenance.models import Fault
from notifications.models import OutboxMessage
from rescue.choices import Step
from rescue.models import RescueStep
from rescue.selectors import open_incident_q


@dataclass(frozen=True)
class Told:
    """One group of people the dispatch reached: an organisation, their duty there, and how many people."""

    organization: str
    duty: str  # 值班人员, 安全管理员
    people: int

    def __str__(self) -> str:
        return _("%(org)s的%(duty)s（%(n)d人）") % {"org": self.organization, "duty": self.duty, "n": self.people}


@dataclass(frozen=True)
class Milestone:
    key: str  # reported, acknowledged, dispatched, arrived, released
    label: str
    at: datetime | None


@dataclass(frozen=True)
class IncidentProgress:
    """The incident as the resident sees it: no personal data, only times, counts and organisations."""

    pk: int
    reported_at: datetime
    reports: int
    limit_minutes: int
    is_open: bool
    dispatched_at: datetime | None  # when the platform sent the alarm (the dispatch step), not the firm's 已派出
    told: list[Told]
    milestones: list[Milestone]

    @property
    def acknowledged(self) -> bool:
        return self.milestones[1].at is not None

    @property
    def released(self) -> bool:
        return self.milestones[-1].at is not None

    @property
    def told_text(self) -> str:
        """ "维保单位安达维保的值班人员（2人）和使用单位金江物业的安全管理员（1人）"."""
        parts = [str(t) for t in self.told]
        if len(parts) <= 1:
            return "".join(parts)
        return _("、").join(parts[:-1]) + _("和") + parts[-1]


def _told(fault: Fault) -> list[Told]:
    """Who the dispatch reached, by organisation and duty, each person once whatever their channels. One query."""
    prefix = f"fault:{fault.pk}:{Step.DISPATCH}:"
    people: dict[str, set[str]] = {"firm": set(), "use_unit": set()}
    rows = OutboxMessage.objects.filter(subject_key=f"fault:{fault.pk}", key__startswith=prefix).values_list(
        "key", "recipient__organization_id"
    )
    for key, organization_id in rows:
        person = key[len(prefix) :].rsplit(":", 1)[0]  # "shift:3", "person:7", "user:12"
        kind = person.split(":", 1)[0]
        if kind == "shift" or (kind == "user" and organization_id and organization_id == fault.firm_id):
            people["firm"].add(person)
        elif kind == "person" or (kind == "user" and organization_id and organization_id == fault.elevator.use_unit_id):
            people["use_unit"].add(person)
    told = []
    if people["firm"] and fault.firm_id:
        told.append(Told(_("维保单位%(name)s") % {"name": fault.firm.name}, _("值班人员"), len(people["firm"])))
    if people["use_unit"] and fault.elevator.use_unit_id:
        told.append(
            Told(
                _("使用单位%(name)s") % {"name": fault.elevator.use_unit.name}, _("安全管理员"), len(people["use_unit"])
            )
        )
    return told


def incident_progress(*, fault_id: int | None, now: datetime | None = None) -> IncidentProgress | None:
    """The progress of the incident a trapped report joined, or None; four queries."""
    if fault_id is None:
        return None
    now = now or timezone.now()
    fault = (
        Fault.objects.filter(pk=fault_id)
        .select_related("elevator__district", "elevator__use_unit", "firm")
        .only(
            "pk",
            "kind",
            "reports",
            "reported_at",
            "acknowledged_at",
            "dispatched_at",
            "arrived_at",
            "released_at",
            "firm_id",
            "firm__name",
            "elevator_id",
            "elevator__district__code",
            "elevator__use_unit_id",
            "elevator__use_unit__name",
        )
        .first()
    )
    if fault is None:
        return None
    dispatch = RescueStep.objects.filter(fault_id=fault.pk, step=Step.DISPATCH).values_list("taken_at", flat=True)
    return IncidentProgress(
        pk=fault.pk,
        reported_at=fault.reported_at,
        reports=fault.reports,
        limit_minutes=fault_limit_minutes(fault),
        is_open=Fault.objects.filter(open_incident_q(now=now), pk=fault.pk).exists(),
        dispatched_at=dispatch.first(),
        told=_told(fault),
        milestones=[
            Milestone("reported", _("报告"), fault.reported_at),
            Milestone("acknowledged", _("维保单位接警"), fault.acknowledged_at),
            Milestone("dispatched", _("救援人员出发"), fault.dispatched_at),
            Milestone("arrived", _("救援人员到场"), fault.arrived_at),
            Milestone("released", _("被困人员解救"), fault.released_at),
        ],
    )


@dataclass(frozen=True)
class ResidentReport:
    description: str  # the resident's own words, phone numbers and e-mail addresses masked (the number is public)
    incident_id: int | None


def resident_report(*, tracking_no: str) -> ResidentReport:
    """What the tracking page adds to the complaint's public status: its description and its incident. One query."""
    from .models import Complaint
    from .open311 import mask_contacts

    row = Complaint.objects.filter(tracking_no=tracking_no).values_list("description", "incident_id").first()
    if row is None:
        return ResidentReport(description="", incident_id=None)
    return ResidentReport(description=mask_contacts(row[0]), incident_id=row[1])
