"""Integrity checks on paperless records, shown to regulators (plan §2(2): 从严查处以修代保等违法违规行为).

Each check is one set-based query (self-joins in the database), whatever the number of records.
"""

from datetime import date, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Count, DurationField, ExpressionWrapper, F, QuerySet

from accounts import access
from elevator_portal.dates import day_bounds

from .choices import ROUTINE_TIERS
from .models import Attachment, MaintenanceRecord


def short_visits(*, user, since: date, until: date) -> QuerySet:
    """Routine visits shorter than MAINTENANCE_MIN_VISIT_MINUTES."""
    start, end = day_bounds(since, until)
    return (
        access.maintenance_records_for(user)
        .filter(tier__in=ROUTINE_TIERS, started_at__gte=start, started_at__lt=end)
        .annotate(duration=ExpressionWrapper(F("ended_at") - F("started_at"), output_field=DurationField()))
        .filter(duration__lt=timedelta(minutes=settings.MAINTENANCE_MIN_VISIT_MINUTES))
        .select_related("elevator", "firm")
        .order_by("-started_at")
    )


def reused_photos(*, user, since: date, until: date) -> list[dict]:
    """One file (same SHA-256) attached to two or more different records."""
    start, end = day_bounds(since, until)
    records = access.maintenance_records_for(user).filter(started_at__gte=start, started_at__lt=end)
    dupes = (
        Attachment.objects.filter(record__in=records)
        .values("sha256")
        .annotate(records=Count("record", distinct=True))
        .filter(records__gt=1)
    )
    rows = (
        Attachment.objects.filter(sha256__in=dupes.values("sha256"), record__in=records)
        .select_related("record__elevator", "record__firm")
        .order_by("sha256", "record__started_at")
    )
    groups: dict[str, list] = {}
    for attachment in rows:
        groups.setdefault(attachment.sha256, []).append(attachment.record)
    return [{"sha256": digest, "records": recs} for digest, recs in groups.items()]


def overlapping_workers(*, user, since: date, until: date) -> list[dict]:
    """One worker on two records at different elevators whose times overlap.

    Each worker's visits are put in order of start time (a window function: one sort, not a self-join, which at a
    province's 24 million records a year would pair every visit of a worker with every other); a visit that starts
    before the worker's previous visit has ended, at another elevator, is the second place at once.
    """
    start, end = day_bounds(since, until)
    through = MaintenanceRecord.workers.through._meta.db_table
    record = MaintenanceRecord._meta.db_table
    sql = f"""
        WITH visits AS (
            SELECT w.person_id, r.id, r.elevator_id, r.started_at,
                   lag(r.id) OVER worker AS prev_id, lag(r.elevator_id) OVER worker AS prev_elevator,
                   lag(r.started_at) OVER worker AS prev_start, lag(r.ended_at) OVER worker AS prev_end
            FROM {through} w JOIN {record} r ON r.id = w.maintenancerecord_id
            WHERE r.started_at >= %s AND r.started_at < %s
            WINDOW worker AS (PARTITION BY w.person_id ORDER BY r.started_at, r.id))
        SELECT person_id, prev_id, id FROM visits
        WHERE started_at < prev_end AND elevator_id <> prev_elevator AND prev_start >= %s AND prev_start < %s
        ORDER BY prev_start"""
    adapt = connection.ops.adapt_datetimefield_value
    # A visit that starts in the window can overlap one that starts up to a day after it ends.
    with connection.cursor() as cursor:
        cursor.execute(sql, [adapt(start), adapt(end + timedelta(days=1)), adapt(start), adapt(end)])
        pairs = cursor.fetchall()
    ids = {rid for _, a, b in pairs for rid in (a, b)}
    visible = {
        r.pk: r
        for r in access.maintenance_records_for(user)
        .filter(pk__in=ids)
        .select_related("elevator", "firm")
        .prefetch_related("workers")
    }
    workers = {p.pk: p.name for r in visible.values() for p in r.workers.all()}
    return [
        {"worker": workers.get(person_id, ""), "first": visible[a], "second": visible[b]}
        for person_id, a, b in pairs
        if a in visible and b in visible
    ]
