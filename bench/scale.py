"""A year of synthetic history for the synthetic elevators of `generate_scale_data` (for the benchmarks,
bench/README.md).

Everything is written by `INSERT … SELECT` inside PostgreSQL, so a million elevators get their 24 million
maintenance records in minutes rather than hours, and nothing crosses the wire row by row. The data is
deterministic for a seed and a day: every "random" choice is a hash of the elevator's registration code, the seed
and a salt (`hashtextextended`/`hashint8extended`), never `random()`.

What one elevator gets, on average, over the 12 months to `today`:
- maintenance records every ~15 days (TSG T5002-2017 tiers: half-monthly, quarterly every 6th, half-yearly every
  12th, yearly once), all confirmed, by the firm's worker who looks after it; 2 % of elevators miss their last
  visit, so the overdue job has work (特种设备安全监察条例 §31);
- 0.5 faults (a fifth of them entrapments, with dispatch/arrival/release times), 0.1 complaints (mostly closed,
  the recent ones still open), one periodic inspection that matches `inspection_valid_until`;
- a contract between its use unit and its firm.

Firms get one synthetic worker per 60 elevators (a worker's 60 elevators × 24 visits fill about four one-hour
visits a working day): each worker's visits are laid out day by day and hour by hour, so no worker is in two
places at once and the integrity checks see a clean city, as they would in a well-run one.
"""

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import connection

from accounts.models import User
from registry.choices import ElevatorStatus, PersonKind

SYNTHETIC_REGEX = r"[5-9][0-9]{3}$"  # sequence numbers from registry.demo.SCALE_SEQUENCE_START up
ELEVATORS_PER_WORKER = 60
VISIT_INTERVAL_DAYS = 15
VISITS_PER_YEAR = 24
OVERDUE_PERCENT = 2
CONTRACT_PREFIX = "SCALE-"
PERSON_PREFIX = "SCALE-W"
INSPECTION_PREFIX = "SCALE-R"

# The tables `history_delete` empties for synthetic elevators, children first.
_DELETES = [
    # maintenance
    "DELETE FROM maintenance_maintenancerecord_workers WHERE maintenancerecord_id IN "
    "(SELECT id FROM maintenance_maintenancerecord WHERE elevator_id IN (SELECT id FROM scale_old))",
    "DELETE FROM maintenance_recorditem WHERE record_id IN "
    "(SELECT id FROM maintenance_maintenancerecord WHERE elevator_id IN (SELECT id FROM scale_old))",
    "DELETE FROM maintenance_attachment WHERE record_id IN "
    "(SELECT id FROM maintenance_maintenancerecord WHERE elevator_id IN (SELECT id FROM scale_old))",
    "DELETE FROM maintenance_maintenancerecord WHERE elevator_id IN (SELECT id FROM scale_old)",
    "DELETE FROM maintenance_fault WHERE elevator_id IN (SELECT id FROM scale_old)",
    "DELETE FROM maintenance_contractelevator WHERE elevator_id IN (SELECT id FROM scale_old)",
    f"DELETE FROM maintenance_maintenancecontract WHERE number LIKE '{CONTRACT_PREFIX}%' "
    "AND NOT EXISTS (SELECT 1 FROM maintenance_contractelevator c "
    "WHERE c.contract_id = maintenance_maintenancecontract.id)",
    # complaints (the bench's intake adds some to synthetic elevators too)
    "UPDATE complaints_complaint SET duplicate_of_id = NULL WHERE duplicate_of_id IN "
    "(SELECT id FROM complaints_complaint WHERE elevator_id IN (SELECT id FROM scale_old))",
    "DELETE FROM complaints_complaintevent WHERE complaint_id IN "
    "(SELECT id FROM complaints_complaint WHERE elevator_id IN (SELECT id FROM scale_old))",
    "DELETE FROM complaints_complaintphoto WHERE complaint_id IN "
    "(SELECT id FROM complaints_complaint WHERE elevator_id IN (SELECT id FROM scale_old))",
    "DELETE FROM complaints_complaint_co_departments WHERE complaint_id IN "
    "(SELECT id FROM complaints_complaint WHERE elevator_id IN (SELECT id FROM scale_old))",
    "DELETE FROM complaints_complaint WHERE elevator_id IN (SELECT id FROM scale_old)",
    # inspections
    "DELETE FROM inspections_inspection_inspectors WHERE inspection_id IN "
    "(SELECT id FROM inspections_inspection WHERE elevator_id IN (SELECT id FROM scale_old))",
    "DELETE FROM inspections_defect WHERE inspection_id IN "
    "(SELECT id FROM inspections_inspection WHERE elevator_id IN (SELECT id FROM scale_old))",
    "DELETE FROM inspections_inspection WHERE elevator_id IN (SELECT id FROM scale_old)",
    "DELETE FROM inspections_inspectionapplication_inspectors WHERE inspectionapplication_id IN "
    "(SELECT id FROM inspections_inspectionapplication WHERE elevator_id IN (SELECT id FROM scale_old))",
    "DELETE FROM inspections_inspectionapplication WHERE elevator_id IN (SELECT id FROM scale_old)",
    # jobs' own rows
    "DELETE FROM notifications_reminder WHERE elevator_id IN (SELECT id FROM scale_old)",
    "DELETE FROM registry_riskflag WHERE elevator_id IN (SELECT id FROM scale_old)",
    # synthetic workers, once no record names them
    f"DELETE FROM notifications_reminder WHERE person_id IN "
    f"(SELECT id FROM registry_person WHERE certificate_no LIKE '{PERSON_PREFIX}-%')",
    f"DELETE FROM registry_person WHERE certificate_no LIKE '{PERSON_PREFIX}-%'",
]


