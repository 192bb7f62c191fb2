"""Test settings: the project's settings with a fast hasher, in-process Celery, and private files in a temp dir."""

import os
import tempfile

from elevator_portal.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
MEDIA_ROOT = tempfile.mkdtemp(prefix="elevator-portal-media-")
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
LANGUAGE_CODE = "zh-hans"
# Every test client comes from 127.0.0.1 and the cache lives for the whole run: the tests of wrong tokens must not
# throttle the rest (tests/accounts/test_tokens.py sets its own limit).
API_TOKEN_FAILURES_PER_HOUR = 10_000
STATIC_ROOT = tempfile.mkdtemp(prefix="elevator-portal-static-")

# A file, not memory, for SQLite: the tests that start real worker processes must share the test database.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # One file per test run, so that two runs at once (two developers, CI and a developer) never share it.
    (BASE_DIR / "var").mkdir(exist_ok=True)  # noqa: F405  (a fresh clone has no var/ yet)
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "var" / f"test-db-{os.getpid()}.sqlite3")}  # noqa: F405
