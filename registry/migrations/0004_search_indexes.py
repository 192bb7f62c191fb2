"""Indexes for the elevator list's free-text search `q` (bench/README.md).

Django's `icontains` sends `UPPER(col::text) LIKE UPPER('%…%')` on PostgreSQL; a pg_trgm GIN index on exactly that
expression answers it without reading the table (pg_trgm splits Chinese text into trigrams too, in a UTF-8
database). Plain B-tree indexes cannot serve a `LIKE '%…%'`, so these exist on PostgreSQL only; SQLite, the
embedded default for `make run`, scans its small table instead.
"""

from django.db import migrations

INDEXES = {
    "elevator_address_trgm": 'UPPER("address"::text)',
    "elevator_building_trgm": 'UPPER("building_name"::text)',
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, expression in INDEXES.items():
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "registry_elevator" USING gin (({expression}) gin_trgm_ops)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("registry", "0003_risk_flags")]

    operations = [migrations.RunPython(create, drop)]
