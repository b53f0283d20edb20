"""Writing many payment events at once: COPY on PostgreSQL, bulk_create elsewhere."""

import datetime
import json
from collections.abc import Sequence
from typing import Any

from django.db import connection

from payments import models

# (payment id, line id, kind, details)
EventRow = tuple[int, int | None, str, dict[str, Any]]


def events_write(
    *, company_id: int, rows: Sequence[EventRow], at: datetime.datetime, actor_id: int | None = None
) -> None:
    """Append the events (the payments' history) in one statement."""
    if not rows:
        return
    if connection.vendor == "postgresql":
        with (
            connection.cursor() as cursor,
            cursor.copy(
                "COPY payments_paymentevent (payment_id, line_id, company_id, kind, at, actor_id, details) "
                "FROM STDIN"
            ) as copy,
        ):
            for payment_id, line_id, kind, details in rows:
                copy.write_row((payment_id, line_id, company_id, kind, at, actor_id, json.dumps(details)))
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
                details=details,
            )
            for payment_id, line_id, kind, details in rows
        ],
        batch_size=1_000,
    )
