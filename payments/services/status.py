"""Applying AutoPay's line-status messages to payment lines, a page at a time and set-based.

One query loads (and locks) the lines a page names, the transitions are decided in memory in feed order, one
UPDATE writes the lines' new state, one insert writes their events, one UPDATE derives the payments' statuses.
A message for an unknown line, or one that would move a line backwards, changes nothing and comes back as an
anomaly. Lines reaching 5 Settled whose bank partner posts settlements automatically are posted in the same
transaction (`settlement.settled_lines_post`).
"""

import dataclasses
import datetime
import uuid
from collections.abc import Sequence
from decimal import Decimal

from django.db import connection, transaction

from autopay_client import messages as autopay_messages
from autopay_client.statuses import ErpLineStatus
from company import models as company_models
from payments import models
from payments.services import errors, settlement
from payments.services import events as events_service

Anomalies = list[tuple[uuid.UUID, str]]

# The order of the non-final statuses: a line only moves up this order (or to a final status).
_RANK = {
    models.LineStatus.PROPOSAL: 0,
    models.LineStatus.TRANSFERRED: 1,
    models.LineStatus.ACKNOWLEDGED: 2,
    models.LineStatus.SETTLED: 3,
}
# Several AutoPay statuses map onto one ERP status (new and pending signing; approved, sent to bank and
# accepted by bank): a second message of the same ERP status is a step forward at AutoPay.
_REPEATABLE = {models.LineStatus.TRANSFERRED, models.LineStatus.ACKNOWLEDGED}
_ENDS = {models.LineStatus.SETTLED, models.LineStatus.CANCELLED, models.LineStatus.REJECTED}


LinesChangedMeanwhile = errors.LinesChangedMeanwhile


def transition_problem(*, current: int, new: int) -> str:
    """Return why a line in `current` may not take the status `new` from AutoPay, or '' when it may."""
    if current not in _RANK:
        return f"the line is already {models.LineStatus(current).label}: no status may follow"
    if new in _ENDS and current != models.LineStatus.SETTLED:
        return ""
    if new in _REPEATABLE and _RANK[models.LineStatus(new)] >= _RANK[models.LineStatus(current)]:
        return ""
    return (
        f"status {models.LineStatus(new).label} would move the line backwards from "
        f"{models.LineStatus(current).label}"
    )


@dataclasses.dataclass
class _LineState:
    id: int
    payment_id: int
    status: int
    autopay_status: str
    reason: str
    amount_paid: Decimal | None
    value_date: datetime.date | None
    bank_reference: str
    settled_at: datetime.datetime | None
    post_settlement: bool
    loaded_status: int = 0
    changed: bool = False


def line_status_messages_apply(
    *,
    company: company_models.Company,
    messages: Sequence[autopay_messages.LineStatusMessage],
    now: datetime.datetime,
) -> Anomalies:
    """Apply a page of line-status messages, in the order given; return the anomalies (message id, reason).

    Every message not returned as an anomaly has taken effect. The caller records the message ids and runs
    this inside the transaction that advances its cursor.

    :raises LinesChangedMeanwhile: another transaction changed one of the lines meanwhile (nothing written).
    :raises django.db.DatabaseError: when the database refuses the writes (then nothing is written).
    """
    if not messages:
        return []
    anomalies: Anomalies = []
    with transaction.atomic():
        rows = (
            # Not locked: the write below checks each line still has the status read here (optimistic), which
            # costs one statement instead of a row lock per line.
            models.PaymentLine.objects.filter(
                company=company, end_to_end_id__in={m.end_to_end_id for m in messages}
            )
            .order_by("id")
            .values_list(
                "id",
                "end_to_end_id",
                "payment_id",
                "status",
                "autopay_status",
                "reason",
                "amount_paid",
                "value_date",
                "bank_reference",
                "settled_at",
                "payment__bank_partner__ebf_post_settlement",
            )
        )
        lines: dict[str, _LineState] = {}
        for row in rows:
            lines[row[1]] = _LineState(
                id=row[0],
                payment_id=row[2],
                status=row[3],
                autopay_status=row[4],
                reason=row[5],
                amount_paid=row[6],
                value_date=row[7],
                bank_reference=row[8],
                settled_at=row[9],
                post_settlement=row[10],
                loaded_status=row[3],
            )
        events: list[events_service.EventRow] = []
        settled_by: dict[int, uuid.UUID] = {}
        for message in messages:
            line = lines.get(message.end_to_end_id)
            if line is None:
                anomalies.append((message.id, f"no payment line {message.end_to_end_id!r} in this company"))
                continue
            new = int(message.erp_status)
            problem = transition_problem(current=line.status, new=new)
            if problem:
                anomalies.append((message.id, f"{message.end_to_end_id}: {problem}"))
                continue
            events.append(
                (
                    line.payment_id,
                    line.id,
                    models.PaymentEventKind.STATUS_CHANGED,
                    {
                        "from": line.status,
                        "to": new,
                        "autopay_status": str(message.autopay_status),
                        "reason": message.reason,
                        "message_id": str(message.id),
                        "seq": message.seq,
                        **(
                            {"amount_paid": str(message.amount_paid)}
                            if message.amount_paid is not None
                            else {}
                        ),
                    },
                )
            )
            line.status = new
            line.autopay_status = str(message.autopay_status)
            line.reason = message.reason[:500]
            if message.amount_paid is not None:
                line.amount_paid = message.amount_paid
            if message.value_date is not None:
                line.value_date = message.value_date
            if message.bank_reference:
                line.bank_reference = message.bank_reference[:64]
            if new == ErpLineStatus.SETTLED:
                line.settled_at = now
                if line.post_settlement:
                    settled_by[line.id] = message.id
            line.changed = True
        changed = [line for line in lines.values() if line.changed]
        if not changed:
            return anomalies
        _lines_write(lines=changed, now=now)
        events_service.events_write(company_id=company.pk, rows=events, at=now)
        payment_statuses_derive(payment_ids=sorted({line.payment_id for line in changed}))
        if settled_by:
            result = settlement.settled_lines_post(company=company, line_ids=sorted(settled_by), now=now)
            anomalies.extend((settled_by[line_id], reason) for line_id, reason in result.problems)
    return anomalies


