"""Test settings: the project's settings with a fast hasher, in-process Celery, and private files in a temp dir."""

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
STATIC_ROOT = tempfile.mkdtemp(prefix="elevator-portal-static-")
