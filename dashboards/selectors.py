"""Reads of the regulators' dashboards (docs/rules.md "Journey 3: a regulator reads dashboards").

Every figure is a database aggregate over the rows the user may see (accounts.access), optionally narrowed to one
district, and uses the same rule as the list it links to (registry ElevatorFilterSet, FaultFilterSet,
ComplaintFilterSet, the credit ranking), so the number on a card is the number of rows behind its link.

`dashboard_numbers` issues a fixed handful of queries whatever the number of rows:
  1. districts in scope (labels and codes);
  2. elevators grouped by district, type and status, with filtered counts for age bands, inspection status and
     maintenance overdue (the groups are bounded by the choices, not by the rows);
  3. faults grouped by month, with entrapments, arrivals within the district's limit and accidents;
  4. complaints grouped by category and lead department, with open and overdue counts;
  5. maintenance-firm grades of the latest evaluated month (the credit ranking);
  6. elevators in use grouped by district with those insured today (plan §2(12), liability insurance coverage:
     preparedness.selectors.insurance.coverage_by_district, the figures of the regulators' list it links to).
"""

import hashlib
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Q, Subquery
from django.db.models.functions import TruncMonth
from django.utils import timezone

from accounts import access
from complaints.choices import OPEN_STATUSES
from complaints.selectors import complaint_overdue_q
from departments.choices import Category

# The arrival-within-limit rule as SQL, from the module that owns it (TSG T5002 §5), so the monthly figures and
# fault_statistics never disagree; fault_statistics itself groups by district, not by month.
from elevator_portal.dates import day_bounds
from maintenance.choices import FaultKind, Grade
from maintenance.faults.rules import accident_q, within_limit_q
from maintenance.models import CreditEvaluation
from preparedness.selectors.insurance import coverage_by_district
from registry.choices import ElevatorStatus, ElevatorType, InspectionStatus
from registry.models import District
from registry.states import inspection_status_q, maintenance_overdue_q

from .models import DataVersion

logger = logging.getLogger(__name__)

# Age bands by years since commissioning (plan §2(4): lifts over 15 years in use go under key monitoring).
AGE_BANDS = (("lt5", 0, 5), ("5to10", 5, 10), ("10to15", 10, 15), ("ge15", 15, None))
INSPECTION_KEYS = ("valid", "expiring", "expired", "failed", "unknown")


def years_ago(today: date, years: int) -> date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def age_band_bounds(today: date) -> dict[str, tuple[date | None, date | None]]:
    """Per band, (commissioned_after, commissioned_before), both inclusive, as the registry list filters take
    them: an elevator is under N years old when it was commissioned after the day N years ago."""
    bounds = {}
    for key, low, high in AGE_BANDS:
        after = years_ago(today, high) + timedelta(days=1) if high is not None else None
        before = years_ago(today, low) if low else None
        bounds[key] = (after, before)
    return bounds


def _band_q(after: date | None, before: date | None) -> Q:
    q = Q(commission_date__isnull=False)
    if after is not None:
        q &= Q(commission_date__gte=after)
    if before is not None:
        q &= Q(commission_date__lte=before)
    return q


def dashboard_districts(*, user) -> list[District]:
    """The districts a user may choose on the dashboard (accounts.access.districts_for)."""
    return list(access.districts_for(user))


@dataclass(frozen=True)
class MonthRange:
    month: date  # first day of the month
    since: date  # the part of the month inside the chosen range
    until: date


def _months(since: date, until: date) -> list[MonthRange]:
    result, month = [], since.replace(day=1)
    while month <= until:
        following = (month + timedelta(days=32)).replace(day=1)
        result.append(MonthRange(month=month, since=max(month, since), until=min(following - timedelta(days=1), until)))
        month = following
    return result


def _data_version(scope: str | None) -> int | None:
    """The current data version, or None when figures are not cached (SQLite, or a user who sees nothing)."""
    if connection.vendor != "postgresql" or scope is None or not settings.DASHBOARD_CACHE_SECONDS:
        return None
    return DataVersion.objects.filter(name="dashboard").values_list("version", flat=True).first() or 0


