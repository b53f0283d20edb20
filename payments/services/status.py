"""Applying AutoPay's line-status messages to payment lines, a page at a time and set-based.

One query loads the lines a page names (in a poll, read ahead while the page before is applied, and
corrected by what that page wrote), the transitions are decided in memory in feed order, lines reaching 5
Settled whose bank partner posts settlements automatically are posted (`settlement.settling_lines_post`), one
UPDATE writes each changed line once (settled and posted lines straight to 6 Posted), one COPY writes their
events (one per line and page, listing its statuses, and one per posting), one UPDATE derives the payments'
statuses. A message for an unknown line, or one that would move a line backwards, changes nothing and comes
back as an anomaly.
"""

import contextlib
import dataclasses
import datetime
import json
import logging
import uuid
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from django import db
from django.db import connection, transaction

from autopay_client import messages as autopay_messages
from autopay_client.statuses import ErpLineStatus
from company import models as company_models
from ledger import sqlarrays
from payments import models
from payments.services import errors, settlement
from payments.services import events as events_service

logger = logging.getLogger(__name__)

Anomalies = list[tuple[uuid.UUID, str]]

_EMPTY = json.dumps("")
_CENT = Decimal("0.01")

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
    end_to_end_id: str
    payment_id: int
    status: int
    autopay_status: str
    reason: str
    amount_paid: Decimal | None
    value_date: datetime.date | None
    bank_reference: str
    settled_at: datetime.datetime | None
    post_settlement: bool
    # What posting its settlement needs (`settlement.Settling`).
    payment_number: int
    supplier_id: int
    open_item_id: int
    gl_account_no: str
    currency: str
    loaded_status: int = 0
    voucher_id: int | None = None
    posted_at: datetime.datetime | None = None
    # The statuses applied to the line in this page, in feed order, as JSON: its one event of the page.
    steps: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True, slots=True)
class _Step:
    """What one message asks of its line, worked out from the message alone."""

    message: autopay_messages.LineStatusMessage
    new: int
    autopay_status: str
    reason: str
    bank_reference: str
    # The amount paid with its two decimals, as the line stores it ("1250.00" for AutoPay's "1250").
    amount_paid: Decimal | None
    # The step's JSON after its "from" (the line's status before, known only when applied).
    tail: str


@dataclasses.dataclass
class PreparedMessages:
    """A page's line-status messages worked out before their transaction (`line_status_messages_prepare`)."""

    messages: Sequence[autopay_messages.LineStatusMessage]
    steps: list[_Step]
    end_to_end_ids: frozenset[str]
    # Their array literal (PostgreSQL).
    end_to_end_literal: str
    # Read ahead, outside the page's transaction: the lines the messages name, as `_lines_load` reads them, by
    # end-to-end id; None when not read ahead.
    lines_read: "dict[str, _LineState] | None" = None
    # Where this page's apply leaves the lines it wrote, as written, for the page after (read ahead before
    # this one committed); and where the page before's apply leaves its own (None: no page before with
    # line-status messages in this poll). A holder each, so that no page keeps the page before alive.
    written: "LinesWritten" = dataclasses.field(default_factory=lambda: LinesWritten())
    before_written: "LinesWritten | None" = None


@dataclasses.dataclass
class LinesWritten:
    """The lines a page's apply wrote, by end-to-end id; None until it has applied (or if it never does)."""

    lines: dict[str, _LineState] | None = None


