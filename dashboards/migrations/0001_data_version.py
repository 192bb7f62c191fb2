"""The dashboards" data version (bench/README.md): cached figures are keyed by a counter that every change to the tables
behind them raises, in the changing transaction itself, so no cached figure outlives its data.

PostgreSQL statement-level triggers do the raising: they catch every write, including `QuerySet.update()`,
bulk inserts and raw SQL, which Django signals would miss. One UPDATE per statement, not per row. SQLite gets the
table but no triggers, and the dashboards there are computed afresh each time.
"""

from django.db import migrations, models

TABLES = ["registry_elevator", "registry_district", "maintenance_fault", "maintenance_creditevaluation"]

FUNCTION = """
CREATE OR REPLACE FUNCTION portal_dashboard_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO dashboards_dataversion (name, version) VALUES ('dashboard', 1)
    ON CONFLICT (name) DO UPDATE SET version = dashboards_dataversion.version + 1;
    RETURN NULL;
END
$$
"""


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION)
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS dashboard_changed ON {table}")
        schema_editor.execute(
            f"CREATE TRIGGER dashboard_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION portal_dashboard_changed()"
        )


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS dashboard_changed ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS portal_dashboard_changed()")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("registry", "0005_bigram_search"),
        ("maintenance", "0003_fault_external_ref_once"),
    ]

    operations = [
        migrations.CreateModel(
            name="DataVersion",
            fields=[
                ("name", models.CharField(max_length=32, primary_key=True, serialize=False)),
                ("version", models.BigIntegerField(default=0)),
            ],
            options={
                "verbose_name": "data version",
            },
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
