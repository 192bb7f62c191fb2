"""Key monitoring at its edges (plan §2(4)): the building kinds the age rule scans, and "故障率明显偏高" relative to the
city's elevators of the same type (above the RISK_FAILURE_PERCENTILE-th percentile)."""

import random
from datetime import date, datetime, time, timedelta
from fractions import Fraction

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.choices import Role
from maintenance.choices import FaultCause, FaultKind
from maintenance.models import Fault
from monitoring.checks import risk_age_building_kinds_check
from monitoring.selectors import age_building_kinds
from monitoring.services import failure_cutoffs, percentile_cont, risk_scan
from registry.choices import BuildingKind, ElevatorStatus, ElevatorType, RiskReason
from registry.models import RiskFlag

from ..factories import ElevatorFactory, bulk_elevators, user_with_role

TODAY = date(2026, 11, 29)
OLD = date(2000, 1, 1)  # over 15 years in use
NEW = date(2020, 1, 1)


def faults(elevator, n, *, cause=FaultCause.DOOR_SYSTEM, days_ago=10):
    at = timezone.make_aware(datetime.combine(TODAY - timedelta(days=days_ago), time(10)))
    Fault.objects.bulk_create(
        [Fault(elevator=elevator, source="firm", kind=FaultKind.DOOR, cause=cause, reported_at=at) for _ in range(n)]
    )


def active(reason):
    return {
        f.elevator_id: f for f in RiskFlag.objects.filter(reason=reason, cleared_on__isnull=True).order_by("elevator")
    }


@pytest.fixture(autouse=True)
def only_the_rules_under_test(settings):
    settings.RISK_FAULTS_12M = 1000  # the fixed count stays out of the way
    settings.RISK_ENTRAPMENTS_12M = 1000
    settings.RISK_FAILURE_PERCENTILE = 95


# ---------------------------------------------------------------- the building kinds of the age rule


@pytest.mark.django_db
def test_by_default_only_residential_elevators_are_scanned_for_age(dongqu):
    home = ElevatorFactory(district=dongqu, building_kind=BuildingKind.RESIDENTIAL, commission_date=OLD)
    mall = ElevatorFactory(district=dongqu, building_kind=BuildingKind.MALL, commission_date=OLD)
    risk_scan(today=TODAY)
    assert set(active(RiskReason.AGE_OVER_15)) == {home.pk}
    assert mall.pk not in active(RiskReason.AGE_OVER_15)


@pytest.mark.django_db
def test_the_setting_adds_malls_to_the_age_rule(dongqu, settings):
    settings.RISK_AGE_BUILDING_KINDS = ("residential", "mall")
    home = ElevatorFactory(district=dongqu, building_kind=BuildingKind.RESIDENTIAL, commission_date=OLD)
    mall = ElevatorFactory(district=dongqu, building_kind=BuildingKind.MALL, commission_date=OLD)
    school = ElevatorFactory(district=dongqu, building_kind=BuildingKind.SCHOOL, commission_date=OLD)
    young_mall = ElevatorFactory(district=dongqu, building_kind=BuildingKind.MALL, commission_date=NEW)
    risk_scan(today=TODAY)
    assert set(active(RiskReason.AGE_OVER_15)) == {home.pk, mall.pk}
    assert school.pk not in active(RiskReason.AGE_OVER_15) and young_mall.pk not in active(RiskReason.AGE_OVER_15)


@pytest.mark.django_db
def test_a_kind_taken_out_of_the_setting_clears_its_flags(dongqu, settings):
    settings.RISK_AGE_BUILDING_KINDS = ("mall",)
    mall = ElevatorFactory(district=dongqu, building_kind=BuildingKind.MALL, commission_date=OLD)
    risk_scan(today=TODAY)
    settings.RISK_AGE_BUILDING_KINDS = ("residential",)
    risk_scan(today=TODAY + timedelta(days=1))
    flag = RiskFlag.objects.get(elevator=mall, reason=RiskReason.AGE_OVER_15)
    assert flag.cleared_on == TODAY + timedelta(days=1)


@pytest.mark.parametrize("value", [("residential", "castle"), ()])
def test_an_unknown_or_empty_kind_setting_fails_loudly(settings, value):
    settings.RISK_AGE_BUILDING_KINDS = value
    with pytest.raises(ImproperlyConfigured):
        age_building_kinds()
    assert [e.id for e in risk_age_building_kinds_check()] == ["monitoring.E001"]


