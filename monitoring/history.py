"""One elevator's whole story in time order (docs/rules.md "Journey 3: a regulator reads dashboards": "drilling down to
the single elevator and its whole history").

Each source is read with one query, whatever the number of its events; the events are built in Python and sorted
newest first. Personal data stays out: complaints show category and status only (never the resident's name, phone
or e-mail), faults show their kind and timings (not the free-text description), maintenance records their tier and
status (not the workers).
"""

from dataclasses import dataclass
from datetime import date, datetime, time

from django.db import models
from django.db.models import ForeignKey
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from complaints.models import Complaint
from inspections.models import Defect, Inspection
from maintenance.choices import FaultKind
from maintenance.faults.rules import arrival_limit_minutes, arrival_minutes, is_accident
from maintenance.models import ContractElevator, Fault, MaintenanceRecord
from registry.models import Elevator, RiskFlag


class EventKind(models.TextChoices):
    """The kinds of event on the timeline; the page offers one filter chip per kind."""

    REGISTRY = "registry", gettext_lazy("登记变更")
    CONTRACT = "contract", gettext_lazy("维保合同")
    MAINTENANCE = "maintenance", gettext_lazy("维保记录")
    FAULT = "fault", gettext_lazy("故障与困人")
    COMPLAINT = "complaint", gettext_lazy("投诉")
    INSPECTION = "inspection", gettext_lazy("检验")
    DEFECT = "defect", gettext_lazy("检验问题整改")
    RISK = "risk", gettext_lazy("重点监控")


@dataclass(frozen=True)
class Event:
    """One dated thing that happened to an elevator, as the timeline shows it."""

    when: datetime
    kind: str
    title: str
    detail: str = ""
    link: str = ""

    @property
    def kind_label(self) -> str:
        return str(EventKind(self.kind).label)


def _at(value: date | datetime) -> datetime:
    """An aware datetime for sorting: a date is taken as the start of that local day."""
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value)
    return timezone.make_aware(datetime.combine(value, time.min))


def _display(field, value, names: dict) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(field, ForeignKey):
        return names.get((field.related_model, value), f"#{value}")
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return str(value)


def _registry_events(elevator: Elevator) -> list[Event]:
    """Registry changes from django-simple-history: one query for the records, plus one per related model
    (district, organisation) only when a change touched such a field, to show names instead of ids."""
    records = list(elevator.history.select_related("history_user").order_by("history_date", "history_id"))
    deltas = []
    for older, newer in zip([None] + records[:-1], records, strict=True):
        changes = newer.diff_against(older).changes if older is not None else []
        deltas.append((newer, changes))

    wanted: dict = {}
    for _record, changes in deltas:
        for change in changes:
            field = Elevator._meta.get_field(change.field)
            if isinstance(field, ForeignKey):
                wanted.setdefault(field.related_model, set()).update(v for v in (change.old, change.new) if v)
    names = {(model, pk): str(obj) for model, ids in wanted.items() for pk, obj in model.objects.in_bulk(ids).items()}

    events = []
    for record, changes in deltas:
        who = record.history_user.get_username() if record.history_user else ""
        if record.history_type == "+":
            title, detail = _("登记"), _("电梯登记入库")
        elif record.history_type == "-":
            title, detail = _("注销登记"), ""
        elif not changes:
            continue
        else:
            title = _("登记信息变更")
            parts = []
            for change in changes:
                field = Elevator._meta.get_field(change.field)
                parts.append(
                    f"{field.verbose_name}：{_display(field, change.old, names)} → {_display(field, change.new, names)}"
                )
            detail = "；".join(parts)
        if who:
            detail = f"{detail}（{who}）" if detail else who
        events.append(Event(when=record.history_date, kind=EventKind.REGISTRY, title=title, detail=detail))
    return events


def _contract_events(elevator: Elevator) -> list[Event]:

    events = []
    today = timezone.localdate()
    link = reverse("maintenance:contracts")
    for row in ContractElevator.objects.filter(elevator=elevator).select_related("contract__firm"):
        contract = row.contract
        period = f"{contract.starts_on:%Y-%m-%d} — {contract.ends_on:%Y-%m-%d}"
        events.append(
            Event(
                when=_at(contract.starts_on),
                kind=EventKind.CONTRACT,
                title=_("维保合同生效：%(number)s") % {"number": contract.number},
                detail=f"{contract.firm.name} · {period} · {contract.get_status_display()}"
                + (f" · {_('本梯当前维保单位')}" if row.active else ""),
                link=link,
            )
        )
        if contract.ends_on < today:
            events.append(
                Event(
                    when=_at(contract.ends_on),
                    kind=EventKind.CONTRACT,
                    title=_("维保合同到期：%(number)s") % {"number": contract.number},
                    detail=f"{contract.firm.name} · {contract.get_status_display()}",
                    link=link,
                )
            )
    return events


def _maintenance_events(elevator: Elevator) -> list[Event]:

    events = []
    for record in MaintenanceRecord.objects.filter(elevator=elevator).select_related("firm"):
        parts = [
            record.firm.name,
            record.get_status_display(),
            _("用时%(minutes)d分钟") % {"minutes": record.duration_minutes},
        ]
        if record.corrects_id:
            parts.append(_("更正记录 #%(pk)d") % {"pk": record.corrects_id})
        events.append(
            Event(
                when=record.started_at,
                kind=EventKind.MAINTENANCE,
                title=record.get_tier_display(),
                detail=" · ".join(parts),
                link=reverse("maintenance:record_detail", args=[record.pk]),
            )
        )
    return events


