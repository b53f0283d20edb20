"""Writing many payment events at once: COPY on PostgreSQL, bulk_create elsewhere."""

import datetime
import json
from collections.abc import Sequence
from typing import Any

from django.db import connection

from payments import models


class EncodedJson(str):
    """Details already encoded as a JSON object's text, by a caller that writes many of them."""

    __slots__ = ()


# (payment id, line id, kind, details)
EventRow = tuple[int, int | None, str, dict[str, Any] | EncodedJson]


def _json(details: dict[str, Any] | EncodedJson) -> str:
    return details if isinstance(details, EncodedJson) else json.dumps(details)


def _copy_int(value: int | None) -> str:
    return "\\N" if value is None else f"{value:d}"


def events_write(
    *, company_id: int, rows: Sequence[EventRow], at: datetime.datetime, actor_id: int | None = None
) -> None:
    """Append the events (the payments' history) in one statement."""
    if not rows:
        return
    if connection.vendor == "postgresql":
        # COPY's text format written here rather than row by row through psycopg's dumpers: the ids are
        # integers, the kinds a fixed set of words, and JSON text holds no tab, newline or carriage return
        # (json.dumps escapes them), so only its backslashes need escaping.
        tail = f"\t{company_id:d}\t{{}}\t{at.isoformat()}\t{_copy_int(actor_id)}\t"
        text = "".join(
            f"{payment_id:d}\t{_copy_int(line_id)}"
            + tail.format(str(kind))
            + _json(details).replace("\\", "\\\\")
            + "\n"
            for payment_id, line_id, kind, details in rows
        )
        with (
            connection.cursor() as cursor,
            cursor.copy(
                "COPY payments_paymentevent (payment_id, line_id, company_id, kind, at, actor_id, details) "
                "FROM STDIN"
            ) as copy,
        ):
            copy.write(text)
        return
    models.PaymentEvent.objects.bulk_create(
        [
            models.PaymentEvent(
                payment_id=payment_id,
                line_id=line_id,
                company_id=company_id,
                kind=kind,
                at=at,
                actor_id=actor_id,
                details=json.loads(details) if isinstance(details, EncodedJson) else details,
            )
            for payment_id, line_id, kind, details in rows
        ],
        batch_size=1_000,
    )
