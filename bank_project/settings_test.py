"""Test settings: the real settings, minus what only slows tests down or needs HTTPS."""

import os

# Tests run with DEBUG off, like production, which refuses to start without a key.
os.environ.setdefault("SECRET_KEY", "tests-only-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz")

from .settings import *  # noqa: E402,F401,F403

# Argon2 is deliberately slow; tests hash hundreds of passwords.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The test client speaks plain HTTP.
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
LOGGING["loggers"]["bank.request"]["level"] = "WARNING"  # noqa: F405
# No collectstatic before tests: admin pages name static files that have no manifest entry.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
# Customers' deposits go through the sandbox gateway (DEBUG is off here, so it is not the default).
PAYMENT_GATEWAY = "sandbox"
# Explicit, whatever DEBUG says: the suite runs without a second factor for staff, and
# tests of it (tests/mfa) turn it on. Four eyes stay on, as in production.
STAFF_MFA_REQUIRED = False
FOUR_EYES_ENABLED = True
# Tasks run inline, in the test's process: no broker, no worker.
CELERY_TASK_ALWAYS_EAGER = True
# Never a real broker: a test that enqueues outside eager mode uses its own.
CELERY_BROKER_URL = "memory://"
# In-process tests open a connection per thread and close it (tests/concurrency); a pool per
# test process would keep them open on the shared server. The pool is exercised for real by
# tests/faults, through gunicorn.
DATABASES["default"].get("OPTIONS", {}).pop("pool", None)  # noqa: F405
# Tests crowd 40 threads onto a few rows on a shared 2-core machine: there, lock waits of
# seconds are contention, not a stuck session. Production's 2 s is tested by tests/faults
# (and tests/resilience sets it on its own connection).
if "DB_TIME_LIMITS_MS" in globals():
    DB_TIME_LIMITS_MS = {**DB_TIME_LIMITS_MS, "lock_timeout": env.int("TEST_DB_LOCK_TIMEOUT_MS", default=30000)}  # noqa: F405
    DATABASES["default"]["OPTIONS"]["options"] = " ".join(  # noqa: F405
        f"-c {name}={ms}" for name, ms in DB_TIME_LIMITS_MS.items()
    )