def _fault_events(elevator: Elevator) -> list[Event]:

    limit = arrival_limit_minutes(elevator.district.code)
    events = []
    for fault in Fault.objects.filter(elevator=elevator).only(
        "id",
        "elevator_id",
        "kind",
        "cause",
        "source",
        "trapped_people",
        "reported_at",
        "dispatched_at",
        "arrived_at",
        "released_at",
        "accident_at",
    ):
        parts = [fault.get_source_display(), fault.get_cause_display()]
        if fault.kind == FaultKind.ENTRAPMENT and fault.trapped_people:
            parts.append(_("被困%(n)d人") % {"n": fault.trapped_people})
        minutes = arrival_minutes(fault)
        if minutes is not None:
            parts.append(_("%(m)d分钟到达") % {"m": round(minutes)})
            if fault.kind == FaultKind.ENTRAPMENT and minutes > limit:
                parts.append(_("超过%(limit)d分钟时限") % {"limit": limit})
        if fault.released_at:
            released = (fault.released_at - fault.reported_at).total_seconds() / 60
            parts.append(_("%(m)d分钟解救/恢复") % {"m": round(released)})
        if is_accident(fault):
            parts.append(_("事故（被困2小时以上）"))
        events.append(
            Event(
                when=fault.reported_at,
                kind=EventKind.FAULT,
                title=fault.get_kind_display(),
                detail=" · ".join(parts),
                link=reverse("faults:detail", args=[fault.pk]),
            )
        )
    return events


def _complaint_events(elevator: Elevator) -> list[Event]:

    events = []
    # Only these columns are read: the resident's name, phone and e-mail never leave the database here.
    for complaint in Complaint.objects.filter(elevator=elevator).only(
        "id", "tracking_no", "category", "status", "created_at", "resolved_at"
    ):
        events.append(
            Event(
                when=complaint.created_at,
                kind=EventKind.COMPLAINT,
                title=_("投诉：%(category)s") % {"category": complaint.get_category_display()},
                detail=f"{complaint.tracking_no} · {complaint.get_status_display()}",
                link=reverse("complaints:staff_detail", args=[complaint.pk]),
            )
        )
    return events


def _inspection_events(elevator: Elevator) -> list[Event]:

    events = []
    for inspection in Inspection.objects.filter(elevator=elevator).select_related("agency"):
        parts = [inspection.agency.name, _("报告编号 %(no)s") % {"no": inspection.report_no}]
        if inspection.valid_until:
            parts.append(_("下次检验日期 %(d)s") % {"d": f"{inspection.valid_until:%Y-%m-%d}"})
        events.append(
            Event(
                when=_at(inspection.inspected_on),
                kind=EventKind.INSPECTION,
                title=f"{inspection.get_kind_display()}：{inspection.get_result_display()}",
                detail=" · ".join(parts),
                link=reverse("inspections:inspection_detail", args=[inspection.pk]),
            )
        )
    return events


def _defect_events(elevator: Elevator) -> list[Event]:

    events = []
    for defect in Defect.objects.filter(inspection__elevator=elevator).select_related("inspection", "closed_by"):
        link = reverse("inspections:inspection_detail", args=[defect.inspection_id])
        events.append(
            Event(
                when=_at(defect.inspection.inspected_on),
                kind=EventKind.DEFECT,
                title=_("检验发现问题"),
                detail=_("%(text)s · 整改期限 %(d)s · %(status)s")
                % {
                    "text": defect.description,
                    "d": f"{defect.deadline:%Y-%m-%d}",
                    "status": defect.get_status_display(),
                },
                link=link,
            )
        )
        if defect.rectified_at:
            events.append(
                Event(
                    when=defect.rectified_at,
                    kind=EventKind.DEFECT,
                    title=_("问题已整改"),
                    detail=defect.description,
                    link=link,
                )
            )
        if defect.closed_by_id:
            events.append(
                Event(
                    when=_at(defect.closed_by.inspected_on),
                    kind=EventKind.DEFECT,
                    title=_("问题经复检关闭"),
                    detail=f"{defect.description} · {defect.closed_by.report_no}",
                    link=reverse("inspections:inspection_detail", args=[defect.closed_by_id]),
                )
            )
    return events


def _risk_events(elevator: Elevator) -> list[Event]:
    events = []
    for flag in RiskFlag.objects.filter(elevator=elevator):
        reason = flag.get_reason_display() if hasattr(flag, "get_reason_display") else str(flag.reason)
        if flag.first_seen:
            events.append(Event(when=_at(flag.first_seen), kind=EventKind.RISK, title=_("列入重点监控"), detail=reason))
        if getattr(flag, "cleared_on", None):
            events.append(Event(when=_at(flag.cleared_on), kind=EventKind.RISK, title=_("解除重点监控"), detail=reason))
    return events


SOURCES = (
    _registry_events,
    _contract_events,
    _maintenance_events,
    _fault_events,
    _complaint_events,
    _inspection_events,
    _defect_events,
    _risk_events,
)


def elevator_history(*, elevator: Elevator) -> list[Event]:
    """Every registry change, contract, maintenance record, fault, complaint, inspection, defect and risk flag of
    one elevator, newest first; one query per source (the elevator's district should be loaded)."""
    events = [event for source in SOURCES for event in source(elevator)]
    events.sort(key=lambda e: e.when, reverse=True)
    return events