def _cached(version: int | None, key: tuple, compute):
    """`compute()`'s rows, from the cache when the data behind them has not changed since they were stored.

    The version (dashboards.models.DataVersion) is raised by PostgreSQL triggers in the very transaction that
    changes an elevator, district, fault or credit grade: a changed registry is a new key, so a cached figure is
    never stale. The version is read before computing, so what is stored is at least as new as its key. Without
    a version (SQLite) nothing is cached; the key names the rows the user may see (access.scope_key). Complaint
    figures are not cached at all: they depend on the clock (deadlines pass) and change with every complaint filed.
    """
    if version is None:
        return compute()
    # The rules' settings are part of the key too: a changed arrival limit, window or interval is a new figure.
    rules = (
        settings.INSPECTION_EXPIRING_DAYS,
        settings.MAINTENANCE_INTERVAL_DAYS,
        sorted(settings.RESCUE_ARRIVAL_MINUTES.items()),
        settings.RESCUE_ARRIVAL_DEFAULT_MINUTES,
        settings.ENTRAPMENT_ACCIDENT_MINUTES,
    )
    digest = hashlib.sha256(repr((version, key, rules)).encode()).hexdigest()[:32]
    cache_key = f"dashboard:{digest}"
    try:
        rows = cache.get(cache_key)
    except Exception:  # noqa: BLE001 - the cache (Redis) is down: the figures are computed, the page still answers
        logger.warning("dashboard cache unreachable; computing the figures", exc_info=True)
        return compute()
    if rows is None:
        rows = compute()
        try:
            cache.set(cache_key, rows, settings.DASHBOARD_CACHE_SECONDS)
        except Exception:  # noqa: BLE001 - as above
            logger.warning("dashboard cache unreachable; figures not stored", exc_info=True)
    return rows


