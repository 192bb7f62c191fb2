"""One elevator's compliance at a glance, and the regulators' overview by district (docs/rules.md "Preparedness").

Seven items per elevator in use: periodic inspection (特种设备安全法 §40), maintenance every 15 days (条例 §31), a use
registration certificate (§33), a safety manager answering for it (plan §2(7)), an emergency plan covering it and a
drill within DRILL_INTERVAL_MONTHS (plan §2(7); TSG T5002-2017), liability insurance in force (plan §2(12)). Each
item's state comes from the one rule behind it (registry.states, preparedness.rules); the list filter `missing=<item>`
and the overview's figures use the same rules as SQL, so a figure and the list behind it agree.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.db.models import Count, DateField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils.timezone import localdate
from django.utils.translation import gettext_lazy as _

from accounts import access
from registry.choices import ElevatorStatus, InspectionStatus
from registry.models import District, Elevator, Organization, Person
from registry.states import inspection_status_for, inspection_status_q, maintenance_counted_from, maintenance_overdue_q

from .. import rules
from ..choices import ComplianceState
from ..models import InsurancePolicy

# The items in the order the page shows them, with their labels.
ITEMS = {
    "inspection": _("定期检验"),
    "maintenance": _("维保"),
    "certificate": _("使用登记证"),
    "manager": _("安全管理员"),
    "plan": _("应急预案"),
    "drill": _("应急演练"),
    "insurance": _("责任保险"),
}
RED = (ComplianceState.MISSING, ComplianceState.OVERDUE)
OVERALL = {"red": _("有缺项或已超期"), "amber": _("有事项即将到期"), "green": _("全部符合")}


@dataclass(frozen=True)
class Item:
    """One item of one elevator: its state, what the page says, the day it is due next (if any)."""

    key: str
    state: str
    text: str
    due_on: date | None = None

    @property
    def label(self):
        return ITEMS[self.key]

    @property
    def is_red(self) -> bool:
        return self.state in RED

    @property
    def state_label(self):
        return ComplianceState(self.state).label


@dataclass
class Row:
    elevator: Elevator
    items: list[Item] = field(default_factory=list)
    # Where to put each red or amber item right (item key → URL), filled in by the page.
    actions: dict = field(default_factory=dict)

    @property
    def items_with_actions(self) -> list[tuple[Item, str]]:
        return [(item, self.actions.get(item.key, "")) for item in self.items]

    @property
    def state(self) -> str:
        """The worst of the items: "red" (something missing or overdue), "amber" (due soon) or "green"."""
        if any(item.is_red for item in self.items):
            return "red"
        if any(item.state == ComplianceState.DUE_SOON for item in self.items):
            return "amber"
        return "green"

    @property
    def state_label(self):
        return OVERALL[self.state]

    @property
    def next_due(self) -> Item | None:
        """The item that falls due first among those still in time."""
        dated = [item for item in self.items if item.due_on and not item.is_red]
        return min(dated, key=lambda item: item.due_on) if dated else None


def _insured_until(today: date) -> Subquery:
    """The last day of cover of the policies in force on `today` covering the elevator row (None: not insured)."""
    return Subquery(
        InsurancePolicy.objects.filter(rules.policy_in_force_q(today), elevators=OuterRef("pk"))
        .order_by("-ends_on")
        .values("ends_on")[:1],
        output_field=DateField(),
    )


def _annotated(qs: QuerySet, today: date) -> QuerySet:
    return qs.annotate(
        drill_counted_from=rules.drill_counted_from_expression(),
        insured_until=_insured_until(today),
        has_plan=rules.elevator_has_plan_exists(),
        has_manager=rules.elevator_has_safety_manager_exists(today),
    )


def red_q(item: str, *, today: date) -> Q:
    """The elevators (annotated by _annotated) whose `item` is red on `today`: SQL twin of the items below."""
    return {
        "inspection": inspection_status_q(InspectionStatus.EXPIRED, today=today)
        | inspection_status_q(InspectionStatus.FAILED, today=today)
        | inspection_status_q(InspectionStatus.UNKNOWN, today=today),
        "maintenance": maintenance_overdue_q(today=today),
        "certificate": Q(use_certificate_no=""),
        "manager": Q(has_manager=False),
        "plan": Q(has_plan=False),
        "drill": rules.drill_state_q(ComplianceState.OVERDUE, today=today),
        "insurance": Q(insured_until__isnull=True),
    }[item]


def compliance_queryset(*, user, today: date, district=None, use_unit=None, missing: str = "") -> QuerySet:
    """The elevators in use of the user's scope with what the items need, optionally those of one district or use
    unit, or only those with `missing` red; ordered by registration code."""
    qs = access.compliance_elevators_for(user).filter(status=ElevatorStatus.IN_USE)
    if district is not None:
        qs = qs.filter(district=district)
    if use_unit is not None:
        qs = qs.filter(use_unit=use_unit)
    qs = _annotated(qs, today)
    if missing in ITEMS:
        qs = qs.filter(red_q(missing, today=today))
    managers = Person.objects.filter(rules.valid_safety_manager_q(today)).only("name", "organization_id")
    return (
        qs.select_related("use_unit", "district")
        .prefetch_related(Prefetch("safety_assignments__person", queryset=managers))
        .order_by("registration_code")
    )


def _inspection_item(e: Elevator, today: date) -> Item:
    status = inspection_status_for(valid_until=e.inspection_valid_until, failed=e.inspection_failed, today=today)
    state = {
        InspectionStatus.VALID: ComplianceState.OK,
        InspectionStatus.EXPIRING: ComplianceState.DUE_SOON,
        InspectionStatus.EXPIRED: ComplianceState.OVERDUE,
        InspectionStatus.FAILED: ComplianceState.OVERDUE,
        InspectionStatus.UNKNOWN: ComplianceState.MISSING,
    }[status]
    text = InspectionStatus(status).label
    if e.inspection_valid_until:
        text = _("%(status)s，有效期至%(day)s") % {"status": text, "day": e.inspection_valid_until}
    return Item("inspection", state, text, e.inspection_valid_until)


def _maintenance_item(e: Elevator, today: date) -> Item:
    counted_from = maintenance_counted_from(
        last_maintenance_on=e.last_maintenance_on,
        commission_date=e.commission_date,
        registered_on=localdate(e.created_at),
        contract_starts_on=e.contract_starts_on,
    )
    due = counted_from + timedelta(days=settings.MAINTENANCE_INTERVAL_DAYS)
    if due < today:
        return Item("maintenance", ComplianceState.OVERDUE, _("已超期，应于%(day)s前维保") % {"day": due})
    if e.last_maintenance_on:
        text = _("最近维保%(day)s，应于%(due)s前再次维保") % {"day": e.last_maintenance_on, "due": due}
    else:
        text = _("尚无维保记录，应于%(due)s前维保") % {"due": due}
    return Item("maintenance", ComplianceState.OK, text, due)


def _drill_item(e: Elevator, today: date) -> Item:
    due = rules.drill_due_on(e.drill_counted_from)
    state = rules.drill_state(counted_from=e.drill_counted_from, today=today)
    if state == ComplianceState.OVERDUE:
        text = _("已超期，应于%(day)s前演练") % {"day": due}
    elif e.last_drill_on:
        text = _("最近演练%(day)s，下次应于%(due)s前") % {"day": e.last_drill_on, "due": due}
    else:
        text = _("尚无演练记录，应于%(due)s前") % {"due": due}
    return Item("drill", state, text, due)


def _insurance_item(e: Elevator, today: date) -> Item:
    state = rules.insurance_state(ends_on=e.insured_until, today=today)
    if state == ComplianceState.MISSING:
        return Item("insurance", state, _("未投保"))
    return Item("insurance", state, _("已投保，保险止期%(day)s") % {"day": e.insured_until}, e.insured_until)


def _manager_item(e: Elevator) -> Item:
    names = sorted(
        {
            a.person.name
            for a in e.safety_assignments.all()
            if a.person is not None and a.person.organization_id == e.use_unit_id
        }
    )
    if e.has_manager and names:
        return Item("manager", ComplianceState.OK, "、".join(names))
    return Item("manager", ComplianceState.MISSING, _("无持有效证书的安全管理员负责"))


def compliance_row(e: Elevator, *, today: date) -> Row:
    """The seven items of one elevator from compliance_queryset."""
    return Row(
        elevator=e,
        items=[
            _inspection_item(e, today),
            _maintenance_item(e, today),
            Item("certificate", ComplianceState.OK, e.use_certificate_no)
            if e.use_certificate_no
            else Item("certificate", ComplianceState.MISSING, _("未登记")),
            _manager_item(e),
            Item("plan", ComplianceState.OK, _("已覆盖"))
            if e.has_plan
            else Item("plan", ComplianceState.MISSING, _("无应急预案覆盖")),
            _drill_item(e, today),
            _insurance_item(e, today),
        ],
    )


def compliance_summary(qs: QuerySet, *, today: date) -> dict:
    """How many elevators of `qs` (from compliance_queryset, unfiltered by `missing`) are red on each item, and in
    all: one query."""
    counts = qs.order_by().aggregate(
        total=Count("pk"), **{f"red_{item}": Count("pk", filter=red_q(item, today=today)) for item in ITEMS}
    )
    return {"total": counts["total"], "red": {item: counts[f"red_{item}"] for item in ITEMS}}


@dataclass
class DistrictLine:
    district: District
    total: int
    red: dict
    use_units_without_manager: int

    @property
    def insured(self) -> int:
        return self.total - self.red["insurance"]

    @property
    def coverage_percent(self) -> float | None:
        """Plan §2(12): the share of elevators in use covered by liability insurance today."""
        return round(100 * self.insured / self.total, 1) if self.total else None


def preparedness_overview(*, user, today: date | None = None) -> tuple[list[DistrictLine], DistrictLine | None]:
    """The regulators' overview: per district of the user's scope, the elevators in use and how many are red on
    each item, the use units with no valid safety manager, and the city total. Two grouped queries."""
    today = today or localdate()
    districts = list(access.districts_for(user))
    elevators = _annotated(
        access.elevators_for(user).filter(status=ElevatorStatus.IN_USE, district__in=districts), today
    )
    by_district = {
        row["district"]: row
        for row in elevators.order_by()
        .values("district")
        .annotate(total=Count("pk"), **{f"red_{item}": Count("pk", filter=red_q(item, today=today)) for item in ITEMS})
    }
    units = Organization.objects.filter(rules.use_units_without_safety_manager_q(today), district__in=districts)
    without_manager = dict(units.order_by().values("district").annotate(n=Count("pk")).values_list("district", "n"))
    lines = []
    for d in districts:
        row = by_district.get(d.pk, {})
        lines.append(
            DistrictLine(
                district=d,
                total=row.get("total", 0),
                red={item: row.get(f"red_{item}", 0) for item in ITEMS},
                use_units_without_manager=without_manager.get(d.pk, 0),
            )
        )
    if len(lines) < 2:
        return lines, None
    total = DistrictLine(
        district=None,
        total=sum(line.total for line in lines),
        red={item: sum(line.red[item] for line in lines) for item in ITEMS},
        use_units_without_manager=sum(line.use_units_without_manager for line in lines),
    )
    return lines, total
