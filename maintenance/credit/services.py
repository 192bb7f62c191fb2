"""Maintenance-firm credit evaluation (plan §2(2) 维保质量诚信评价制度; docs/rules.md "Maintenance-firm credit").

Per maintenance firm, over the 12 months ending on the evaluation day, per 100 elevators it maintains now:
accident rate, failure rate, complaint rate, and the first-time inspection pass rate (一次性检验合格率), combined
into a score of 0–100 and a grade A–D. The formula, each number and the events behind it are public on the firm's
page (plan §2(2) 维保企业信息网上公开, §2(11) 信息公示), so the events carry no personal data.

Score (each part uses the rounded rates stored on the evaluation, so anyone can recompute it from the page):

    40 × first-time pass rate (as a share; 1 when the firm had no first inspections in the window)
  + 30 × max(0, 1 − failure rate / 50)       failures per 100 elevators; 50 or more scores 0
  + 20 × max(0, 1 − complaint rate / 20)     valid complaints per 100 elevators; 20 or more scores 0
  + 10 × (no accident in the window)

Grade: A ≥ 90, B ≥ 75, C ≥ 60, else D. Veto: no licence on record (no validity date: nothing shows the firm may
maintain lifts, the 无证 of plan §2(2) 从严查处无证挂靠), an expired licence or any accident caps the grade at D.

Complaints count against the firm only in the categories it answers for (departments.choices.FIRM_ANSWERABLE_CATEGORIES:
entrapment, breakdown, maintenance quality); plan §2(8) gives the others to the use unit or to other departments.

A firm without first inspections in the window is not penalised for the inspections it did not have (the use
unit, not the firm, applies for them: 特种设备安全法 §40), hence the share 1. A firm maintaining no elevator gets
rates 0 (never a division by zero) and is graded on its licence, accidents and inspections alone.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.apps import apps
from django.db import transaction
from django.db.models import Count
from django.utils import timezone, translation

from departments.choices import FIRM_ANSWERABLE_CATEGORIES
from elevator_portal.dates import last_12_months
from inspections.choices import PASSING_RESULTS, InspectionKind
from inspections.models import Inspection
from inspections.selectors import first_pass_rates
from maintenance.choices import FaultCause, FaultKind, Grade
from maintenance.faults import selectors as fault_selectors
from maintenance.models import CreditEvaluation, Fault
from registry.choices import ElevatorStatus, OrganizationKind
from registry.models import Elevator, Organization

WEIGHT_FIRST_PASS = Decimal(40)
WEIGHT_FAILURES = Decimal(30)
WEIGHT_COMPLAINTS = Decimal(20)
WEIGHT_NO_ACCIDENT = Decimal(10)
FAILURE_RATE_AT_ZERO = Decimal(50)  # failures per 100 elevators a year at which the failure part is 0
COMPLAINT_RATE_AT_ZERO = Decimal(20)  # valid complaints per 100 elevators a year at which the complaint part is 0
GRADE_THRESHOLDS = ((Decimal(90), Grade.A), (Decimal(75), Grade.B), (Decimal(60), Grade.C))

CENT = Decimal("0.01")
RATE_MAX = Decimal("999999.99")  # CreditEvaluation's rate columns: 8 digits, 2 decimals

EVENT_ACCIDENT = "accident"
EVENT_FAILURE = "failure"
EVENT_FIRST_INSPECTION_FAILED = "first_inspection_failed"


# ---------------------------------------------------------------- the formula (pure functions)


def _quantize(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def per_hundred(count: int, elevators: int) -> Decimal:
    """A count per 100 elevators; 0 when the firm maintains none (never a division by zero)."""
    if elevators <= 0:
        return Decimal("0.00")
    return min(_quantize(Decimal(count * 100) / Decimal(elevators)), RATE_MAX)


def pass_rate_percent(*, first_inspections: int, first_passes: int) -> Decimal | None:
    """一次性检验合格率 in per cent, or None when there were no first inspections."""
    if not first_inspections:
        return None
    return _quantize(Decimal(first_passes * 100) / Decimal(first_inspections))


def credit_score_parts(
    *, first_pass_rate: Decimal | None, failure_rate: Decimal, complaint_rate: Decimal, accidents: int
) -> dict[str, Decimal]:
    """The four parts of the score (see the module docstring), unrounded."""
    share = Decimal(1) if first_pass_rate is None else Decimal(first_pass_rate) / 100
    return {
        "first_pass": WEIGHT_FIRST_PASS * share,
        "failures": WEIGHT_FAILURES * max(Decimal(0), 1 - Decimal(failure_rate) / FAILURE_RATE_AT_ZERO),
        "complaints": WEIGHT_COMPLAINTS * max(Decimal(0), 1 - Decimal(complaint_rate) / COMPLAINT_RATE_AT_ZERO),
        "no_accident": WEIGHT_NO_ACCIDENT if accidents == 0 else Decimal(0),
    }


def credit_score(**parts_kwargs) -> Decimal:
    """The score 0–100, rounded to cents."""
    return _quantize(sum(credit_score_parts(**parts_kwargs).values(), Decimal(0)))


def credit_grade(score: Decimal) -> str:
    """A ≥ 90, B ≥ 75, C ≥ 60, else D (before the vetoes)."""
    for threshold, grade in GRADE_THRESHOLDS:
        if score >= threshold:
            return grade
    return Grade.D


def credit_veto_reasons(*, licence_valid_until: date | None, accidents: int, today: date) -> list[str]:
    """Why the grade is capped at D (plan §2(2)); stored in Chinese on the evaluation."""
    reasons = []
    if licence_valid_until is None:
        # Plan §2(2) 从严查处无证挂靠: a firm whose licence is not on record cannot be shown to be licensed.
        reasons.append("无维保许可证记录（未登记许可证有效期）")
    elif licence_valid_until < today:
        reasons.append(f"维保许可证已于{licence_valid_until:%Y-%m-%d}过期")
    if accidents:
        reasons.append(f"统计期内发生{accidents}起事故（电梯困人2小时以上，特种设备安全监察条例第六十四条）")
    return reasons


# ---------------------------------------------------------------- the counted events


def _failure_events_by_firm(*, since: date, until: date) -> dict[int, list[dict]]:
    """The failures behind `fault_selectors.failures_by_firm`, for the public list of counted events (one query)."""
    rows = (
        fault_selectors.failure_faults(since=since, until=until)
        .values("firm_id", "reported_at", "kind", "cause", "elevator__registration_code")
        .order_by("reported_at", "id")
    )
    kinds, causes = dict(FaultKind.choices), dict(FaultCause.choices)
    found: dict[int, list[dict]] = defaultdict(list)
    for row in rows:
        found[row["firm_id"]].append(
            {
                "kind": EVENT_FAILURE,
                "date": timezone.localdate(row["reported_at"]).isoformat(),
                "registration_code": row["elevator__registration_code"],
                "reason": f"{kinds.get(row['kind'], row['kind'])}（{causes.get(row['cause'], row['cause'])}）",
            }
        )
    return found


def complaint_counts_by_firm(*, since: date, until: date) -> dict[int, int]:
    """Valid complaints per firm from the complaints app (plan §2(10)), in the categories a firm answers for
    (plan §2(8); FIRM_ANSWERABLE_CATEGORIES); none while that app is not installed."""
    if not apps.is_installed("complaints"):
        return {}
    from complaints.selectors import complaint_counts_by_firm as counts

    return dict(counts(since=since, until=until, categories=FIRM_ANSWERABLE_CATEGORIES))


def _failed_first_inspections_by_firm(*, since: date, until: date) -> dict[int, list[dict]]:
    """First (periodic) inspections that did not pass: the events behind a first-pass rate under 100 %."""
    rows = (
        Inspection.objects.filter(
            kind=InspectionKind.PERIODIC,
            inspected_on__gte=since,
            inspected_on__lte=until,
            maintenance_firm__isnull=False,
        )
        .exclude(result__in=PASSING_RESULTS)
        .values("maintenance_firm_id", "inspected_on", "elevator__registration_code")
        .order_by("inspected_on", "id")
    )
    found: dict[int, list[dict]] = defaultdict(list)
    for row in rows:
        found[row["maintenance_firm_id"]].append(
            {
                "kind": EVENT_FIRST_INSPECTION_FAILED,
                "date": row["inspected_on"].isoformat(),
                "registration_code": row["elevator__registration_code"],
                "reason": "定期检验首次检验不合格",
            }
        )
    return found


def _accident_event(fault: Fault) -> dict:
    if fault.released_at is None:  # 条例 §64: still open 2 hours after the report is an accident too
        reason = "困人2小时以上，解救时间未记录"
    else:
        reason = f"困人{int((fault.released_at - fault.reported_at).total_seconds() // 60)}分钟"
    return {
        "kind": EVENT_ACCIDENT,
        "date": timezone.localdate(fault.reported_at).isoformat(),
        "registration_code": fault.elevator.registration_code,
        "reason": reason,
    }


# ---------------------------------------------------------------- the job


@dataclass(frozen=True)
class _Counts:
    elevators: dict
    accidents: dict
    failures: dict
    failure_events: dict
    complaints: dict
    first_passes: dict
    failed_first: dict


def _counts(*, since: date, until: date) -> _Counts:
    """Everything the evaluation counts, for all firms at once: a fixed number of aggregate queries."""
    elevators = dict(
        Elevator.objects.filter(maintenance_firm__isnull=False)
        .exclude(status=ElevatorStatus.SCRAPPED)
        .values("maintenance_firm_id")
        .annotate(n=Count("id"))
        .values_list("maintenance_firm_id", "n")
    )
    return _Counts(
        elevators=elevators,
        accidents=fault_selectors.accidents_by_firm(since=since, until=until),
        failures=fault_selectors.failures_by_firm(since=since, until=until),
        failure_events=_failure_events_by_firm(since=since, until=until),
        complaints=complaint_counts_by_firm(since=since, until=until),
        first_passes=first_pass_rates(group_by="maintenance_firm", since=since, until=until),
        failed_first=_failed_first_inspections_by_firm(since=since, until=until),
    )


def _evaluate_firm(*, firm: Organization, counts: _Counts, today: date, period: date, since: date) -> CreditEvaluation:
    n = counts.elevators.get(firm.pk, 0)
    accident_faults = counts.accidents.get(firm.pk, [])
    accidents = len(accident_faults)
    failures = counts.failures.get(firm.pk, 0)
    complaints = counts.complaints.get(firm.pk, 0)
    first = counts.first_passes.get(firm.pk, {"total": 0, "passed": 0})
    rates = {
        "accident_rate": per_hundred(accidents, n),
        "failure_rate": per_hundred(failures, n),
        "complaint_rate": per_hundred(complaints, n),
        "first_pass_rate": pass_rate_percent(first_inspections=first["total"], first_passes=first["passed"]),
    }
    score = credit_score(
        first_pass_rate=rates["first_pass_rate"],
        failure_rate=rates["failure_rate"],
        complaint_rate=rates["complaint_rate"],
        accidents=accidents,
    )
    reasons = credit_veto_reasons(licence_valid_until=firm.licence_valid_until, accidents=accidents, today=today)
    events = (
        [_accident_event(f) for f in accident_faults]
        + counts.failure_events.get(firm.pk, [])
        + counts.failed_first.get(firm.pk, [])
    )
    events.sort(key=lambda e: (e["date"], e["kind"], e["registration_code"]))
    return CreditEvaluation(
        firm=firm,
        period=period,
        window_start=since,
        window_end=today,
        elevators=n,
        accidents=accidents,
        failures=failures,
        complaints=complaints,
        first_inspections=first["total"],
        first_passes=first["passed"],
        score=score,
        grade=Grade.D if reasons else credit_grade(score),
        capped_reason="；".join(reasons)[:200],
        events=events,
        **rates,
    )


_UPDATED_FIELDS = [
    "window_start",
    "window_end",
    "elevators",
    "accidents",
    "failures",
    "complaints",
    "first_inspections",
    "first_passes",
    "accident_rate",
    "failure_rate",
    "complaint_rate",
    "first_pass_rate",
    "score",
    "grade",
    "capped_reason",
    "events",
    "computed_at",
]


def credit_evaluate(*, today: date) -> list[CreditEvaluation]:
    """Evaluate every active maintenance firm for the month of `today` (plan §2(2)); safe to run again.

    One snapshot per firm and month (constraint credit_once_per_firm_month): a re-run the same month updates it,
    earlier months are kept. The queries are the same few whatever the number of firms and elevators.
    """
    since, until = last_12_months(today)
    period = today.replace(day=1)
    firms = list(Organization.objects.filter(kind=OrganizationKind.MAINTENANCE, is_active=True).order_by("pk"))
    with translation.override("zh-hans"):  # the stored reasons are Chinese, whoever runs the job
        counts = _counts(since=since, until=until)
        evaluations = [
            _evaluate_firm(firm=firm, counts=counts, today=today, period=period, since=since) for firm in firms
        ]
    if evaluations:
        # An upsert on (firm, period): idempotent, and safe against a concurrent run of the same job.
        with transaction.atomic():
            CreditEvaluation.objects.bulk_create(
                evaluations, update_conflicts=True, unique_fields=["firm", "period"], update_fields=_UPDATED_FIELDS
            )
    return evaluations
