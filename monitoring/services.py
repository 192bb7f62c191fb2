"""The daily risk scan and the key-monitoring list (plan §2(4); docs/rules.md "Key monitoring").

Plan §2(4): 使用期限超过15年，运行故障率、投诉率明显偏高的住宅电梯纳入重点监控范围. Every day, for elevators in use:
- age_over_15: in use MORE than RISK_AGE_YEARS years, i.e. commissioned before today minus 15 years (commissioned
  exactly 15 years ago today is not yet "超过15年"); the measured value is the full years in use. Only the building
  kinds of RISK_AGE_BUILDING_KINDS (default: residential, the plan's 住宅电梯); a city may add others;
- faults: faults whose cause is not external (as in the credit evaluation) over the last 12 months >= RISK_FAULTS_12M;
- failure_rate: the same faults, relative to the city (明显偏高 read as "above what 95 in 100 elevators of the same
  type reach"): MORE than the RISK_FAILURE_PERCENTILE-th percentile of the counts of the city's elevators in use of
  the same type (ElevatorType), those without faults counted as 0, interpolated as PostgreSQL's percentile_cont does.
  An elevator exactly at the cut-off is not above it; the threshold stored is the smallest count above it;
- complaints: valid complaints (not rejected, not merged) over the last 12 months >= RISK_COMPLAINTS_12M;
- entrapments: entrapments of any cause over the last 12 months >= RISK_ENTRAPMENTS_12M (people were trapped,
  whatever the cause).

A flag is a row per elevator and reason; it clears itself (cleared_on) when the condition ends and stays as history.
The fault, complaint and entrapment rules cover every building kind: a lift that fails often is a risk wherever it
stands, and the plan's 住宅电梯 is read as the minimum it asks for.

The scan is set-based: per reason the candidates are computed once into a temporary table, then one
INSERT…SELECT…ON CONFLICT DO NOTHING of new flags, one UPDATE of flags still true, one UPDATE clearing the others — a
fixed number of queries whatever the registry size. The partial unique
constraint (one active flag per elevator and reason) makes a second run, or two workers at once, insert nothing
twice; each run tells the district regulators only about the flags *it* inserted (by its run id).
"""

import uuid
from collections import defaultdict
from datetime import date
from fractions import Fraction
from math import floor

from django.conf import settings
from django.core.exceptions import EmptyResultSet, PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, ExtractYear
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import access
from complaints.selectors import valid_complaints
from elevator_portal.dates import day_bounds, last_12_months, years_before
from maintenance.choices import FaultCause, FaultKind
from maintenance.models import Fault
from notifications.services import DigestLine, digests_for_district_regulators, notifications_send_digests
from registry.choices import ElevatorStatus, RiskAssessment, RiskReason
from registry.models import Elevator, RiskFlag

from .selectors import age_building_kinds

# ---------------------------------------------------------------- the conditions


def _count(queryset: QuerySet) -> Coalesce:
    """The number of `queryset` rows of each elevator of the outer query, as a correlated subquery."""
    counted = queryset.filter(elevator=OuterRef("pk")).order_by().values("elevator").annotate(n=Count("pk"))
    return Coalesce(Subquery(counted.values("n")[:1], output_field=IntegerField()), Value(0))


def _full_years(today: date):
    """Full years since the commission date, in SQL (the same as Elevator.years_in_use)."""
    not_yet = Q(commission_date__month__gt=today.month) | Q(
        commission_date__month=today.month, commission_date__day__gt=today.day
    )
    return (
        Value(today.year)
        - ExtractYear("commission_date")
        - Case(When(not_yet, then=Value(1)), default=Value(0), output_field=IntegerField())
    )


def _failures(*, today: date) -> QuerySet:
    """Faults over the last 12 months whose cause is not external (a power cut is not the elevator's doing)."""
    start, end = day_bounds(*last_12_months(today))
    return Fault.objects.filter(reported_at__gte=start, reported_at__lt=end).exclude(cause=FaultCause.EXTERNAL)