def dashboard_numbers(
    *,
    user,
    district: District | None = None,
    since: date,
    until: date,
    today: date | None = None,
    now: datetime | None = None,
    districts: list[District] | None = None,
) -> dict:
    """The dashboard's figures for `user` (city-wide, or narrowed to `district`), faults from `since` to `until`
    (local dates, inclusive). Six queries (see the module docstring); five when the caller passes the
    `dashboard_districts` it already loaded."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    if districts is None:
        districts = dashboard_districts(user=user)
    if district is not None:
        districts = [d for d in districts if d.pk == district.pk]

    elevators = access.elevators_for(user)
    faults = access.faults_for(user)
    complaints = access.complaints_for(user)
    if district is not None:
        elevators = elevators.filter(district_id=district.pk)
        faults = faults.filter(elevator__district_id=district.pk)
        complaints = complaints.filter(district_id=district.pk)

    # -- elevators: one grouped query (district × type × status), rolled up below
    bands = age_band_bounds(today)
    counts = {f"age_{key}": Count("id", filter=_band_q(*bands[key])) for key, _low, _high in AGE_BANDS}
    # 特种设备安全法 §40: only elevators in use must hold a valid inspection (the cards link with status=in_use).
    in_use = Q(status=ElevatorStatus.IN_USE)
    counts.update(
        {f"insp_{key}": Count("id", filter=in_use & inspection_status_q(key, today=today)) for key in INSPECTION_KEYS}
    )
    scope = access.scope_key(user)
    version = _data_version(scope)
    rows = _cached(
        version,
        ("elevators", scope, district and district.pk, today),
        lambda: list(
            elevators.order_by()
            .values("district_id", "elevator_type", "status")
            .annotate(
                total=Count("id"), maintenance_overdue=Count("id", filter=maintenance_overdue_q(today=today)), **counts
            )
        ),
    )
    by_district = defaultdict(lambda: defaultdict(int))
    by_type, by_status, age, insp = defaultdict(int), defaultdict(int), defaultdict(int), defaultdict(int)
    total = maintenance_overdue = in_use = 0
    for row in rows:
        n = row["total"]
        total += n
        by_type[row["elevator_type"]] += n
        by_status[row["status"]] += n
        maintenance_overdue += row["maintenance_overdue"]
        d = by_district[row["district_id"]]
        d["total"] += n
        d["maintenance_overdue"] += row["maintenance_overdue"]
        if row["status"] == ElevatorStatus.IN_USE:
            in_use += n
            d["in_use"] += n
        for key, _low, _high in AGE_BANDS:
            age[key] += row[f"age_{key}"]
        for key in INSPECTION_KEYS:
            insp[key] += row[f"insp_{key}"]
            d[key] += row[f"insp_{key}"]
    age_unknown = total - sum(age.values())
    district_rows = [
        {
            "id": d.pk,
            "code": d.code,
            "name": d.name,
            "total": by_district[d.pk]["total"],
            "in_use": by_district[d.pk]["in_use"],
            "maintenance_overdue": by_district[d.pk]["maintenance_overdue"],
            **{key: by_district[d.pk][key] for key in INSPECTION_KEYS},
        }
        for d in districts
    ]

    # -- faults and entrapments per month (TSG T5002 §5 arrival limit, 条例 §64 accidents: the rules of
    # maintenance.faults). An entrapment open 2 hours becomes an accident with the clock alone, which raises no data
    # version: the figures cached before it stay until the alert job marks it (accident_at, every 5 minutes), a
    # write that raises the version (maintenance.faults.rules.accident_q).
    start, end = day_bounds(since, until)
    fault_rows = {
        row["month"].date() if isinstance(row["month"], datetime) else row["month"]: row
        for row in _cached(
            version,
            ("faults", scope, district and district.pk, since, until),
            lambda: list(
                faults.filter(reported_at__gte=start, reported_at__lt=end)
                .annotate(month=TruncMonth("reported_at"))
                .order_by()
                .values("month")
                .annotate(
                    faults=Count("id"),
                    entrapments=Count("id", filter=Q(kind=FaultKind.ENTRAPMENT)),
                    within=Count("id", filter=Q(kind=FaultKind.ENTRAPMENT) & within_limit_q()),
                    accidents=Count("id", filter=accident_q(now=now)),
                )
            ),
        )
    }
    months = []
    for m in _months(since, until):
        row = fault_rows.get(m.month, {})
        months.append(
            {
                "month": m.month.strftime("%Y-%m"),
                "since": m.since.isoformat(),
                "until": m.until.isoformat(),
                "faults": row.get("faults", 0),
                "entrapments": row.get("entrapments", 0),
                "within": row.get("within", 0),
                "accidents": row.get("accidents", 0),
            }
        )
    fault_total = {key: sum(m[key] for m in months) for key in ("faults", "entrapments", "within", "accidents")}
    fault_total["within_rate"] = (
        fault_total["within"] / fault_total["entrapments"] if fault_total["entrapments"] else None
    )

    # -- complaints by category and lead department (state now: the queue has no date filter)
    overdue_q = complaint_overdue_q(now=now)
    by_category, by_department = defaultdict(lambda: defaultdict(int)), {}
    for row in (
        complaints.order_by()
        .values("category", "department_id", "department__name")
        .annotate(
            total=Count("id"),
            open=Count("id", filter=Q(status__in=OPEN_STATUSES)),
            overdue=Count("id", filter=overdue_q),
        )
    ):
        c = by_category[row["category"]]
        for key in ("total", "open", "overdue"):
            c[key] += row[key]
        dep = by_department.setdefault(
            row["department_id"],
            {"id": row["department_id"], "name": row["department__name"], "total": 0, "open": 0, "overdue": 0},
        )
        for key in ("total", "open", "overdue"):
            dep[key] += row[key]
    complaint_total = {key: sum(c[key] for c in by_category.values()) for key in ("total", "open", "overdue")}

    # -- maintenance-firm grades of the latest evaluated month (public: plan §2(2), §2(11)); the ranking's rows
    latest = Subquery(CreditEvaluation.objects.order_by("-period").values("period")[:1])
    grades = dict(
        CreditEvaluation.objects.filter(period=latest)
        .order_by()
        .values("grade")
        .annotate(n=Count("id"))
        .values_list("grade", "n")
    )

    # -- liability insurance coverage by district (plan §2(12)). Not cached: the data version's triggers (migration
    # 0001) do not watch the policy tables, and cover begins and ends with the calendar, so it is counted afresh
    # each time (one grouped query), like the complaint figures; a new policy shows at once.
    insurance = coverage_by_district(user=user, today=today, district=district, districts=districts)

    return {
        "today": today,
        "since": since,
        "insurance": insurance,
        "until": until,
        "district": district,
        "elevators": {
            "total": total,
            "in_use": in_use,
            "maintenance_overdue": maintenance_overdue,
            "by_district": district_rows,
            "by_type": [
                {"value": v, "label": str(label), "count": by_type[v]}
                for v, label in ElevatorType.choices
                if by_type[v]
            ],
            "by_status": [
                {"value": v, "label": str(label), "count": by_status[v]} for v, label in ElevatorStatus.choices
            ],
            "by_age": [
                {"key": key, "after": bands[key][0], "before": bands[key][1], "count": age[key]}
                for key, _low, _high in AGE_BANDS
            ],
            "age_unknown": age_unknown,
            "inspection": [
                {"value": v, "label": str(label), "count": insp[v]} for v, label in InspectionStatus.choices
            ],
        },
        "faults": {"months": months, "total": fault_total},
        "complaints": {
            "by_category": [
                {"value": v, "label": str(label), **by_category[v]} for v, label in Category.choices if v in by_category
            ],
            "by_department": sorted(by_department.values(), key=lambda d: (-d["total"], d["name"])),
            "total": complaint_total,
        },
        "grades": [{"value": v, "label": str(label), "count": grades.get(v, 0)} for v, label in Grade.choices],
    }
