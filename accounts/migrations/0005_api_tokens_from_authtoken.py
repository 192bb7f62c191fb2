"""DRF's clear-text tokens (rest_framework.authtoken, no longer installed) become hashed ApiTokens (issue 14).

Each existing key keeps working (clients send the same `Authorization: Token <key>`): its SHA-256 and first 8
characters are stored, with an expiry API_TOKEN_DAYS from now; then the clear keys are deleted. The authtoken table
is read with SQL, as its app is no longer installed; a database that never had it has nothing to move.
Not reversible in content: the clear keys are gone (going back leaves the hashed tokens and an empty authtoken table).
"""

import hashlib
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import migrations
from django.utils import timezone

LEGACY_TABLE = "authtoken_token"


def _aware(moment):
    if not isinstance(moment, datetime):
        return None
    return timezone.make_aware(moment, UTC) if timezone.is_naive(moment) else moment


def hash_legacy_tokens(apps, schema_editor):
    connection = schema_editor.connection
    if LEGACY_TABLE not in connection.introspection.table_names():
        return
    ApiToken = apps.get_model("accounts", "ApiToken")
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT "key", "user_id", "created" FROM {LEGACY_TABLE}')
        rows = cursor.fetchall()
    now = timezone.now()
    expires = now + timedelta(days=settings.API_TOKEN_DAYS)
    ApiToken.objects.bulk_create(
        [
            ApiToken(
                user_id=user_id,
                name="DRF token (migrated)",
                prefix=key[:8],
                key_hash=hashlib.sha256(key.encode()).hexdigest(),
                created_at=_aware(created) or now,
                expires_at=expires,
            )
            for key, user_id, created in rows
        ],
        ignore_conflicts=True,
    )
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {LEGACY_TABLE}")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_api_token"),
    ]

    operations = [
        migrations.RunPython(hash_legacy_tokens, migrations.RunPython.noop, elidable=False),
    ]