def percentile_cont(*, percentile: int, total: int, histogram: dict[int, int]) -> Fraction:
    """The `percentile`-th percentile of `total` values, as PostgreSQL's percentile_cont computes it (linear
    interpolation between the two nearest ranks), where `histogram` says how many values are each positive number
    and the rest are 0. Exact (a Fraction), so that "above the cut-off" never depends on rounding."""
    if total <= 0:
        return Fraction(0)
    zeros = total - sum(histogram.values())

    def value_at(rank: int) -> int:
        seen = zeros
        if rank < seen:
            return 0
        for value in sorted(histogram):
            seen += histogram[value]
            if rank < seen:
                return value
        raise ValueError("the histogram counts more values than the total")

    position = Fraction(percentile, 100) * (total - 1)
    low = floor(position)
    below = value_at(low)
    above = value_at(low + 1) if position > low else below
    return below + (position - low) * (above - below)


def failure_cutoffs(*, today: date) -> dict[str, Fraction]:
    """Per elevator type, the RISK_FAILURE_PERCENTILE-th percentile of faults (cause not external) over the last 12
    months among the city's elevators in use of that type. Two grouped queries whatever the registry size: the
    number of elevators in use per type, and per type how many elevators had 1, 2, 3 … faults (a histogram of a few
    dozen rows); the percentile is then computed from the histogram in Python, the same on PostgreSQL and SQLite."""
    totals = dict(
        Elevator.objects.filter(status=ElevatorStatus.IN_USE)
        .order_by()
        .values("elevator_type")
        .annotate(n=Count("pk"))
        .values_list("elevator_type", "n")
    )
    per_elevator = (
        _failures(today=today)
        .filter(elevator__status=ElevatorStatus.IN_USE)
        .order_by()
        .annotate(type_of=F("elevator__elevator_type"))
        .values("elevator", "type_of")
        .annotate(n=Count("pk"))
    )
    sql, params = per_elevator.query.sql_with_params()
    histograms: dict[str, dict[int, int]] = defaultdict(dict)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT c.type_of, c.n, COUNT(*) FROM ({sql}) c GROUP BY c.type_of, c.n", params)
        for elevator_type, n, elevators in cursor.fetchall():
            histograms[elevator_type][n] = elevators
    percentile = settings.RISK_FAILURE_PERCENTILE
    return {
        elevator_type: percentile_cont(percentile=percentile, total=total, histogram=histograms[elevator_type])
        for elevator_type, total in totals.items()
    }


def _above_cutoff(elevators: QuerySet, events: QuerySet, cutoffs: dict[str, Fraction]) -> QuerySet:
    """The `elevators` with MORE `events` than the cut-off of their type, annotated with how many (`measured`) and
    the smallest count above the cut-off (`threshold`). As in `_at_least`, only the elevators whose count reaches
    the lowest of the thresholds are counted one by one."""
    minimums = {elevator_type: floor(cutoff) + 1 for elevator_type, cutoff in cutoffs.items()}
    if not minimums:  # no elevator in use
        return elevators.annotate(measured=Value(0), threshold=Value(0)).none()
    threshold = Case(*[When(elevator_type=t, then=Value(m)) for t, m in minimums.items()], output_field=IntegerField())
    return (
        _at_least(elevators.filter(elevator_type__in=list(minimums)), events, min(minimums.values()))
        .annotate(threshold=threshold)
        .filter(measured__gte=F("threshold"))
    )


def risk_candidates(*, today: date) -> dict[str, QuerySet]:
    """Per reason: the elevators in use meeting the condition today, annotated with `measured` and `threshold`."""

    in_use = Elevator.objects.filter(status=ElevatorStatus.IN_USE).order_by()
    since, until = last_12_months(today)
    start, end = day_bounds(since, until)
    faults = Fault.objects.filter(reported_at__gte=start, reported_at__lt=end)
    failures = _failures(today=today)
    age = settings.RISK_AGE_YEARS

    def fixed(threshold: int) -> Value:
        return Value(threshold, output_field=IntegerField())

    return {
        # Plan §2(4) 使用期限超过15年的住宅电梯: strictly more than 15 years, in the building kinds of the setting.
        RiskReason.AGE_OVER_15: in_use.filter(
            building_kind__in=age_building_kinds(), commission_date__lt=years_before(today, age)
        ).annotate(measured=_full_years(today), threshold=fixed(age)),
        RiskReason.FAULTS: _at_least(in_use, failures, settings.RISK_FAULTS_12M).annotate(
            threshold=fixed(settings.RISK_FAULTS_12M)
        ),
        RiskReason.COMPLAINTS: _at_least(
            in_use, valid_complaints(since=since, until=until), settings.RISK_COMPLAINTS_12M
        ).annotate(threshold=fixed(settings.RISK_COMPLAINTS_12M)),
        RiskReason.ENTRAPMENTS: _at_least(
            in_use, faults.filter(kind=FaultKind.ENTRAPMENT), settings.RISK_ENTRAPMENTS_12M
        ).annotate(threshold=fixed(settings.RISK_ENTRAPMENTS_12M)),
        # Plan §2(4) 运行故障率明显偏高, relative to the elevators of the same type in the city.
        RiskReason.FAILURE_RATE: _above_cutoff(in_use, failures, failure_cutoffs(today=today)),
    }