@dataclass
class HistoryCounts:
    workers: int = 0
    contracts: int = 0
    records: int = 0
    faults: int = 0
    complaints: int = 0
    inspections: int = 0


def history_supported() -> bool:
    return connection.vendor == "postgresql"


def history_delete() -> None:
    """Remove every row that hangs off a synthetic elevator, so that the elevators themselves can go.

    Synthetic records are confirmed, and the database refuses to delete a confirmed record (maintenance migration
    0007, README "no path"): a superuser (as in the bench) skips that trigger for these deletes, as pg_restore
    --disable-triggers does; anyone else gets the trigger's error. Call it inside a transaction."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if cursor.fetchone()[0]:
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("DROP TABLE IF EXISTS scale_old")
        cursor.execute(
            "CREATE TEMP TABLE scale_old AS SELECT id FROM registry_elevator WHERE registration_code ~ %s",
            [SYNTHETIC_REGEX],
        )
        for statement in _DELETES:
            cursor.execute(statement)
        cursor.execute("DROP TABLE scale_old")
        cursor.execute("SET LOCAL session_replication_role = DEFAULT")  # the elevators' delete fires the rest


def history_build(*, today: date, seed: int, progress=lambda step: None) -> HistoryCounts:
    """Write a year of history for every synthetic elevator (which must have none yet)."""
    system = User.objects.filter(is_superuser=True).order_by("pk").values_list("pk", flat=True).first()
    if system is None:
        raise RuntimeError("generate_scale_data needs a superuser (run seed_demo first)")
    params = {
        "today": today,
        "seed": seed,
        "tz": settings.TIME_ZONE,
        "system": system,
        "in_use": ElevatorStatus.IN_USE,
        "worker": PersonKind.MAINTENANCE_WORKER,
        "inspector": PersonKind.INSPECTOR,
        "per_worker": ELEVATORS_PER_WORKER,
        "interval": VISIT_INTERVAL_DAYS,
        "visits": VISITS_PER_YEAR,
        "overdue": OVERDUE_PERCENT,
    }
    counts = HistoryCounts()
    with connection.cursor() as cursor:

        def run(step: str, sql: str) -> int:
            progress(step)
            cursor.execute(sql, params)
            return cursor.rowcount

        # Every foreign key here is DEFERRABLE INITIALLY DEFERRED (Django's default on PostgreSQL), so COMMIT would
        # re-check each of the ~200 million references one by one (at L, longer than the inserts). The rows are
        # made by joins on existing keys, so when allowed (a superuser, as in the bench) the checks are skipped
        # for this transaction, as pg_restore --disable-triggers does; otherwise they run.
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if cursor.fetchone()[0]:
            cursor.execute("SET LOCAL session_replication_role = replica")
        # The synthetic elevators, with a hash each and their rank among their firm's elevators.
        run(
            "elevators",
            """
            DROP TABLE IF EXISTS scale_e;
            CREATE TEMP TABLE scale_e AS
            SELECT e.id, hashtextextended(e.registration_code, %(seed)s) AS h, e.maintenance_firm_id AS firm_id,
                   e.use_unit_id, e.installer_id, e.district_id, e.address, e.status, e.inspection_valid_until,
                   e.inspection_failed,
                   (row_number() OVER (PARTITION BY e.maintenance_firm_id ORDER BY e.registration_code) - 1)::int AS rk,
                   row_number() OVER (ORDER BY e.registration_code) AS n
            FROM registry_elevator e WHERE e.registration_code ~ '[5-9][0-9]{3}$';
            ANALYZE scale_e;
        """,
        )
        counts.workers = run(
            "workers",
            f"""
            INSERT INTO registry_person (name, kind, certificate_no, certificate_valid_until, phone, organization_id)
            SELECT '规模测试维保员' || f.firm_id || '-' || n, %(worker)s, '{PERSON_PREFIX}-' || f.firm_id || '-' || n,
                   %(today)s::date + 60 + (n * 37) %% 700, '', f.firm_id
            FROM (SELECT firm_id, count(*) AS c FROM scale_e WHERE firm_id IS NOT NULL GROUP BY firm_id) f
            CROSS JOIN LATERAL generate_series(0, ((f.c - 1) / %(per_worker)s)::int) n
        """,
        )
        run(
            "worker map",
            f"""
            DROP TABLE IF EXISTS scale_w;
            CREATE TEMP TABLE scale_w AS
            SELECT organization_id AS firm_id, split_part(certificate_no, '-', 4)::int AS n, id AS person_id
            FROM registry_person WHERE certificate_no LIKE '{PERSON_PREFIX}-%%';
            CREATE UNIQUE INDEX ON scale_w (firm_id, n);
            ANALYZE scale_w;
        """,
        )
        counts.contracts = run(
            "contracts",
            f"""
            INSERT INTO maintenance_maintenancecontract (number, starts_on, ends_on, status, created_at,
                                                         created_by_id, firm_id, use_unit_id)
            SELECT '{CONTRACT_PREFIX}' || firm_id || '-' || use_unit_id, %(today)s::date - 365, %(today)s::date + 365,
                   'active', now(), %(system)s, firm_id, use_unit_id
            FROM (SELECT DISTINCT firm_id, use_unit_id FROM scale_e
                  WHERE firm_id IS NOT NULL AND use_unit_id IS NOT NULL) pairs
            ON CONFLICT (number) DO NOTHING
        """,
        )
        run(
            "contract coverage",
            f"""
            INSERT INTO maintenance_contractelevator (active, elevator_id, contract_id)
            SELECT true, e.id, c.id FROM scale_e e
            JOIN maintenance_maintenancecontract c
              ON c.number = '{CONTRACT_PREFIX}' || e.firm_id || '-' || e.use_unit_id
        """,
        )
        # Visit g of an elevator: its worker's 60 elevators share each 15-day window, four a day, one an hour
        # from 08:30, so the worker is never in two places at once. 2 % of elevators miss their last visit.
        counts.records = run(
            "maintenance records",
            """
            INSERT INTO maintenance_maintenancerecord (tier, started_at, ended_at, note, status, confirmed_at,
                created_at, confirmed_by_id, corrects_id, created_by_id, elevator_id, firm_id, signed_by_id)
            SELECT CASE WHEN g = %(visits)s - 1 THEN 'yearly' WHEN g %% 12 = 11 THEN 'half_yearly'
                        WHEN g %% 6 = 5 THEN 'quarterly' ELSE 'half_monthly' END,
                   v.started_at, v.started_at + interval '50 minutes', '', 'confirmed',
                   v.started_at + interval '1 day', v.started_at + interval '2 hours', %(system)s, NULL, %(system)s,
                   e.id, e.firm_id, w.person_id
            FROM scale_e e
            JOIN scale_w w ON w.firm_id = e.firm_id AND w.n = e.rk / %(per_worker)s
            CROSS JOIN generate_series(0, %(visits)s - 1) g
            CROSS JOIN LATERAL (SELECT ((%(today)s::date - %(interval)s * %(visits)s + %(interval)s * g
                                         + (e.rk %% %(per_worker)s) %% %(interval)s)::timestamp
                                        + interval '8 hours 30 minutes'
                                        + ((e.rk %% %(per_worker)s) / %(interval)s) * interval '1 hour')
                                       AT TIME ZONE %(tz)s AS started_at) v
            WHERE NOT (g = %(visits)s - 1 AND abs(e.h) %% 100 < %(overdue)s)
        """,
        )
        run(
            "record workers",
            """
            INSERT INTO maintenance_maintenancerecord_workers (maintenancerecord_id, person_id)
            SELECT r.id, r.signed_by_id FROM maintenance_maintenancerecord r JOIN scale_e e ON e.id = r.elevator_id
        """,
        )
        # The day of each elevator's last visit, by the same formula as the records (no pass over them).
        run(
            "last maintenance",
            """
            UPDATE registry_elevator SET last_maintenance_on =
                %(today)s::date - %(interval)s * %(visits)s + (e.rk %% %(per_worker)s) %% %(interval)s
                + %(interval)s * (%(visits)s - CASE WHEN abs(e.h) %% 100 < %(overdue)s THEN 2 ELSE 1 END)
            FROM scale_e e JOIN scale_w w ON w.firm_id = e.firm_id AND w.n = e.rk / %(per_worker)s
            WHERE registry_elevator.id = e.id
        """,
        )
        # About 0.5 faults per elevator a year: two chances at 1 in 4; a fifth are entrapments.
        counts.faults = run(
            "faults",
            """
            INSERT INTO maintenance_fault (source, kind, cause, description, trapped_people, reported_at,
                acknowledged_at, dispatched_at, arrived_at, released_at, reports, external_ref, created_at,
                created_by_id, elevator_id, firm_id)
            SELECT (ARRAY['iot', 'hotline', 'firm', 'complaint'])[1 + x.r %% 4],
                   CASE WHEN x.r %% 5 = 0 THEN 'entrapment'
                        ELSE (ARRAY['stopped', 'door', 'noise', 'other'])[1 + (x.r / 5) %% 4] END,
                   (ARRAY['external', 'human', 'door_system', 'unknown'])[1 + (x.r / 7) %% 4],
                   '', CASE WHEN x.r %% 5 = 0 THEN 1 + (x.r / 11) %% 3 ELSE 0 END,
                   x.at, x.at + interval '2 minutes', x.at + interval '3 minutes',
                   x.at + (8 + (x.r / 13) %% 30) * interval '1 minute',
                   x.at + (30 + (x.r / 17) %% 60) * interval '1 minute', 1, '', x.at, NULL, e.id, e.firm_id
            FROM scale_e e CROSS JOIN generate_series(0, 1) g
            CROSS JOIN LATERAL (SELECT abs(hashint8extended(e.h # (g + 101), %(seed)s)) AS r) hr
            CROSS JOIN LATERAL (SELECT hr.r AS r,
                                       (%(today)s::date - 1 - ((hr.r / 19) %% 364)::int)::timestamp AT TIME ZONE %(tz)s
                                       + ((hr.r / 23) %% 1440) * interval '1 minute' AS at) x
            WHERE hr.r %% 4 = 0
        """,
        )
        # About 0.1 complaints per elevator a year, routed by the routing table; older ones are closed.
        counts.complaints = run(
            "complaints",
            """
            INSERT INTO complaints_complaint (tracking_no, address, category, description, trapped_now, contact_name,
                contact_phone, contact_email, source, partner, status, answer, reject_reason, rating,
                accept_deadline, resolve_deadline, accepted_at, resolved_at, closed_at, escalated_at,
                escalation_run, submitter_hash, created_at, updated_at, department_id, district_id,
                duplicate_of_id, elevator_id)
            SELECT 'TS' || to_char(x.at AT TIME ZONE %(tz)s, 'YYYYMMDD') || lpad(e.n::text, 10, '0'),
                   e.address, x.category, '电梯运行异常，请尽快处理。', false, '', '', '', 'web', '',
                   x.status, CASE WHEN x.status IN ('resolved', 'closed') THEN '已安排维保单位处理完毕。' ELSE '' END,
                   CASE WHEN x.status = 'rejected' THEN '不属于本部门职责。' ELSE '' END,
                   CASE WHEN x.status = 'closed' THEN 3 + x.r %% 3 END,
                   x.at + interval '1 day', x.at + interval '15 days',
                   CASE WHEN x.status NOT IN ('submitted', 'rejected') THEN x.at + interval '5 hours' END,
                   CASE WHEN x.status IN ('resolved', 'closed') THEN x.at + interval '6 days' END,
                   CASE WHEN x.status = 'closed' THEN x.at + interval '8 days' END,
                   NULL, NULL, '', x.at, x.at, rr.department_id, e.district_id, NULL, e.id
            FROM scale_e e
            CROSS JOIN LATERAL (SELECT abs(hashint8extended(e.h # 211, %(seed)s)) AS r) hr
            CROSS JOIN LATERAL (
                SELECT hr.r AS r,
                       (ARRAY['breakdown', 'breakdown', 'breakdown', 'entrapment', 'maintenance_quality',
                              'maintenance_quality', 'use_management', 'inspection_overdue', 'no_signal',
                              'vandalism'])[1 + (hr.r / 10) %% 10] AS category,
                       (%(today)s::date - 1 - ((hr.r / 100) %% 364)::int)::timestamp AT TIME ZONE %(tz)s
                       + ((hr.r / 7) %% 720 + 420) * interval '1 minute' AS at,
                       CASE WHEN (hr.r / 100) %% 364 < 10
                            THEN (ARRAY['submitted', 'accepted', 'in_progress'])[1 + (hr.r / 3) %% 3]
                            ELSE (ARRAY['closed', 'closed', 'closed', 'closed', 'closed', 'closed', 'closed',
                                        'closed', 'resolved', 'rejected'])[1 + (hr.r / 3) %% 10] END AS status) x
            JOIN departments_routingrule rr ON rr.category = x.category
            WHERE hr.r %% 10 = 0
        """,
        )
        # One periodic inspection a year, matching the registry's validity and result.
        counts.inspections = run(
            "inspections",
            f"""
            INSERT INTO inspections_inspection (kind, inspected_on, result, report_no, report_file, conclusion,
                valid_until, created_at, agency_id, elevator_id, installer_id, maintenance_firm_id, recorded_by_id,
                application_id)
            SELECT 'periodic', e.inspection_valid_until - 365,
                   CASE WHEN e.inspection_failed THEN 'failed' ELSE 'passed' END,
                   '{INSPECTION_PREFIX}' || %(seed)s || '-' || e.n, '', '',
                   e.inspection_valid_until, (e.inspection_valid_until - 365)::timestamp AT TIME ZONE %(tz)s,
                   a.agencies[1 + abs(e.h) %% array_length(a.agencies, 1)], e.id, e.installer_id, e.firm_id,
                   %(system)s, NULL
            FROM scale_e e
            CROSS JOIN (SELECT array_agg(id ORDER BY id) AS agencies FROM registry_organization
                        WHERE kind = 'inspection') a
            WHERE e.inspection_valid_until IS NOT NULL AND e.inspection_valid_until - 365 <= %(today)s::date
        """,
        )
        run(
            "inspectors",
            f"""
            INSERT INTO inspections_inspection_inspectors (inspection_id, person_id)
            SELECT i.id, p.person_id FROM inspections_inspection i
            JOIN (SELECT organization_id, min(id) AS person_id FROM registry_person WHERE kind = %(inspector)s
                  GROUP BY organization_id) p ON p.organization_id = i.agency_id
            WHERE i.report_no LIKE '{INSPECTION_PREFIX}%%'
        """,
        )
        run("clean up", "DROP TABLE scale_e; DROP TABLE scale_w")
    return counts
