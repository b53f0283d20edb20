"""Production settings: everything secret or machine-specific must come from the environment."""

import os

from django.core.exceptions import ImproperlyConfigured

from autopay_erp.settings.base import *  # noqa: F403
from autopay_erp.settings.base import (
    DATABASES,
    FIELD_ENCRYPTION_KEYS,
    INSTALLED_APPS,
    MIDDLEWARE,
    SECRET_KEY,
    env_bool,
)

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

# --- Operations: the simulator, database connections, error reporting ---------------------------------------
# The simulated AutoPay is a service of its own in production (autopay_sim.site.settings, its own database and
# users); the ERP knows only AUTOPAY_BASE_URL. AUTOPAY_SIM_IN_PROCESS=true serves it here too, under
# /autopay/, as `make run` does; its signed API is then exempt from the HTTPS redirect, since the ERP calls
# it over HTTP.
AUTOPAY_SIM_IN_PROCESS = env_bool("AUTOPAY_SIM_IN_PROCESS", False)
if AUTOPAY_SIM_IN_PROCESS:
    SECURE_REDIRECT_EXEMPT = [r"^autopay/api/"]
else:
    INSTALLED_APPS = [app for app in INSTALLED_APPS if app != "autopay_sim"]
    MIDDLEWARE = [name for name in MIDDLEWARE if not name.startswith("autopay_sim.")]

# Persistent connections, checked before reuse: a connection the database dropped is replaced, not an error.
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("DATABASE_CONN_MAX_AGE", "60"))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

if os.environ.get("SENTRY_DSN"):
    import sentry_sdk

    sentry_sdk.init(
        dsn=os.environ["SENTRY_DSN"],
        environment=os.environ.get("SENTRY_ENVIRONMENT", "production"),
        release=os.environ.get("AUTOPAY_RELEASE") or None,
        traces_sample_rate=float(os.environ.get("SENTRY_TRACES_SAMPLE_RATE", "0")),
        # No cookies, headers with credentials, user names or IP addresses in reports.
        send_default_pii=False,
    )
# --- end of Operations --------------------------------------------------------------------------------------