def _at_least(elevators: QuerySet, events: QuerySet, threshold: int) -> QuerySet:
    """The `elevators` with at least `threshold` of `events`, annotated with how many (`measured`).

    The events are grouped once (GROUP BY elevator HAVING count >= threshold) and the elevators joined to the few
    that qualify; only those get the count as `measured`. Counting per elevator instead would run a subquery for
    each of a million elevators in use.
    """
    qualifying = (
        events.order_by().values("elevator").annotate(n=Count("pk")).filter(n__gte=threshold).values("elevator")
    )
    return elevators.filter(pk__in=qualifying).annotate(measured=_count(events))


# ---------------------------------------------------------------- the scan (writes)

CANDIDATES = "risk_scan_candidates"  # a temporary table: each database session has its own


def _stage_candidates(candidates: QuerySet) -> None:
    """Compute one reason's candidates once, into a temporary table of (elevator id, measured, threshold).

    The flags are then inserted, refreshed and cleared by joins on it. Using the candidate query itself in each
    statement would evaluate it again per flag (a correlated subquery) or, as `NOT IN`, per row once its result
    outgrows memory: at a million elevators, hours instead of seconds.
    """
    try:
        sql, params = candidates.values("pk", "measured", "threshold").query.sql_with_params()
    except EmptyResultSet:  # no candidate can exist (e.g. no elevator in use): an empty table
        sql, params = None, ()
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {CANDIDATES}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {CANDIDATES} "
            "(id bigint NOT NULL, measured integer NOT NULL, threshold integer NOT NULL)"
        )
        if sql is not None:
            cursor.execute(f"INSERT INTO {CANDIDATES} (id, measured, threshold) {sql}", params)
        cursor.execute(f"CREATE INDEX {CANDIDATES}_id ON {CANDIDATES} (id)")
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {CANDIDATES}")  # autovacuum never sees temporary tables


def _apply_candidates(reason: str, *, today: date, run_id: uuid.UUID) -> tuple[int, int]:
    """Insert a flag for every staged candidate without an active one for `reason` (ON CONFLICT DO NOTHING on the
    partial unique constraint, so two scans at once insert it once), refresh the flags still true (measured value
    and threshold: a percentile's cut-off moves) and clear the others. Returns (still, cleared)."""
    table = connection.ops.quote_name(RiskFlag._meta.db_table)
    day = connection.ops.adapt_datefield_value(today)
    run = RiskFlag._meta.get_field("run_id").get_db_prep_value(run_id, connection)
    staged = f"SELECT 1 FROM {CANDIDATES} c WHERE c.id = {table}.elevator_id"
    active = "reason = %s AND cleared_on IS NULL"
    with connection.cursor() as cursor:
        # "WHERE 1 = 1": SQLite needs a WHERE before an upsert's ON CONFLICT in INSERT … SELECT.
        cursor.execute(
            f"INSERT INTO {table} (elevator_id, reason, measured, threshold, first_seen, last_seen, run_id, "
            f"assessment, assessment_note) SELECT id, %s, measured, threshold, %s, %s, %s, %s, '' FROM {CANDIDATES} "
            f"WHERE 1 = 1 ON CONFLICT DO NOTHING",
            [reason, day, day, run, RiskAssessment.PENDING],
        )
        cursor.execute(
            f"UPDATE {table} SET last_seen = %s, "
            f"measured = (SELECT c.measured FROM {CANDIDATES} c WHERE c.id = {table}.elevator_id), "
            f"threshold = (SELECT c.threshold FROM {CANDIDATES} c WHERE c.id = {table}.elevator_id) "
            f"WHERE {active} AND EXISTS ({staged})",
            [day, reason],
        )
        still = cursor.rowcount
        # The condition ended (or the elevator is no longer in use): the flag clears, the row stays as history.
        cursor.execute(f"UPDATE {table} SET cleared_on = %s WHERE {active} AND NOT EXISTS ({staged})", [day, reason])
        cleared = cursor.rowcount
        cursor.execute(f"DROP TABLE {CANDIDATES}")
    return still, cleared