def test_the_default_setting_passes_the_check(settings):
    assert settings.RISK_AGE_BUILDING_KINDS == ("residential",)
    assert risk_age_building_kinds_check() == []


@pytest.mark.django_db
def test_the_page_says_which_kinds_are_scanned_and_the_thresholds(client, settings):
    client.force_login(user_with_role(Role.CITY_REGULATOR))
    settings.RISK_AGE_BUILDING_KINDS = ("residential", "mall")
    settings.RISK_FAILURE_PERCENTILE = 90
    settings.RISK_FAULTS_12M = 6
    body = client.get(reverse("monitoring:key_list")).content.decode()
    rules = body[body.index('id="risk-rules"') :]
    rules = rules[: rules.index("</div>")]
    assert "使用超过15年" in rules and "“住宅、商场”" in rules
    assert "第90百分位" in rules and "达到6次" in rules
    assert "《攀枝花市加强电梯质量安全工作实施方案》" in rules


# ---------------------------------------------------------------- the percentile, exactly as percentile_cont


@pytest.mark.parametrize(
    "total, histogram, expected",
    [
        (0, {}, Fraction(0)),
        (20, {}, Fraction(0)),  # no faults at all
        (1, {7: 1}, Fraction(7)),  # a type of one elevator: its own count, so it is never above it
        (21, {2: 1, 3: 1}, Fraction(2)),  # 0.95 × 20 = 19: exactly the 20th value, no interpolation
        (2, {4: 1}, Fraction(19, 5)),  # 0 and 4: 0 + 0.95 × (4 − 0) = 3.8
        (100, {1: 5, 4: 1}, Fraction(1)),  # 94 zeros, five 1s, one 4: 0.95 × 99 = 94.05, ranks 94 and 95 both 1
        (100, {1: 4, 4: 1}, Fraction(1, 20)),  # 95 zeros: rank 94 is 0, rank 95 is 1 → 0 + 0.05 × 1
    ],
)
def test_percentile_cont_interpolates_between_ranks(total, histogram, expected):
    assert percentile_cont(percentile=95, total=total, histogram=histogram) == expected


@pytest.mark.skipif(connection.vendor != "postgresql", reason="compares with PostgreSQL's own percentile_cont")
@pytest.mark.django_db
def test_percentile_cont_agrees_with_postgresql():
    rng = random.Random(12)
    for _ in range(40):
        values = [rng.choice([0, 0, 0, 0, 1, 1, 2, 3, 5, 9]) for _ in range(rng.randint(1, 60))]
        percentile = rng.choice([50, 90, 95, 99])
        histogram = {}
        for v in values:
            if v:
                histogram[v] = histogram.get(v, 0) + 1
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT percentile_cont(%s) WITHIN GROUP (ORDER BY v) FROM unnest(%s::int[]) v",
                [percentile / 100, values],
            )
            expected = cursor.fetchone()[0]
        mine = percentile_cont(percentile=percentile, total=len(values), histogram=histogram)
        assert float(mine) == pytest.approx(expected, abs=1e-9), (values, percentile)


# ---------------------------------------------------------------- the scan at the cut-off


@pytest.fixture
def type_of_21(dongqu):
    """21 passenger lifts in use: 19 without faults, one with 2 and one with 3. The 95th percentile is the 20th
    value exactly (0.95 × 20 = 19), i.e. 2."""
    lifts = bulk_elevators(21, district=dongqu, commission_date=NEW, elevator_type=ElevatorType.TRACTION_PASSENGER)
    at_cutoff, above = lifts[-2], lifts[-1]
    faults(at_cutoff, 2)
    faults(above, 3)
    return {"lifts": lifts, "at_cutoff": at_cutoff, "above": above}


@pytest.mark.django_db
def test_an_elevator_exactly_at_the_cutoff_is_not_above_it(type_of_21):
    assert failure_cutoffs(today=TODAY) == {ElevatorType.TRACTION_PASSENGER: Fraction(2)}
    risk_scan(today=TODAY)
    flags = active(RiskReason.FAILURE_RATE)
    assert set(flags) == {type_of_21["above"].pk}
    flag = flags[type_of_21["above"].pk]
    assert (flag.measured, flag.threshold) == (3, 3)  # 3 faults; 3 is the smallest count above the cut-off of 2


