"""Test settings: the real settings plus what only tests need."""

import os
import uuid

import dj_database_url

from portal.settings import *  # noqa: F403

# PostgreSQL on loopback: concurrency and constraint tests need the real thing.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal"),
        conn_max_age=0,
    )
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
# The broker that /healthz probes in tests; system tests start their own Redis.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "memory://")
CELERY_BROKER_TRANSPORT_OPTIONS = {}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
ALLOWED_EMAIL_DOMAINS = ["example.com"]
STAFF_GROUPS = ["portal-admins"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Rate limits are counted in the real Redis (shared with other projects on this machine), under
# a prefix of their own per test session; tests/conftest.py gives every test a fresh prefix.
RATELIMIT_TEST_SESSION = f"portal-test-{os.getpid()}-{uuid.uuid4().hex[:8]}"
CACHES["ratelimit"] = {
    "BACKEND": "django.core.cache.backends.redis.RedisCache",
    "LOCATION": "redis://127.0.0.1:6379/0",
    "KEY_PREFIX": RATELIMIT_TEST_SESSION,
}
# The suite's webhook receivers listen on loopback; the tests of the address guard turn this off.
WEBHOOK_ALLOW_PRIVATE = True