def line_status_messages_prepare(
    messages: Sequence[autopay_messages.LineStatusMessage],
    *,
    company: company_models.Company | None = None,
    before: "PreparedMessages | None" = None,
    read_ahead: bool = False,
) -> PreparedMessages:
    """Work out what can be done before the page's transaction, so that a poll does it while it applies the
    page before: each message's step, and with `read_ahead` (and `company`) the lines the messages name."""
    steps = []
    for message in messages:
        new = int(message.erp_status)
        autopay_status = str(message.autopay_status)
        paid = None if message.amount_paid is None else message.amount_paid.quantize(_CENT)
        # The step's JSON written here: every value but the reason is an integer, a UUID, an amount or a
        # status code, none of which needs escaping.
        tail = (
            f',"to":{new:d},"autopay_status":"{autopay_status}",'
            f'"reason":{json.dumps(message.reason) if message.reason else _EMPTY},'
            f'"message_id":"{message.id}","seq":{message.seq:d}'
        )
        tail += "}" if paid is None else f',"amount_paid":"{paid}"}}'
        steps.append(
            _Step(
                message=message,
                new=new,
                autopay_status=autopay_status,
                reason=message.reason[:500],
                bank_reference=(message.bank_reference or "")[:64],
                amount_paid=paid,
                tail=tail,
            )
        )
    end_to_end_ids = frozenset(m.end_to_end_id for m in messages)
    prepared = PreparedMessages(
        messages=messages,
        steps=steps,
        end_to_end_ids=end_to_end_ids,
        end_to_end_literal=sqlarrays.texts(end_to_end_ids),
        before_written=before.written if before is not None else None,
    )
    if read_ahead and company is not None and connection.vendor == "postgresql":
        try:
            prepared.lines_read = _lines_query(
                company=company, end_to_end_literal=prepared.end_to_end_literal
            )
        except db.Error:
            # Then read in the page's transaction, as without reading ahead.
            logger.warning("reading ahead the lines of a page failed", exc_info=True)
    return prepared


def line_status_messages_apply(
    *,
    company: company_models.Company,
    messages: Sequence[autopay_messages.LineStatusMessage],
    now: datetime.datetime,
    prepared: PreparedMessages | None = None,
) -> Anomalies:
    """Apply a page of line-status messages, in the order given; return the anomalies (message id, reason).

    Every message not returned as an anomaly has taken effect. The caller records the message ids and runs
    this inside the transaction that advances its cursor. Each line the page changes is written once, with
    one `status_changed` event listing every status the page applied to it (and a `posted` event when its
    settlement was posted). `prepared`: `line_status_messages_prepare` of these very messages.

    :raises LinesChangedMeanwhile: another transaction changed one of the lines meanwhile (nothing written).
    :raises django.db.DatabaseError: when the database refuses the writes (then nothing is written).
    """
    if not messages:
        return []
    if prepared is None or prepared.messages is not messages:
        prepared = line_status_messages_prepare(messages)
    anomalies: Anomalies = []
    with transaction.atomic():
        lines = _lines_load(company=company, prepared=prepared)
        # What the next page, read ahead meanwhile, cannot have seen (set again below once written).
        prepared.written.lines = None
        settled: dict[int, uuid.UUID] = {}
        settled_status = ErpLineStatus.SETTLED
        for step in prepared.steps:
            message = step.message
            line = lines.get(message.end_to_end_id)
            if line is None:
                anomalies.append((message.id, f"no payment line {message.end_to_end_id!r} in this company"))
                continue
            new = step.new
            if step.amount_paid is not None and step.amount_paid < 0:
                anomalies.append(
                    (message.id, f"{message.end_to_end_id}: amount paid {step.amount_paid} is negative")
                )
                continue
            problem = transition_problem(current=line.status, new=new)
            if problem:
                anomalies.append((message.id, f"{message.end_to_end_id}: {problem}"))
                continue
            line.steps.append(f'{{"from":{line.status:d}' + step.tail)
            if step.amount_paid is not None:
                line.amount_paid = step.amount_paid
            line.status = new
            line.autopay_status = step.autopay_status
            line.reason = step.reason
            if message.value_date is not None:
                line.value_date = message.value_date
            if step.bank_reference:
                line.bank_reference = step.bank_reference
            if new == settled_status:
                line.settled_at = now
                if line.post_settlement:
                    settled[line.id] = message.id
        changed = [line for line in lines.values() if line.steps]
        if not changed:
            prepared.written.lines = {}
            return anomalies
        events: list[events_service.EventRow] = [
            (
                line.payment_id,
                line.id,
                models.PaymentEventKind.STATUS_CHANGED,
                events_service.EncodedJson(
                    f'{{"from":{line.loaded_status:d},"to":{line.status:d},"statuses":[{",".join(line.steps)}]}}'
                ),
            )
            for line in changed
        ]
        if settled:
            # Posted before the lines are written, so that a line settled and posted here is written once.
            by_id = {line.id: line for line in changed}
            posting = settlement.settling_lines_post(
                company=company,
                lines=[
                    settlement.Settling(
                        id=line.id,
                        amount_paid=line.amount_paid,
                        value_date=line.value_date,
                        payment_id=line.payment_id,
                        payment_number=line.payment_number,
                        end_to_end_id=line.end_to_end_id,
                        supplier_id=line.supplier_id,
                        open_item_id=line.open_item_id,
                        gl_account_no=line.gl_account_no,
                        currency=line.currency,
                    )
                    for line in (by_id[line_id] for line_id in sorted(settled))
                ],
                now=now,
            )
            for line_id, voucher_id in posting.vouchers.items():
                line = by_id[line_id]
                line.status = models.LineStatus.POSTED
                line.voucher_id = voucher_id
                line.posted_at = now
            events.extend(posting.events)
            anomalies.extend((settled[line_id], reason) for line_id, reason in posting.problems)
        _lines_write(lines=changed, now=now)
        events_service.events_write(company_id=company.pk, rows=events, at=now)
        payment_statuses_derive(payment_ids=sorted({line.payment_id for line in changed}))
        prepared.written.lines = {
            line.end_to_end_id: dataclasses.replace(line, loaded_status=line.status, steps=[])
            for line in changed
        }
    return anomalies


