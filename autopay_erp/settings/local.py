"""Settings for a developer's machine and `make run`: works with nothing configured."""

import os

from autopay_erp.ops import logs
from autopay_erp.settings.base import *  # noqa: F403
from autopay_erp.settings.base import FIELD_ENCRYPTION_KEYS, SECRET_KEY, VAR_DIR

DEBUG = True
SECRET_KEY = SECRET_KEY or "local-only-insecure-secret-key-do-not-use-in-production"
# A fixed key for local data only; production refuses to start without FIELD_ENCRYPTION_KEYS.
FIELD_ENCRYPTION_KEYS = FIELD_ENCRYPTION_KEYS or ["g71cXZyElmgm5K7Kgu0qiJ2MDkxIGB1RaD1RTdpZsNw="]
ALLOWED_HOSTS = ["*"]
VAR_DIR.mkdir(parents=True, exist_ok=True)
# `make run` serves with gunicorn, which does not serve static files: WhiteNoise finds them in the apps.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
(VAR_DIR / "static").mkdir(parents=True, exist_ok=True)
# On a developer's machine the logs go to stderr, so that what a management command prints (which scripts/run
# reads) stays apart from them. Production writes them to stdout.
LOGGING = logs.logging_config(
    level=os.environ.get("LOG_LEVEL", "INFO"), stream=os.environ.get("LOG_STREAM", "stderr")
)