RISK_SCAN_LOCK = 7_001_2019_092  # any fixed number: the PostgreSQL advisory lock the scan's transaction holds


def _one_scan_at_a_time() -> None:
    """Make a second scan started meanwhile (two beats, two workers) wait for this one to commit.

    The partial unique constraint already makes the insert exactly-once; this lock keeps two scans from updating
    the same flags in whatever order their plans read them, which could deadlock one of them. The scan that waits
    then sees the flags committed and inserts none. SQLite needs no lock: BEGIN IMMEDIATE (settings) already lets
    one writing transaction in at a time.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [RISK_SCAN_LOCK])


def risk_scan(*, today: date) -> dict:
    """Flag, refresh and clear key-monitoring flags for today, then send each district regulator one digest of the
    flags new in this run. Idempotent and safe on two workers at once; a fixed number of queries per reason (two
    more for the percentile cut-offs) plus the digest."""
    run_id = uuid.uuid4()
    still, cleared = 0, 0
    with transaction.atomic():
        _one_scan_at_a_time()
        for reason, candidates in risk_candidates(today=today).items():
            _stage_candidates(candidates)
            reason_still, reason_cleared = _apply_candidates(reason, today=today, run_id=run_id)
            still += reason_still
            cleared += reason_cleared

    new = list(RiskFlag.objects.filter(run_id=run_id).select_related("elevator__district"))
    recipients = _send_digests(new, today=today)
    created: dict[str, int] = defaultdict(int)
    for flag in new:
        created[flag.reason] += 1
    return {
        "run_id": str(run_id),
        "created": dict(created),
        "active": still,
        "cleared": cleared,
        "recipients": recipients,
    }


def _send_digests(flags: list[RiskFlag], *, today: date) -> int:
    """One digest per district regulator listing the new flags of the district (plan §2(4) 重点监控)."""

    by_district: dict[int, list] = defaultdict(list)
    link = reverse("monitoring:key_list")
    for flag in flags:
        e = flag.elevator
        by_district[e.district_id].append(
            DigestLine(
                _("%(code)s %(address)s：%(reason)s（测量值%(measured)s，阈值%(threshold)s），已纳入重点监控。")
                % {
                    "code": e.registration_code,
                    "address": e.address,
                    "reason": flag.get_reason_display(),
                    "measured": flag.measured,
                    "threshold": flag.threshold,
                },
                link,
            )
        )
    digests = digests_for_district_regulators(by_district)
    notifications_send_digests(
        digests=digests, title=_("%(day)s 新增重点监控电梯") % {"day": today.isoformat()}, link=link
    )
    return len(digests)


def risk_flag_assess(*, user, flag: RiskFlag, status: str, note: str = "") -> RiskFlag:
    """Record a regulator's assessment of a flagged elevator (plan §2(4): 安全评估, 大修改造更新)."""
    if not access.is_regulator(user) or not access.elevators_for(user).filter(pk=flag.elevator_id).exists():
        raise PermissionDenied(_("您没有权限评估此电梯。"))
    if status not in RiskAssessment.values:
        raise ValidationError({"assessment": _("无效的评估状态。")})
    flag.assessment, flag.assessment_note = status, note.strip()
    flag.assessed_by, flag.assessed_at = user, timezone.now()
    flag.save(update_fields=["assessment", "assessment_note", "assessed_by", "assessed_at"])
    return flag
