"""Settings for the test suite: PostgreSQL and Redis, as in production."""

import os

import dj_database_url

from autopay_erp.ops import task_policy
from autopay_erp.settings.base import *  # noqa: F403
from autopay_erp.settings.base import STATIC_ROOT

DEBUG = False
SECRET_KEY = "test-secret-key"
FIELD_ENCRYPTION_KEYS = [
    "RZSgS-7BWvyJVUQZj9VBNcML9rHS1__zhxWY9IfLbVM=",
    "l3NvYyyt0kOSu5KxUQiu8pJLnY5aUQiTfJbUefedkLY=",
]
ALLOWED_HOSTS = ["*"]
DATABASES = {
    "default": {
        **dj_database_url.parse(
            os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
        ),
        "TEST": {"NAME": os.environ.get("TEST_DB_NAME", "test_autopay_erp")},
    }
}
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": task_policy.VISIBILITY_TIMEOUT}
# Live-server and browser tests get static files straight from the apps, without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# The product's default language is Norwegian Bokmål (base settings); the suite's tests read English unless a
# test asks for Norwegian (tests/autopay_erp/test_i18n.py), so that a text check names the string it means.
LANGUAGE_CODE = "en"
# The suite makes many requests from one address: throttles so high they never trip, except in the tests that
# set their own (tests/autopay_erp/test_throttling.py).
API_THROTTLE_RATES = {"anon": "100000/minute", "user": "100000/minute"}
# Each test process counts its own throttles, as the throttling tests expect.
CACHES = {**CACHES, "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}  # noqa: F405
