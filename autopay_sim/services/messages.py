"""The message feed: gap-free per-company seqs, allocated in one statement per company and transaction."""

import datetime
import uuid
from collections import Counter
from collections.abc import Sequence
from typing import Any

from django.db import connection

from autopay_sim import models
from autopay_sim.services import inserts


def seqs_allocate(*, company_id: int, count: int) -> int:
    """Take `count` consecutive seqs of a company's feed and return the first.

    One UPDATE locks the company row to the end of the transaction and increments; concurrent writers queue on
    it, so seqs are gap-free and follow commit order.

    :raises SimCompany.DoesNotExist: no such company.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE autopay_sim_simcompany SET last_message_seq = last_message_seq + %s WHERE id = %s "
            "RETURNING last_message_seq",
            [count, company_id],
        )
        row = cursor.fetchone()
    if row is None:
        raise models.SimCompany.DoesNotExist(company_id)
    return int(row[0]) - count + 1


def message_emit(
    *, company_id: int, type: models.MessageType, payload: dict[str, Any], now: datetime.datetime
) -> models.Message:
    """Append one message to a company's feed."""
    return models.Message.objects.create(
        company_id=company_id,
        seq=seqs_allocate(company_id=company_id, count=1),
        type=type,
        payload=payload,
        created_at=now,
    )


def messages_emit(
    *, messages: Sequence[tuple[int, models.MessageType, dict[str, Any]]], now: datetime.datetime
) -> None:
    """Append messages (company id, type, payload) to their companies' feeds, in the order given.

    Companies' rows are locked in id order, so that two writers of several companies cannot deadlock.
    """
    counts = Counter(company_id for company_id, _, _ in messages)
    next_seq = {
        company_id: seqs_allocate(company_id=company_id, count=counts[company_id])
        for company_id in sorted(counts)
    }
    rows = []
    for company_id, kind, payload in messages:
        seq = next_seq[company_id]
        next_seq[company_id] = seq + 1
        rows.append((company_id, seq, uuid.uuid4(), kind.value, payload, now))
    inserts.rows_insert(
        model=models.Message, columns=("company_id", "seq", "uid", "type", "payload", "created_at"), rows=rows
    )
