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
    return (access.maintenance_records_for(user)
            .filter(tier__in=ROUTINE_TIERS, started_at__gte=start, started_at__lt=end)
            .annotate(duration=ExpressionWrapper(F("ended_at") - F("started_at"), output_field=DurationField()))
            .filter(duration__lt=timedelta(minutes=settings.MAINTENANCE_MIN_VISIT_MINUTES))
            .select_related("elevator", "firm").order_by("-started_at"))


def reused_photos(*, user, since: date, until: date) -> list[dict]:
    """One file (same SHA-256) attached to two or more different records."""
    start, end = day_bounds(since, until)
    records = access.maintenance_records_for(user).filter(started_at__gte=start, started_at__lt=end)
    dupes = (Attachment.objects.filter(record__in=records).values("sha256")
             .annotate(records=Count("record", distinct=True)).filter(records__gt=1))
    rows = (Attachment.objects.filter(sha256__in=dupes.values("sha256"), record__in=records)
            .select_related("record__elevator", "record__firm").order_by("sha256", "record__started_at"))
    groups: dict[str, list] = {}
    for attachment in rows:
        groups.setdefault(attachment.sha256, []).append(attachment.record)
    return [{"sha256": digest, "records": recs} for digest, recs in groups.items()]


def overlapping_workers(*, user, since: date, until: date) -> list[dict]:
    """One worker on two records at different elevators whose times overlap (one self-join)."""
    start, end = day_bounds(since, until)
    through = MaintenanceRecord.workers.through._meta.db_table
    record = MaintenanceRecord._meta.db_table
    sql = f"""
        SELECT w1.person_id, r1.id, r2.id
        FROM {through} w1
        JOIN {through} w2 ON w2.person_id = w1.person_id AND w2.maintenancerecord_id > w1.maintenancerecord_id
        JOIN {record} r1 ON r1.id = w1.maintenancerecord_id
        JOIN {record} r2 ON r2.id = w2.maintenancerecord_id
        WHERE r1.started_at < r2.ended_at AND r2.started_at < r1.ended_at AND r1.elevator_id <> r2.elevator_id
          AND r1.started_at >= %s AND r1.started_at < %s
        ORDER BY r1.started_at"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [connection.ops.adapt_datetimefield_value(start),
                             connection.ops.adapt_datetimefield_value(end)])
        pairs = cursor.fetchall()
    ids = {rid for _, a, b in pairs for rid in (a, b)}
    visible = {r.pk: r for r in access.maintenance_records_for(user).filter(pk__in=ids)
               .select_related("elevator", "firm").prefetch_related("workers")}
    workers = {p.pk: p.name for r in visible.values() for p in r.workers.all()}
    return [{"worker": workers.get(person_id, ""), "first": visible[a], "second": visible[b]}
            for person_id, a, b in pairs if a in visible and b in visible]
