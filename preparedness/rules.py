"""The preparedness rules, each written once: a pure function for one elevator and its twin for a query over many
(docs/rules.md "Preparedness"). Pages, the API, the compliance page, the dashboards and the jobs all ask these, so a
figure and the list behind it agree.

- Drills (TSG T5002-2017; plan §2(7)): an emergency drill per elevator at least every DRILL_INTERVAL_MONTHS calendar
  months, counted from the last drill held on it or, for one never drilled, from the later of its commissioning and
  its registration in the portal. The due day is in time; the day after is overdue. A month that has no such day
  ends the interval on its last day (31 August + 6 months = 28 or 29 February).
- Insurance (plan §2(12)): an elevator is insured on a day when a policy covering it is in force on it, both the
  first and the last day of the policy included.
- Safety manager (plan §2(7); 特种设备安全法 §33): a registry Person of kind 安全管理员 of the use unit whose
  certificate is valid on the day (through its last day), the same designation that confirms maintenance records
  (accounts.access.is_safety_manager).
- Use registration certificate (特种设备安全法 §33; TSG 08-2017): an elevator in use without a 使用登记证编号 on record
  is flagged.
"""

import calendar
from datetime import date, timedelta

from django.conf import settings
from django.db.models import DateField, Exists, F, OuterRef, Q
from django.db.models.functions import Coalesce, Greatest, TruncDate

from registry.choices import ElevatorStatus, OrganizationKind, PersonKind

from .choices import ComplianceState
from .models import EmergencyPlan, InsurancePolicy, SafetyAssignment

# ---------------------------------------------------------------- calendar months


