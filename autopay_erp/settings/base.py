"""Settings shared by every use. Each use (local, test, production) has its own module on top of this one.

Everything that differs between machines comes from the environment.
"""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("AUTOPAY_VAR_DIR", BASE_DIR / "var"))


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
DEBUG = False
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "simple_history",
    "django_celery_beat",
    "company",
    "ledger",
    "payments",
    "factoring",
    "autopay_sim",
    "autopay_erp",
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
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # The simulator's API answers its own JSON errors, never an HTML page (autopay_sim/middleware.py).
    "autopay_sim.middleware.ApiJsonErrorsMiddleware",
    # A NUL byte in a query string is a 400 (autopay_erp/nul_guard.py).
    "autopay_erp.nul_guard.NulGuardMiddleware",
]
# Left to answer a NUL in a query string themselves, naming the parameter or in the wire's shape: the API and
# the simulator's signed API.
NUL_GUARD_EXCEPT = ["/api/", "/autopay/api/"]

ROOT_URLCONF = "autopay_erp.urls"
WSGI_APPLICATION = "autopay_erp.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "company.context_processors.current_company",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'autopay.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Norwegian Bokmål first, English available: the browser's Accept-Language or the language switcher chooses.
LANGUAGE_CODE = "nb"
LANGUAGES = [("nb", "Norsk bokmål"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["autopay_erp.formats"]
# Not USE_THOUSAND_SEPARATOR: it would group every integer (ids in URLs and forms, voucher numbers).
# Amounts are grouped where shown, with `floatformat:"2g"`.
TIME_ZONE = "Europe/Oslo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded files (incoming payment files, kept until imported): an absolute folder, so that the worker that
# imports them finds them whatever its working directory.
MEDIA_ROOT = Path(os.environ.get("AUTOPAY_MEDIA_ROOT", VAR_DIR / "media")).resolve()
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# The AutoPay signing keys are encrypted at rest with these Fernet keys. The first one encrypts;
# every one of them decrypts, so a new key goes first and old keys stay until
# `manage.py rotate_encryption_keys` has re-encrypted every value.
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS")

# Where the ERP reaches AutoPay. By default the simulator served by this same project.
AUTOPAY_BASE_URL = os.environ.get("AUTOPAY_BASE_URL", "http://127.0.0.1:8000/autopay")
AUTOPAY_TIMEOUT_SECONDS = float(os.environ.get("AUTOPAY_TIMEOUT_SECONDS", "10"))
# A selection of more payments than this uploads in a Celery task, with progress on the page.
PAYMENTS_UPLOAD_IN_BACKGROUND_OVER = int(os.environ.get("PAYMENTS_UPLOAD_IN_BACKGROUND_OVER", "20"))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # No body gives a server error: the project's parser refuses what json.loads lets through (parsers.py).
    "DEFAULT_PARSER_CLASSES": [
        "autopay_erp.parsers.StrictJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        # DjangoFilterBackend with every row-naming filter narrowed to the user's companies.
        "company.filters.TenancyFilterBackend",
        # DRF's OrderingFilter, refusing a field it does not order by.
        "company.filters.StrictOrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "COERCE_DECIMAL_TO_STRING": True,
    # A 404 in the user's language, without the model's name (autopay_erp/api_exceptions.py).
    "EXCEPTION_HANDLER": "autopay_erp.api_exceptions.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "AutoPay ERP back office API",
    "DESCRIPTION": "Companies, ledger, open items, vouchers and reconciliations of the payment back office.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from our own static files (drf-spectacular-sidecar): the docs work without internet access.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/",
    # Every operation documents its error answers with their real shapes (autopay_erp/schema.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "autopay_erp.schema.error_responses",
    ],
}

# Celery. With no broker configured, a filesystem broker under var/ serves a single machine.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
_broker_dir = VAR_DIR / "broker"
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = (
    {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
    if CELERY_BROKER_URL.startswith("filesystem")
    else {"visibility_timeout": 3600}
)
if CELERY_BROKER_URL.startswith("filesystem"):
    (_broker_dir / "queue").mkdir(parents=True, exist_ok=True)
    (_broker_dir / "processed").mkdir(parents=True, exist_ok=True)
    (_broker_dir / "control").mkdir(parents=True, exist_ok=True)
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TIMEZONE = TIME_ZONE

# --- Operations (autopay_erp.ops): request ids, JSON logs, metrics, the Celery task policy ------------------
from kombu import Queue  # noqa: E402

from autopay_erp.ops import logs as _ops_logs  # noqa: E402
from autopay_erp.ops import task_policy as _task_policy  # noqa: E402

# First of all: the request id, one JSON log line per request, metrics, and /healthz, /readyz, /metrics.
MIDDLEWARE = ["autopay_erp.ops.middleware.RequestContextMiddleware", *MIDDLEWARE]
# Addresses (IPs or networks, comma-separated) of the reverse proxies whose X-Forwarded-Proto and X-Request-ID
# are believed; those headers from anyone else are dropped. Empty: believed from anyone (no proxy in front).
TRUSTED_PROXIES = env_list("DJANGO_TRUSTED_PROXIES")
LOGGING = _ops_logs.logging_config(
    level=os.environ.get("LOG_LEVEL", "INFO"), stream=os.environ.get("LOG_STREAM", "stdout")
)
METRICS_ENABLED = env_bool("METRICS_ENABLED", True)

# Queues, routes by task-name pattern, time limits per task: one table in autopay_erp/ops/task_policy.py.
# Each queue bound under its own routing key: bound under the default key, all three would get a copy of
# every task, and a worker consuming them all would run each task three times.
CELERY_TASK_QUEUES = [Queue(_queue, routing_key=_queue) for _queue in _task_policy.QUEUES]
CELERY_TASK_ROUTES = _task_policy.task_routes()
CELERY_TASK_ANNOTATIONS = [_task_policy.TimeLimitAnnotation()]
if not CELERY_BROKER_URL.startswith("filesystem"):
    # Longer than any task's hard limit, so that a task acknowledged late is never given to a second worker
    # while the first one still runs it.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": _task_policy.VISIBILITY_TIMEOUT}
# On a lost broker connection the unacknowledged tasks are redelivered: stop them rather than run them twice.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULER = "autopay_erp.ops.beat:HeartbeatScheduler"
CELERY_BEAT_HEARTBEAT_FILE = os.environ.get("AUTOPAY_BEAT_HEARTBEAT", str(VAR_DIR / "beat-heartbeat"))
# --- end of Operations --------------------------------------------------------------------------------------

# --------------------------------------------------------------------------------------------------------
# Security: logins and lock-out, API throttling, sessions, two-factor, browser headers, audit log.
# Every limit comes from the environment so that an operator (or the test suite) can tighten or loosen it.
# See docs/security.md.
# --------------------------------------------------------------------------------------------------------
import datetime as _datetime  # noqa: E402

from django.utils.csp import CSP  # noqa: E402

INSTALLED_APPS += ["axes"]
# AxesMiddleware last: it turns a refused login (of any view) into the lock-out answer.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.clickjacking.XFrameOptionsMiddleware") + 1,
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
)
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.csp.ContentSecurityPolicyMiddleware") + 1,
    "autopay_erp.security_headers.PermissionsPolicyMiddleware",
)
MIDDLEWARE += ["axes.middleware.AxesMiddleware"]
AUTHENTICATION_BACKENDS = [
    # First: refuses any attempt, right password or not, while the username or the address is locked out.
    "company.login_throttle.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Lock-out (django-axes): LOGIN_FAILURE_LIMIT failures for one username, or from one address, lock that
# username, or that address, for LOGIN_LOCKOUT_MINUTES: on /login/, /admin/login/ and POST /api/token/.
AXES_ENABLED = env_bool("LOGIN_LOCKOUT_ENABLED", True)
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = _datetime.timedelta(minutes=int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "autopay_erp.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "company.audit.client_ip"
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False
# How many reverse proxies in front of the server append to X-Forwarded-For. 0: trust only REMOTE_ADDR.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))

# DRF throttling of the whole API, per client: anonymous by address, authenticated by user.
API_THROTTLE_RATES = {
    "anon": os.environ.get("API_THROTTLE_ANON", "60/minute"),
    "user": os.environ.get("API_THROTTLE_USER", "1200/minute"),
}
REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = [
    "autopay_erp.throttling.AnonThrottle",
    "autopay_erp.throttling.UserThrottle",
]

# Sessions end after SESSION_IDLE_MINUTES without a request (every request renews the cookie).
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_IDLE_MINUTES", "30")) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Two-factor: the issuer name an authenticator app shows next to the account.
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "AutoPay ERP")

# Content-Security-Policy (Django's own middleware): nothing inline, nothing from elsewhere.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
# Browser features no page of this project uses, switched off for every page.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "publickey-credentials-get",
        "screen-wake-lock",
        "usb",
        "xr-spatial-tracking",
    )
}
# --------------------------------------------------------------------------------------------------------

