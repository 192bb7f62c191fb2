"""The preparedness rules (preparedness/rules.py) at their edges, and each Python rule agreeing with its SQL twin."""

from datetime import date, timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from preparedness import rules
from preparedness.choices import ComplianceState
from preparedness.models import InsurancePolicy, SafetyAssignment
from registry.choices import ElevatorStatus, OrganizationKind, PersonKind
from registry.models import Elevator, Organization
from tests.factories import ElevatorFactory, PersonFactory


@pytest.mark.parametrize(
    "day, months, expected",
    [
        (date(2026, 8, 31), 6, date(2027, 2, 28)),  # no 31 February: the month's last day
        (date(2027, 8, 31), 6, date(2028, 2, 29)),  # a leap year
        (date(2026, 6, 30), 6, date(2026, 12, 30)),
        (date(2026, 12, 31), 6, date(2027, 6, 30)),
        (date(2026, 3, 31), 6, date(2026, 9, 30)),
        (date(2026, 7, 15), 6, date(2027, 1, 15)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2027, 2, 28), -6, date(2026, 8, 28)),
        (date(2026, 10, 1), 12, date(2027, 10, 1)),
    ],
)
def test_add_months_clamps_to_the_last_day_of_a_shorter_month(day, months, expected):
    assert rules.add_months(day, months) == expected


@pytest.mark.parametrize(
    "held, today, state",
    [
        (date(2026, 8, 31), date(2027, 2, 28), ComplianceState.DUE_SOON),  # the due day itself is in time
        (date(2026, 8, 31), date(2027, 3, 1), ComplianceState.OVERDUE),  # the day after is overdue
        (date(2027, 8, 31), date(2028, 2, 29), ComplianceState.DUE_SOON),
        (date(2027, 8, 31), date(2028, 3, 1), ComplianceState.OVERDUE),
        (date(2026, 6, 30), date(2026, 12, 30), ComplianceState.DUE_SOON),
        (date(2026, 6, 30), date(2026, 12, 31), ComplianceState.OVERDUE),
        # DRILL_REMINDER_DAYS (30) before the due day: due soon from exactly 30 days before, fine the day before.
        (date(2026, 7, 15), date(2026, 12, 16), ComplianceState.DUE_SOON),
        (date(2026, 7, 15), date(2026, 12, 15), ComplianceState.OK),
    ],
)
def test_drill_state_edges(held, today, state):
    assert rules.drill_state(counted_from=held, today=today) == state


@pytest.mark.django_db
@pytest.mark.parametrize("today", [date(2027, 2, 28), date(2027, 3, 1), date(2027, 3, 31), date(2028, 3, 1)])
def test_drill_state_q_agrees_with_drill_state_around_month_ends(today):
    """Every counted-from day within a few weeks of each cutoff lands in the same state in SQL and in Python."""
    elevators = []
    start = rules.add_months(today, -6) - timedelta(days=40)
    for offset in range(0, 80, 1):
        elevators.append(ElevatorFactory(last_drill_on=start + timedelta(days=offset)))
    qs = Elevator.objects.filter(pk__in=[e.pk for e in elevators]).alias(
        drill_counted_from=rules.drill_counted_from_expression()
    )
    for state in (ComplianceState.OVERDUE, ComplianceState.DUE_SOON, ComplianceState.OK):
        in_sql = set(qs.filter(rules.drill_state_q(state, today=today)).values_list("pk", flat=True))
        in_python = {e.pk for e in elevators if rules.drill_state(counted_from=e.last_drill_on, today=today) == state}
        assert in_sql == in_python, state


@pytest.mark.django_db
@override_settings(DRILL_INTERVAL_MONTHS=6)
def test_a_never_drilled_elevator_counts_from_the_later_of_commissioning_and_registration():
    today = timezone.localdate()
    old = ElevatorFactory(commission_date=today - timedelta(days=4000))
    assert rules.drill_counted_from(
        last_drill_on=None, commission_date=old.commission_date, registered_on=timezone.localdate(old.created_at)
    ) == timezone.localdate(old.created_at)
    annotated = Elevator.objects.alias(c=rules.drill_counted_from_expression()).filter(pk=old.pk, c=today)
    assert annotated.exists()


@pytest.mark.django_db
def test_insured_on_the_first_and_last_day_of_the_policy_only(world):
    e = world["a"]
    policy = InsurancePolicy.objects.create(
        insurer="人保",
        policy_no="P1",
        insured=world["use_a"],
        cover_per_person=100,
        cover_per_accident=1000,
        starts_on=date(2027, 1, 1),
        ends_on=date(2027, 12, 31),
    )
    policy.elevators.add(e)

    def insured(day):
        return Elevator.objects.filter(pk=e.pk).filter(rules.insured_exists(day)).exists()

    assert [insured(d) for d in (date(2026, 12, 31), date(2027, 1, 1), date(2027, 12, 31), date(2028, 1, 1))] == [
        False,
        True,
        True,
        False,
    ]


@pytest.mark.parametrize(
    "ends_on, state",
    [
        (None, ComplianceState.MISSING),
        (date(2027, 1, 9), ComplianceState.MISSING),  # ended yesterday
        (date(2027, 1, 10), ComplianceState.DUE_SOON),  # today is its last day
        (date(2027, 2, 9), ComplianceState.DUE_SOON),  # exactly INSURANCE_REMINDER_DAYS (30) ahead
        (date(2027, 2, 10), ComplianceState.OK),
    ],
)
def test_insurance_state_edges(ends_on, state):
    assert rules.insurance_state(ends_on=ends_on, today=date(2027, 1, 10)) == state


@pytest.mark.django_db
def test_a_use_unit_is_without_safety_manager_from_the_day_after_the_certificate_ends(world):
    manager = world["manager_a"]
    last_day = manager.certificate_valid_until

    def flagged(day):
        return set(
            Organization.objects.filter(rules.use_units_without_safety_manager_q(day)).values_list("pk", flat=True)
        )

    assert world["use_a"].pk not in flagged(last_day)
    assert world["use_a"].pk in flagged(last_day + timedelta(days=1))


@pytest.mark.django_db
def test_a_use_unit_without_elevators_in_use_is_not_flagged(world):
    idle = Organization.objects.create(
        name="空置物业", kind=OrganizationKind.USE_UNIT, district=world["use_a"].district
    )
    ElevatorFactory(use_unit=idle, status=ElevatorStatus.SUSPENDED)
    assert not Organization.objects.filter(rules.use_units_without_safety_manager_q(timezone.localdate()), pk=idle.pk)


@pytest.mark.django_db
def test_only_a_valid_manager_of_the_elevators_own_use_unit_answers_for_it(world):
    today = timezone.localdate()
    e = world["a"]

    def has_manager():
        return Elevator.objects.filter(pk=e.pk).filter(rules.elevator_has_safety_manager_exists(today)).exists()

    stranger = PersonFactory(organization=world["use_b"], kind=PersonKind.SAFETY_MANAGER)
    SafetyAssignment.objects.create(person=stranger, elevator=e)
    assert not has_manager()  # another use unit's manager does not count
    lapsed = PersonFactory(
        organization=world["use_a"], kind=PersonKind.SAFETY_MANAGER, certificate_valid_until=today - timedelta(days=1)
    )
    SafetyAssignment.objects.create(person=lapsed, elevator=e)
    assert not has_manager()
    SafetyAssignment.objects.create(person=world["manager_a"], elevator=e)
    assert has_manager()
