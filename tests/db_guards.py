"""Which relations without a foreign-key constraint lack their guards on the referenced table (PostgreSQL)."""

from django.db import connection
from django.db.models import ForeignKey, Model


def references_without_constraint(models: list[type[Model]]) -> list[tuple[str, str, str]]:
    """Return (referenced table, table, column) of each relation of `models` without a constraint."""
    found = []
    for model in models:
        for field in model._meta.concrete_fields:
            # deconstruct() names db_constraint only when it is False.
            if isinstance(field, ForeignKey) and "db_constraint" in field.deconstruct()[3]:
                target: type[Model] = field.remote_field.model
                found.append((target._meta.db_table, model._meta.db_table, field.column))
    return found


def unguarded(references: list[tuple[str, str, str]]) -> list[tuple[str, str, str, str]]:
    """Return (target, table, column, event) for each DELETE, UPDATE or TRUNCATE no guard trigger covers.

    A guard is a trigger on the target calling the ledger's `ledger_refuse_orphaning` or
    `ledger_refuse_truncate_orphaning` with (table, column) among its arguments.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.tgrelid::regclass::text, t.tgtype, encode(t.tgargs, 'escape') "
            "FROM pg_trigger AS t JOIN pg_proc AS p ON p.oid = t.tgfoid "
            "WHERE NOT t.tgisinternal "
            "AND p.proname IN ('ledger_refuse_orphaning', 'ledger_refuse_truncate_orphaning')"
        )
        guarded: set[tuple[str, str, str, str]] = set()
        for target, tgtype, raw_args in cursor.fetchall():
            args = raw_args.split("\\000")[:-1]
            events = {name for bit, name in ((8, "DELETE"), (16, "UPDATE"), (32, "TRUNCATE")) if tgtype & bit}
            for i in range(0, len(args), 2):
                guarded |= {(target, args[i], args[i + 1], event) for event in events}
    return [
        (target, table, column, event)
        for target, table, column in references
        for event in ("DELETE", "UPDATE", "TRUNCATE")
        if (target, table, column, event) not in guarded
    ]