@contextlib.contextmanager
def _index_lookups(cursor: Any) -> Iterator[None]:
    """Update a page's few thousand lines through index lookups (a nested loop), not by hashing the table.

    The planner otherwise reads every line of every company into a hash for a page of 5 000 (it expects the
    status check to leave a handful of rows): a cost that grows with the table, page after page. For the
    statement in the block only (a join of the page's array to the lines by primary key), then restored.
    """
    cursor.execute("SELECT current_setting('enable_hashjoin'), current_setting('enable_mergejoin')")
    saved = cursor.fetchone()
    cursor.execute(
        "SELECT set_config('enable_hashjoin', 'off', true), set_config('enable_mergejoin', 'off', true)"
    )
    yield
    # Not on an error: the savepoint or transaction that goes back takes the settings back with it.
    cursor.execute(
        "SELECT set_config('enable_hashjoin', %s, true), set_config('enable_mergejoin', %s, true)", saved
    )


# The columns `_lines_load` reads, in the order of its raw query.
_LOADED = (
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
    "payment__number",
    "supplier_id",
    "open_item_id",
    "payment__bank_partner__gl_account_no",
    "currency",
)


def _lines_load(*, company: company_models.Company, prepared: PreparedMessages) -> dict[str, _LineState]:
    """Return the company's lines the messages name, by end-to-end id.

    Not locked: the write checks each line still has the status read here (optimistic), which costs one
    statement instead of a row lock per line. Read ahead (`lines_read`), the lines are taken as read, but for
    those the page before wrote since (as it wrote them) and those not seen ahead (read here). When the page
    before was applied without leaving what it wrote, everything is read here.
    """
    before, read = prepared.before_written, prepared.lines_read
    prepared.lines_read = None  # used once
    if read is not None and before is not None and before.lines is None:
        read = None
    if read is None:
        if connection.vendor == "postgresql":
            return _lines_query(company=company, end_to_end_literal=prepared.end_to_end_literal)
        return _lines_from_rows(
            models.PaymentLine.objects.filter(company=company, end_to_end_id__in=prepared.end_to_end_ids)
            .order_by("id")
            .values_list(*_LOADED)
        )
    lines = dict(read)
    if before is not None and before.lines:
        for e2e, line in before.lines.items():
            if e2e in prepared.end_to_end_ids:
                lines[e2e] = dataclasses.replace(line, steps=[])
    missing = prepared.end_to_end_ids - lines.keys()
    if missing:
        lines.update(_lines_query(company=company, end_to_end_literal=sqlarrays.texts(missing)))
    return dict(sorted(lines.items(), key=lambda item: item[1].id))


