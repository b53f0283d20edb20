"""Liveness and readiness.

`/healthz`: the process answers (nothing else is touched). `/readyz`: the database answers, every migration
is applied, and the broker accepts a connection. Both answer JSON, 200 when good and 503 when not; a failed
check names the exception's class only (its message may hold a host or a user name), and logs the detail.
"""

import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

logger = logging.getLogger(__name__)

BROKER_TIMEOUT_SECONDS = 2.0
# Once every migration is seen applied, a process does not look again: migrations are not unapplied under a
# running release, and a new release is a new process.
_migrations_applied = False


def _database() -> dict[str, Any]:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {}


def _migrations() -> dict[str, Any]:
    global _migrations_applied
    if _migrations_applied:
        return {}
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        return {"ok": False, "error": "unapplied_migrations", "unapplied": len(plan)}
    _migrations_applied = True
    return {}


def _broker() -> dict[str, Any]:
    from autopay_erp.celery import app

    url = str(settings.CELERY_BROKER_URL)
    if url.startswith("filesystem"):
        return {"transport": "filesystem"}
    with app.connection_for_write(url=url, connect_timeout=BROKER_TIMEOUT_SECONDS) as connection:
        connection.ensure_connection(
            max_retries=1, interval_start=0, interval_step=0, timeout=BROKER_TIMEOUT_SECONDS
        )
    return {}


def _run(name: str, check: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        result = {"ok": True, **check()}
    except Exception as exc:
        logger.warning("readiness_check_failed", extra={"check": name, "error": repr(exc)})
        result = {"ok": False, "error": type(exc).__name__}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def liveness() -> dict[str, Any]:
    return {"status": "ok"}


def readiness() -> tuple[bool, dict[str, Any]]:
    """Run the readiness checks; return whether all passed and the JSON body."""
    checks: dict[str, Any] = {"database": _run("database", _database)}
    if checks["database"]["ok"]:
        checks["migrations"] = _run("migrations", _migrations)
    else:
        checks["migrations"] = {"ok": False, "error": "database_unavailable"}
    checks["broker"] = _run("broker", _broker)
    ready = all(check["ok"] for check in checks.values())
    return ready, {"status": "ok" if ready else "unavailable", "checks": checks}