def add_months(day: date, months: int) -> date:
    """`day` moved by whole calendar months: the same day of the month, or the month's last day when it has no such
    day (民法典 §202: 按照年、月计算期间的，到期月的对应日为期间的最后一日；没有对应日的，月末日为期间的最后一日).
    31 Aug + 6 → 28/29 Feb; 30 Jun + 6 → 30 Dec."""
    month_index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(month_index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# ---------------------------------------------------------------- drills


def drill_counted_from(*, last_drill_on: date | None, commission_date: date | None, registered_on: date) -> date:
    """The day an elevator's drill interval runs from; twin of drill_counted_from_expression."""
    if last_drill_on is not None:
        return last_drill_on
    return max(registered_on, commission_date or registered_on)


def drill_counted_from_expression() -> Coalesce:
    """The same day in SQL for each elevator row (GREATEST skips no NULLs on SQLite, so a missing commissioning day
    stands in as the registration day)."""
    registered = TruncDate("created_at")
    return Coalesce(
        F("last_drill_on"),
        Greatest(registered, Coalesce("commission_date", registered), output_field=DateField()),
        output_field=DateField(),
    )


def drill_due_on(counted_from: date) -> date:
    """The last day on which the next drill is in time."""
    return add_months(counted_from, settings.DRILL_INTERVAL_MONTHS)


def _last_counted_from_due_before(day: date) -> date:
    """The latest counted-from day whose drill falls due before `day`: drill_due_on is monotone, so the elevators
    due before `day` are exactly those counted from this day or earlier (a cutoff a query can use)."""
    candidate = add_months(day, -settings.DRILL_INTERVAL_MONTHS) + timedelta(days=3)
    while drill_due_on(candidate) >= day:
        candidate -= timedelta(days=1)
    return candidate


def drill_state(*, counted_from: date, today: date) -> str:
    """OVERDUE after the due day, DUE_SOON within DRILL_REMINDER_DAYS of it, OK before; twin of drill_state_q."""
    due = drill_due_on(counted_from)
    if due < today:
        return ComplianceState.OVERDUE
    if due <= today + timedelta(days=settings.DRILL_REMINDER_DAYS):
        return ComplianceState.DUE_SOON
    return ComplianceState.OK


def drill_state_q(state: str, *, today: date) -> Q:
    """Elevator rows in drill `state` on `today`; the rows must carry `drill_counted_from` (alias it with
    drill_counted_from_expression)."""
    overdue_until = _last_counted_from_due_before(today)
    soon_until = _last_counted_from_due_before(today + timedelta(days=settings.DRILL_REMINDER_DAYS + 1))
    return {
        ComplianceState.OVERDUE: Q(drill_counted_from__lte=overdue_until),
        ComplianceState.DUE_SOON: Q(drill_counted_from__gt=overdue_until, drill_counted_from__lte=soon_until),
        ComplianceState.OK: Q(drill_counted_from__gt=soon_until),
    }[state]


# ---------------------------------------------------------------- insurance


def policy_in_force_q(today: date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}starts_on__lte": today, f"{prefix}ends_on__gte": today})


def insured_exists(today: date, elevator_ref: str = "pk") -> Exists:
    """Whether the elevator row (`elevator_ref` its id) is covered by a policy in force on `today` (plan §2(12))."""
    return Exists(InsurancePolicy.objects.filter(policy_in_force_q(today), elevators=OuterRef(elevator_ref)))


def insurance_state(*, ends_on: date | None, today: date) -> str:
    """MISSING without a policy in force, DUE_SOON when the latest one in force ends within INSURANCE_REMINDER_DAYS,
    OK otherwise. `ends_on`: the last day of cover of the policies in force on `today` (None if none)."""
    if ends_on is None or ends_on < today:
        return ComplianceState.MISSING
    if ends_on <= today + timedelta(days=settings.INSURANCE_REMINDER_DAYS):
        return ComplianceState.DUE_SOON
    return ComplianceState.OK


# ---------------------------------------------------------------- safety managers


def valid_safety_manager_q(today: date, prefix: str = "") -> Q:
    """Registry people who count as a safety manager on `today`: kind 安全管理员, certificate valid through the day."""
    return Q(**{f"{prefix}kind": PersonKind.SAFETY_MANAGER, f"{prefix}certificate_valid_until__gte": today})


def elevator_has_safety_manager_exists(today: date) -> Exists:
    """Whether a valid safety manager of the elevator's own use unit answers for the elevator row."""
    return Exists(
        SafetyAssignment.objects.filter(
            valid_safety_manager_q(today, "person__"),
            elevator=OuterRef("pk"),
            person__organization=OuterRef("use_unit"),
        )
    )


def use_units_without_safety_manager_q(today: date) -> Q:
    """Use units with an elevator in use and no valid safety manager on `today` (flagged to their district)."""
    from registry.models import Elevator, Person

    return (
        Q(kind=OrganizationKind.USE_UNIT)
        & Q(Exists(Elevator.objects.filter(use_unit=OuterRef("pk"), status=ElevatorStatus.IN_USE)))
        & ~Q(Exists(Person.objects.filter(valid_safety_manager_q(today), organization=OuterRef("pk"))))
    )


# ---------------------------------------------------------------- whose elevators


def elevators_of_other_use_units(elevators, use_unit) -> list:
    """Of `elevators`, in their order, those not used by `use_unit`: a use unit's managers, plans, drills and
    policies cover only its own elevators (plan §2(7), §2(12)), so each service refuses these by name."""
    return [e for e in elevators if e.use_unit_id != use_unit.pk]


# ---------------------------------------------------------------- emergency plans and certificates


def elevator_has_plan_exists() -> Exists:
    """Whether an emergency plan of the elevator's own use unit covers the elevator row."""
    return Exists(
        EmergencyPlan.elevators.through.objects.filter(
            elevator=OuterRef("pk"), emergencyplan__use_unit=OuterRef("use_unit")
        )
    )


def has_use_certificate_q() -> Q:
    return ~Q(use_certificate_no="")


def without_use_certificate_q() -> Q:
    """Elevators in use with no 使用登记证 on record (特种设备安全法 §33: unlawful to use)."""
    return Q(status=ElevatorStatus.IN_USE, use_certificate_no="")