# The poll of AutoPay (docs/outgoing.md): beat fans out one task per activated company, on the "poll" queue
# (routed by the task policy above: every `*.poll_*` task goes there).
AUTOPAY_POLL_INTERVAL_SECONDS = float(os.environ.get("AUTOPAY_POLL_INTERVAL_SECONDS", "60"))
# How long a poll's hold on a company's cursor lasts without a page applied (a crashed poll's lease expires).
AUTOPAY_POLL_LEASE_SECONDS = float(os.environ.get("AUTOPAY_POLL_LEASE_SECONDS", "300"))
AUTOPAY_POLL_PAGE_SIZE = int(os.environ.get("AUTOPAY_POLL_PAGE_SIZE", "5000"))
CELERY_BEAT_SCHEDULE = {
    "poll-autopay-all": {
        "task": "autopay_erp.poll_autopay_all",
        "schedule": AUTOPAY_POLL_INTERVAL_SECONDS,
        # django_celery_beat's scheduler reads `expire_seconds`: a fan-out not taken within one interval is
        # dropped, the next one comes anyway.
        "options": {"queue": "poll", "expire_seconds": int(AUTOPAY_POLL_INTERVAL_SECONDS)},
    },
}

# Progress of long runs (incoming file imports), readable by any process while the run's transaction is open:
# Redis when the broker is Redis, else files under var/ (docs/incoming.md).
CACHES = {
    # Shared by every process where a Redis broker is: the API's throttles count per client, not per worker.
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CELERY_BROKER_URL}
        if CELERY_BROKER_URL.startswith("redis")
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    ),
    "progress": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CELERY_BROKER_URL}
        if CELERY_BROKER_URL.startswith("redis")
        else {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "progress"),
        }
    ),
}