def _lines_write(*, lines: Sequence[_LineState], now: datetime.datetime) -> None:
    """Write the lines' new state in one statement (UPDATE … FROM unnest on PostgreSQL).

    :raises LinesChangedMeanwhile: a line no longer has the status it was read with.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE payments_paymentline AS l SET status = v.status, autopay_status = v.autopay_status, "
                "reason = v.reason, amount_paid = v.amount_paid, value_date = v.value_date, "
                "bank_reference = v.bank_reference, settled_at = v.settled_at, status_changed_at = %s "
                "FROM unnest(%s::bigint[], %s::smallint[], %s::text[], %s::text[], %s::numeric[], "
                "%s::date[], %s::text[], %s::timestamptz[], %s::smallint[]) "
                "AS v(id, status, autopay_status, reason, amount_paid, value_date, bank_reference, "
                "settled_at, old_status) "
                "WHERE l.id = v.id AND l.status = v.old_status",
                [
                    now,
                    [line.id for line in lines],
                    [line.status for line in lines],
                    [line.autopay_status for line in lines],
                    [line.reason for line in lines],
                    [line.amount_paid for line in lines],
                    [line.value_date for line in lines],
                    [line.bank_reference for line in lines],
                    [line.settled_at for line in lines],
                    [line.loaded_status for line in lines],
                ],
            )
            if cursor.rowcount != len(lines):
                raise LinesChangedMeanwhile(f"{len(lines) - cursor.rowcount} lines changed meanwhile")
        return
    objects = [
        models.PaymentLine(
            id=line.id,
            status=line.status,
            autopay_status=line.autopay_status,
            reason=line.reason,
            amount_paid=line.amount_paid,
            value_date=line.value_date,
            bank_reference=line.bank_reference,
            settled_at=line.settled_at,
            status_changed_at=now,
        )
        for line in lines
    ]
    models.PaymentLine.objects.bulk_update(
        objects,
        [
            "status",
            "autopay_status",
            "reason",
            "amount_paid",
            "value_date",
            "bank_reference",
            "settled_at",
            "status_changed_at",
        ],
        batch_size=500,
    )


def payment_statuses_derive(*, payment_ids: Sequence[int]) -> None:
    """Set each transferred payment's status from its lines: 2, 3 with rejections, 10 all ended so."""
    if not payment_ids:
        return
    ended = f"{models.LineStatus.CANCELLED:d}, {models.LineStatus.REJECTED:d}"
    placeholders = ", ".join(["%s"] * len(payment_ids))
    with connection.cursor() as cursor:
        # Only integer constants and placeholders are formatted into the statement.
        cursor.execute(
            "UPDATE payments_payment SET status = ("  # noqa: S608
            f" SELECT CASE WHEN SUM(CASE WHEN l.status IN ({ended}) THEN 1 ELSE 0 END) = COUNT(*)"
            f" THEN {models.PaymentStatus.REJECTED:d}"
            f" WHEN SUM(CASE WHEN l.status IN ({ended}) THEN 1 ELSE 0 END) > 0"
            f" THEN {models.PaymentStatus.TRANSFERRED_WITH_REJECTIONS:d}"
            f" ELSE {models.PaymentStatus.TRANSFERRED:d} END"
            " FROM payments_paymentline l WHERE l.payment_id = payments_payment.id)"
            f" WHERE id IN ({placeholders})"
            " AND EXISTS (SELECT 1 FROM payments_paymentline l2 WHERE l2.payment_id = payments_payment.id"
            f" AND l2.status <> {models.LineStatus.PROPOSAL:d})",
            list(payment_ids),
        )
