"""Many rows into one table in one go: COPY on PostgreSQL, `bulk_create` elsewhere (SQLite)."""

from collections.abc import Sequence
from typing import Any

import orjson
from django.db import connection, models

BULK_CREATE_BATCH = 2000


def rows_insert(*, model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Insert `rows` (values in the order of `columns`, attribute names of `model`) into the model's table.

    A JSON column's value is a dict or list: encoded here (orjson) for COPY, by the field for bulk_create.
    """
    if not rows:
        return
    fields = [model._meta.get_field(name) for name in columns]
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(
            [model(**dict(zip(columns, row, strict=True))) for row in rows], batch_size=BULK_CREATE_BATCH
        )
        return
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(str(field.column)) for field in fields)  # type: ignore[union-attr]
    json_at = [i for i, field in enumerate(fields) if isinstance(field, models.JSONField)]
    with connection.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        write = copy.write_row
        if not json_at:
            for row in rows:
                write(row)
            return
        for row in rows:
            values = list(row)
            for i in json_at:
                values[i] = orjson.dumps(values[i]).decode()
            write(values)
