"""Production settings: everything secret or machine-specific must come from the environment."""

import os

from django.core.exceptions import ImproperlyConfigured

from autopay_erp.settings.base import *  # noqa: F403
from autopay_erp.settings.base import FIELD_ENCRYPTION_KEYS, SECRET_KEY, env_bool

for _name, _value in (("DJANGO_SECRET_KEY", SECRET_KEY), ("FIELD_ENCRYPTION_KEYS", FIELD_ENCRYPTION_KEYS)):
    if not _value:
        raise ImproperlyConfigured(f"{_name} must be set in production")
for _name in ("DATABASE_URL", "CELERY_BROKER_URL"):
    # Without a broker URL the settings fall back to a folder broker that only one machine can share.
    if not os.environ.get(_name):
        raise ImproperlyConfigured(f"{_name} must be set in production")

DEBUG = False
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o]
