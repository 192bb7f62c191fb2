"""Two-character searches (bench/README.md): most Chinese place and estate names are two characters long, and pg_trgm
cannot index a pattern shorter than three. A GIN index on the set of each address's two-character pieces
(`portal_bigrams`) answers `q=东区` exactly: a two-character string occurs in a text if and only if it is one of the
text's pieces. PostgreSQL only; registry.selectors.elevator_search_q uses it there.
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION portal_bigrams(text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT substr($1, i, 2)), '{}'::text[])
    FROM generate_series(1, char_length($1) - 1) AS i
$$
"""
INDEXES = {
    "elevator_address_bigram": '"address"',
    "elevator_building_bigram": '"building_name"',
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION)
    for name, column in INDEXES.items():
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "registry_elevator" '
            f"USING gin (portal_bigrams(UPPER({column}::text)))"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')
    schema_editor.execute("DROP FUNCTION IF EXISTS portal_bigrams(text)")


class Migration(migrations.Migration):
    dependencies = [("registry", "0004_search_indexes")]

    operations = [migrations.RunPython(create, drop)]
