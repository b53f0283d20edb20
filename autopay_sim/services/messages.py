"""The message feed: gap-free per-company seqs and the payloads of line_status messages."""

import datetime
from typing import Any

from django.db import connection

from autopay_sim import models


def next_seq(company_id: int) -> int:
    # One UPDATE locks the row and increments; concurrent writers queue on it, so seqs follow commit order.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE autopay_sim_simcompany SET last_message_seq = last_message_seq + 1 WHERE id = %s "
            "RETURNING last_message_seq",
            [company_id],
        )
        row = cursor.fetchone()
    if row is None:
        raise models.SimCompany.DoesNotExist(company_id)
    return int(row[0])


def message_emit(
    *, company_id: int, type: models.MessageType, payload: dict[str, Any], now: datetime.datetime
) -> models.Message:
    return models.Message.objects.create(
        company_id=company_id, seq=next_seq(company_id), type=type, payload=payload, created_at=now
    )


def line_payload(line: models.PaymentLine) -> dict[str, Any]:
    return {
        "payment_reference": line.payment.reference,
        "payment_id": line.payment.payment_id,
        "end_to_end_id": line.end_to_end_id,
        "autopay_status": line.status,
        "erp_status": models.ERP_STATUS_BY_AUTOPAY_STATUS[line.status],
        "amount_paid": None if line.amount_paid is None else str(line.amount_paid),
        "currency": line.currency,
        "value_date": None if line.value_date is None else line.value_date.isoformat(),
        "bank_reference": line.bank_reference or None,
        "reason": line.reason,
    }
