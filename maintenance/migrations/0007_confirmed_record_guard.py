"""A database guard for confirmed maintenance records (TSG T5002-2017: records kept 4 years; a correction is a new
record linked to the old one, README "no path").

MaintenanceRecord.save()/delete() refuse a confirmed record, but `QuerySet.update()`, `.delete()` on a queryset of
items and raw SQL go around them. These PostgreSQL row triggers refuse, whatever the path:
- UPDATE or DELETE of a maintenance record whose stored status is 'confirmed' (the app never writes a confirmed row:
  record_confirm turns 'submitted' into 'confirmed', which is allowed, and a correction is a new row whose `corrects`
  points at the old one);
- UPDATE or DELETE of the checklist results, attachments and workers of a confirmed record.
Inserts are not checked (no cost on the bench's bulk inserts). Like every ordinary trigger, these do not fire under
`session_replication_role = replica`, which only a superuser may set (as pg_restore --disable-triggers does).
SQLite has no such triggers; the model's save()/delete() guard stays the only one there.
"""

from django.db import migrations

RECORD_GUARD = """
CREATE OR REPLACE FUNCTION portal_confirmed_record_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'confirmed' THEN
        RAISE EXCEPTION 'maintenance record % is confirmed and cannot be changed or deleted (TSG T5002-2017)', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;
DROP TRIGGER IF EXISTS confirmed_record_guard ON maintenance_maintenancerecord;
CREATE TRIGGER confirmed_record_guard BEFORE UPDATE OR DELETE ON maintenance_maintenancerecord
    FOR EACH ROW EXECUTE FUNCTION portal_confirmed_record_guard();
"""

# The parts of a record: the column naming the record differs by table (TG_ARGV[0]).
PART_GUARD = """
CREATE OR REPLACE FUNCTION portal_confirmed_record_part_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    record_ids bigint[];
BEGIN
    IF TG_OP = 'UPDATE' THEN
        record_ids := ARRAY[(to_jsonb(OLD) ->> TG_ARGV[0])::bigint, (to_jsonb(NEW) ->> TG_ARGV[0])::bigint];
    ELSE
        record_ids := ARRAY[(to_jsonb(OLD) ->> TG_ARGV[0])::bigint];
    END IF;
    IF EXISTS (SELECT 1 FROM maintenance_maintenancerecord
               WHERE id = ANY(record_ids) AND status = 'confirmed') THEN
        RAISE EXCEPTION 'maintenance record % is confirmed: its % cannot be changed or deleted (TSG T5002-2017)',
            (to_jsonb(OLD) ->> TG_ARGV[0]), TG_TABLE_NAME
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;
"""

PARTS = [
    ("maintenance_recorditem", "record_id"),
    ("maintenance_attachment", "record_id"),
    ("maintenance_maintenancerecord_workers", "maintenancerecord_id"),
]


def create_guard(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(RECORD_GUARD, params=None)
    schema_editor.execute(PART_GUARD, params=None)
    for table, column in PARTS:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS confirmed_record_guard ON {table}")
        schema_editor.execute(
            f"CREATE TRIGGER confirmed_record_guard BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION portal_confirmed_record_part_guard('{column}')"
        )


def drop_guard(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in ["maintenance_maintenancerecord", *(t for t, _ in PARTS)]:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS confirmed_record_guard ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS portal_confirmed_record_guard()")
    schema_editor.execute("DROP FUNCTION IF EXISTS portal_confirmed_record_part_guard()")


class Migration(migrations.Migration):
    dependencies = [
        ("maintenance", "0006_fault_acknowledged_at_fault_reports_and_more"),
    ]

    operations = [
        migrations.RunPython(create_guard, drop_guard, elidable=False),
    ]