def _lines_query(*, company: company_models.Company, end_to_end_literal: str) -> dict[str, _LineState]:
    """Read the company's lines of the end-to-end ids given (PostgreSQL: one array parameter, no ORM)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT l.id, l.end_to_end_id, l.payment_id, l.status, l.autopay_status, l.reason, "
            "l.amount_paid, l.value_date, l.bank_reference, l.settled_at, b.ebf_post_settlement, "
            "p.number, l.supplier_id, l.open_item_id, b.gl_account_no, l.currency "
            "FROM payments_paymentline l JOIN payments_payment p ON p.id = l.payment_id "
            "JOIN company_bankpartner b ON b.id = p.bank_partner_id "
            "WHERE l.company_id = %s AND l.end_to_end_id = ANY(%s::text[]) ORDER BY l.id",
            [company.pk, end_to_end_literal],
        )
        return _lines_from_rows(cursor.fetchall())


def _lines_from_rows(rows: Iterable[Sequence[Any]]) -> dict[str, _LineState]:
    return {
        row[1]: _LineState(
            id=row[0],
            end_to_end_id=row[1],
            payment_id=row[2],
            status=row[3],
            autopay_status=row[4],
            reason=row[5],
            amount_paid=row[6],
            value_date=row[7],
            bank_reference=row[8],
            settled_at=row[9],
            post_settlement=row[10],
            payment_number=row[11],
            supplier_id=row[12],
            open_item_id=row[13],
            gl_account_no=row[14],
            currency=row[15],
            loaded_status=row[3],
        )
        for row in rows
    }


def _lines_write(*, lines: Sequence[_LineState], now: datetime.datetime) -> None:
    """Write the lines' new state in one statement (UPDATE … FROM unnest on PostgreSQL).

    :raises LinesChangedMeanwhile: a line no longer has the status it was read with.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor, _index_lookups(cursor):
            cursor.execute(
                "UPDATE payments_paymentline AS l SET status = v.status, autopay_status = v.autopay_status, "
                "reason = v.reason, amount_paid = v.amount_paid, value_date = v.value_date, "
                "bank_reference = v.bank_reference, settled_at = v.settled_at, "
                "voucher_id = COALESCE(v.voucher_id, l.voucher_id), "
                "posted_at = COALESCE(v.posted_at, l.posted_at), "
                "status_changed_at = %s "
                "FROM unnest(%s::bigint[], %s::smallint[], %s::text[], %s::text[], %s::numeric[], "
                "%s::date[], %s::text[], %s::timestamptz[], %s::bigint[], %s::timestamptz[], %s::smallint[]) "
                "AS v(id, status, autopay_status, reason, amount_paid, value_date, bank_reference, "
                "settled_at, voucher_id, posted_at, old_status) "
                "WHERE l.id = v.id AND l.status = v.old_status",
                [
                    now,
                    sqlarrays.ints(line.id for line in lines),
                    sqlarrays.ints(line.status for line in lines),
                    sqlarrays.texts(line.autopay_status for line in lines),
                    sqlarrays.texts(line.reason for line in lines),
                    sqlarrays.texts(line.amount_paid for line in lines),
                    sqlarrays.texts(line.value_date for line in lines),
                    sqlarrays.texts(line.bank_reference for line in lines),
                    sqlarrays.texts(line.settled_at for line in lines),
                    sqlarrays.ints(line.voucher_id for line in lines),
                    sqlarrays.texts(line.posted_at for line in lines),
                    sqlarrays.ints(line.loaded_status for line in lines),
                ],
            )
            if cursor.rowcount != len(lines):
                raise LinesChangedMeanwhile(f"{len(lines) - cursor.rowcount} lines changed meanwhile")
        return
    # Elsewhere one UPDATE per line, with the same check of the status read.
    for line in lines:
        fields: dict[str, Any] = {
            "status": line.status,
            "autopay_status": line.autopay_status,
            "reason": line.reason,
            "amount_paid": line.amount_paid,
            "value_date": line.value_date,
            "bank_reference": line.bank_reference,
            "settled_at": line.settled_at,
            "status_changed_at": now,
        }
        if line.voucher_id is not None:
            fields.update(voucher_id=line.voucher_id, posted_at=line.posted_at)
        if not models.PaymentLine.objects.filter(pk=line.id, status=line.loaded_status).update(**fields):
            raise LinesChangedMeanwhile(f"line {line.id} changed meanwhile")


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