@pytest.mark.django_db
def test_faults_that_are_not_the_elevators_doing_or_too_old_do_not_count(type_of_21):
    faults(type_of_21["at_cutoff"], 4, cause=FaultCause.EXTERNAL)  # power cuts
    faults(type_of_21["at_cutoff"], 4, days_ago=400)  # before the last 12 months
    risk_scan(today=TODAY)
    assert set(active(RiskReason.FAILURE_RATE)) == {type_of_21["above"].pk}


@pytest.mark.django_db
def test_the_cutoff_is_per_elevator_type(type_of_21, dongqu):
    # Two escalators: 0 and 3 faults. Their own cut-off is 0 + 0.95 × 3 = 2.85, so 3 is above it; the passenger
    # lifts' cut-off (2) is untouched by them.
    escalators = bulk_elevators(2, district=dongqu, commission_date=NEW, elevator_type=ElevatorType.ESCALATOR)
    faults(escalators[1], 3)
    assert failure_cutoffs(today=TODAY) == {
        ElevatorType.TRACTION_PASSENGER: Fraction(2),
        ElevatorType.ESCALATOR: Fraction(57, 20),
    }
    risk_scan(today=TODAY)
    assert set(active(RiskReason.FAILURE_RATE)) == {type_of_21["above"].pk, escalators[1].pk}


@pytest.mark.django_db
def test_only_elevators_in_use_make_up_the_city_and_are_flagged(type_of_21):
    # Stopping the lift with 3 faults leaves 20 in use: 0.95 × 19 = 18.05, between 0 (rank 18) and 2 (rank 19):
    # a cut-off of 0.1, so the lift with 2 faults is now above it.
    stopped = type_of_21["above"]
    stopped.status = ElevatorStatus.SUSPENDED
    stopped.save()
    assert failure_cutoffs(today=TODAY) == {ElevatorType.TRACTION_PASSENGER: Fraction(1, 10)}
    risk_scan(today=TODAY)
    flags = active(RiskReason.FAILURE_RATE)
    assert set(flags) == {type_of_21["at_cutoff"].pk}
    assert flags[type_of_21["at_cutoff"].pk].threshold == 1


@pytest.mark.django_db
def test_the_flag_follows_the_moving_cutoff_and_clears(type_of_21):
    risk_scan(today=TODAY)
    faults(type_of_21["at_cutoff"], 2)  # now 4 faults: the cut-off becomes 3 (the 20th value), the other lift's
    risk_scan(today=TODAY + timedelta(days=1))
    flags = active(RiskReason.FAILURE_RATE)
    assert set(flags) == {type_of_21["at_cutoff"].pk}
    assert (flags[type_of_21["at_cutoff"].pk].measured, flags[type_of_21["at_cutoff"].pk].threshold) == (4, 4)
    cleared = RiskFlag.objects.get(elevator=type_of_21["above"], reason=RiskReason.FAILURE_RATE)
    assert cleared.cleared_on == TODAY + timedelta(days=1)


@pytest.mark.django_db
def test_the_fixed_count_still_flags_beside_the_percentile(type_of_21, settings):
    settings.RISK_FAULTS_12M = 2
    risk_scan(today=TODAY)
    assert set(active(RiskReason.FAULTS)) == {type_of_21["at_cutoff"].pk, type_of_21["above"].pk}
    assert set(active(RiskReason.FAILURE_RATE)) == {type_of_21["above"].pk}


@pytest.mark.django_db
def test_the_scan_with_faults_runs_the_same_queries_whatever_the_registry_size(dongqu):
    def scan_queries(n):
        RiskFlag.objects.all().delete()
        for etype in (ElevatorType.TRACTION_PASSENGER, ElevatorType.ESCALATOR):
            lifts = bulk_elevators(n, district=dongqu, commission_date=OLD, elevator_type=etype)
            for i, lift in enumerate(lifts[:: max(1, n // 5)]):
                faults(lift, 1 + i % 4)
        with CaptureQueriesContext(connection) as ctx:
            risk_scan(today=TODAY)
        return len(ctx.captured_queries)

    small = scan_queries(10)
    assert scan_queries(300) == small
    assert active(RiskReason.FAILURE_RATE)
