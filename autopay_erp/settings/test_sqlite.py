"""The test suite's settings on SQLite, the embedded default `make run` serves.

Only the tests marked `sqlite` run with these settings (`make test` runs them in a second pytest run): the
flows a newcomer walks on `make run` (seed_demo, the ledger's bulk services, the open-items pages and API).
See the docstring of tests/conftest.py for how to mark a test.
"""

from autopay_erp.settings.test import *  # noqa: F403
from autopay_erp.settings.test import VAR_DIR

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        # The test database is SQLite's in-memory one; this file is never written by the suite.
        "NAME": str(VAR_DIR / "test-sqlite.sqlite3"),
    }
}
