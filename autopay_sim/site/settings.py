"""Settings of the simulated AutoPay run as its own service: its own database, users, sessions and keys.

It shares nothing with the ERP but the code base: a different database (`AUTOPAY_SIM_DATABASE_URL`), its own
`AUTOPAY_SIM_SECRET_KEY` and `AUTOPAY_SIM_ENCRYPTION_KEY` (the Fernet key of the companies' signing keys:
never derived from a secret key, so rotating one does not lose the other), cookies of its own names under
`/autopay/`. Served behind the same TLS proxy; its signed API is exempt from the HTTPS redirect, because the
ERP calls it on the internal network at AUTOPAY_BASE_URL and never follows a redirect.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def _env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


def _required(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise ImproperlyConfigured(f"{name} must be set for the AutoPay simulator service")
    return value


SECRET_KEY = _required("AUTOPAY_SIM_SECRET_KEY")
AUTOPAY_SIM_ENCRYPTION_KEY = _required("AUTOPAY_SIM_ENCRYPTION_KEY")
DATABASES = {
    "default": dj_database_url.parse(
        _required("AUTOPAY_SIM_DATABASE_URL"),
        conn_max_age=int(os.environ.get("AUTOPAY_SIM_DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
DEBUG = False
ALLOWED_HOSTS = _env_list("AUTOPAY_SIM_ALLOWED_HOSTS", "localhost,127.0.0.1,autopay")
CSRF_TRUSTED_ORIGINS = _env_list("AUTOPAY_SIM_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "autopay_sim",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Errors under the simulator's API in its own JSON shape, never an HTML page.
    "autopay_sim.middleware.ApiJsonErrorsMiddleware",
]
ROOT_URLCONF = "autopay_sim.site.urls"
WSGI_APPLICATION = "autopay_sim.site.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Norwegian (Bokmål) first, English on the browser's or the language cookie's request.
LANGUAGE_CODE = "nb"
LANGUAGES = [("nb", "Norsk bokmål"), ("en", "English")]
FORMAT_MODULE_PATH = ["autopay_sim.formats"]
TIME_ZONE = "Europe/Oslo"
USE_I18N = True
USE_TZ = True

# Everything of the simulator lives under /autopay/, so one proxy serves it beside the ERP.
STATIC_URL = "/autopay/static/"
STATIC_ROOT = Path(os.environ.get("AUTOPAY_SIM_STATIC_ROOT", BASE_DIR / "var" / "sim-static"))
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LOGIN_URL = "autopay_sim:login"
LOGIN_REDIRECT_URL = "autopay_sim:home"

# Its own users and sessions: cookies of its own names, sent only to its own paths.
SESSION_COOKIE_NAME = "autopay_sim_session"
SESSION_COOKIE_PATH = "/autopay/"
CSRF_COOKIE_NAME = "autopay_sim_csrftoken"
CSRF_COOKIE_PATH = "/autopay/"

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = _env_bool("AUTOPAY_SIM_SECURE_SSL_REDIRECT", True)
# The signed API is machine to machine on the internal network; health checks come from the container itself.
SECURE_REDIRECT_EXEMPT = [r"^autopay/api/", r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = int(os.environ.get("AUTOPAY_SIM_SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(message)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": True,
            "static_fields": {"service": "autopay_sim"},
        }
    },
    "handlers": {
        "stdout": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "json"}
    },
    "root": {"handlers": ["stdout"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
