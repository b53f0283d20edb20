"""The simulator's `/healthz` (the process answers) and `/readyz` (database up, migrations applied)."""

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def readyz(request: HttpRequest) -> JsonResponse:
    checks: dict[str, dict[str, object]] = {}
    try:
        connection = connections[DEFAULT_DB_ALIAS]
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = {"ok": True}
        executor = MigrationExecutor(connection)
        unapplied = len(executor.migration_plan(executor.loader.graph.leaf_nodes()))
        checks["migrations"] = {"ok": unapplied == 0, **({"unapplied": unapplied} if unapplied else {})}
    except Exception as exc:
        checks.setdefault("database", {"ok": False, "error": type(exc).__name__})
        checks.setdefault("migrations", {"ok": False, "error": "database_unavailable"})
    ready = all(check["ok"] for check in checks.values())
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503
    )
