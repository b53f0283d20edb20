"""Status changes of payments and lines, set-based.

A `Batch` collects the changes of one transaction in the order they happen (each one an event row, each line
change a line_status message), then `write()` stores them in a few statements whatever their number: one
UPDATE per group of lines or payments that end alike, the events and messages in bulk, and one seq allocation
per company (`messages.messages_emit`). The single-payment services use the same path as the bank day, so
there is one way a status changes.
"""

import dataclasses
import datetime
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from django.db.models import CharField, F, Value
from django.db.models.functions import Cast, Concat, LPad

from autopay_sim import models
from autopay_sim.services import inserts, messages

ENDED_WITH_REASON = frozenset(
    {
        models.AutoPayStatus.CANCELLED,
        models.AutoPayStatus.CANCELLED_IN_BANK,
        models.AutoPayStatus.REJECTED_IN_BANK,
        models.AutoPayStatus.ERROR,
    }
)
# Ids per `IN (…)` list: well within every backend's limit on query parameters.
ID_CHUNK = 5000
BANK_REFERENCE_ID_DIGITS = 8


def bank_reference(day: datetime.date, line_id: int) -> str:
    """The bank's reference of a paid line: BR, the day, the line id (zero-padded to 8 digits)."""
    return f"BR{day:%Y%m%d}{line_id:0{BANK_REFERENCE_ID_DIGITS}d}"


@dataclasses.dataclass(slots=True)
class Line:
    """One payment line as a transition needs it: its columns, not a model instance."""

    id: int
    payment_id: int
    end_to_end_id: str
    amount: Decimal
    currency: str
    creditor_account: str
    kid: str
    status: str
    reason: str
    amount_paid: Decimal | None
    value_date: datetime.date | None
    bank_reference: str


_LINE_COLUMNS = tuple(field.name for field in dataclasses.fields(Line))


def chunks[T](items: Sequence[T], size: int = ID_CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def lines_of(payment_ids: Sequence[int], *, status: str | None = None) -> dict[int, list[Line]]:
    """Return the lines of these (locked) payments by payment id, each payment's in id order."""
    found: dict[int, list[Line]] = defaultdict(list)
    for chunk in chunks(sorted(payment_ids)):
        query = models.PaymentLine.objects.filter(payment_id__in=chunk)
        if status is not None:
            query = query.filter(status=status)
        for row in (
            query.order_by("payment_id", "id").values_list(*_LINE_COLUMNS).iterator(chunk_size=ID_CHUNK)
        ):
            found[row[1]].append(Line(*row))
    return found


def _line_payload(payment: models.Payment, line: Line) -> dict[str, Any]:
    return {
        "payment_reference": payment.reference,
        "payment_id": payment.payment_id,
        "end_to_end_id": line.end_to_end_id,
        "autopay_status": line.status,
        "erp_status": models.ERP_STATUS_BY_AUTOPAY_STATUS[line.status],
        "amount_paid": None if line.amount_paid is None else str(line.amount_paid),
        "currency": line.currency,
        "value_date": None if line.value_date is None else line.value_date.isoformat(),
        "bank_reference": line.bank_reference or None,
        "reason": line.reason,
    }


class Batch:
    """The status changes of one transaction, by one actor at one moment, written together by `write()`."""

    def __init__(self, *, actor: str, now: datetime.datetime) -> None:
        self.actor = actor
        self.now = now
        self._payments: dict[int, models.Payment] = {}
        self._payment_at_fields: dict[int, set[str]] = defaultdict(set)
        self._lines: dict[int, Line] = {}
        self._paid: set[int] = set()
        self._events: list[tuple[Any, ...]] = []
        self._messages: list[tuple[int, models.MessageType, dict[str, Any]]] = []

    def event(self, *, payment: models.Payment, kind: str, details: str = "", **fields: Any) -> None:
        """Record an event of a payment (or, with `line_id`, of one of its lines)."""
        self._events.append(
            (
                payment.pk,
                fields.get("line_id"),
                kind,
                fields.get("from_status", ""),
                fields.get("to_status", ""),
                fields.get("actor", self.actor),
                self.now,
                details,
            )
        )

    def payment_to(
        self,
        payment: models.Payment,
        to: models.AutoPayStatus,
        *,
        lines: Iterable[Line],
        reason: str = "",
        lines_from: frozenset[str] | None = None,
        at_field: str | None = None,
    ) -> models.Payment:
        """Move a locked payment, and those of `lines` in `lines_from` (default: its own status), to `to`."""
        from_status = payment.status
        payment.status = to
        if at_field:
            setattr(payment, at_field, self.now)
            self._payment_at_fields[payment.pk].add(at_field)
        self._payments[payment.pk] = payment
        self.event(payment=payment, kind="status", from_status=from_status, to_status=to, details=reason)
        movable = lines_from if lines_from is not None else frozenset({from_status})
        # A line's `reason` says why it was rejected or cancelled (the wire's line_status payload), no more.
        line_reason = reason if to in ENDED_WITH_REASON else ""
        for line in lines:
            if line.status in movable and line.status != to:
                self.line_to(payment, line, to, reason=line_reason)
        return payment

    def line_to(
        self,
        payment: models.Payment,
        line: Line,
        to: models.AutoPayStatus,
        *,
        reason: str = "",
        paid_on: datetime.date | None = None,
    ) -> None:
        """Move a line of a locked payment to `to`; `paid_on` pays its current amount with that value date."""
        from_status = line.status
        line.status = to
        if reason:
            line.reason = reason
        if paid_on is not None:
            line.amount_paid = line.amount
            line.value_date = paid_on
            line.bank_reference = bank_reference(paid_on, line.id)
            self._paid.add(line.id)
        self._lines[line.id] = line
        self.event(
            payment=payment, kind="line_status", line_id=line.id, from_status=from_status, to_status=to,
            details=reason,
        )  # fmt: skip
        self._messages.append(
            (payment.company_id, models.MessageType.LINE_STATUS, _line_payload(payment, line))
        )

    def write(self) -> None:
        """Store every change collected: payments, lines, events and messages, in a few statements."""
        self._write_payments()
        self._write_lines()
        inserts.rows_insert(
            model=models.PaymentEvent,
            columns=("payment_id", "line_id", "kind", "from_status", "to_status", "actor", "at", "details"),
            rows=self._events,
        )
        messages.messages_emit(messages=self._messages, now=self.now)
        self._events, self._messages = [], []

    def _write_payments(self) -> None:
        groups: dict[tuple[str, frozenset[str]], list[int]] = defaultdict(list)
        for pk, payment in self._payments.items():
            groups[(payment.status, frozenset(self._payment_at_fields[pk]))].append(pk)
        for (status, at_fields), ids in groups.items():
            for chunk in chunks(ids):
                models.Payment.objects.filter(pk__in=chunk).update(
                    status=status, **{field: self.now for field in at_fields}
                )
        self._payments, self._payment_at_fields = {}, defaultdict(set)

    def _write_lines(self) -> None:
        groups: dict[tuple[Any, ...], list[int]] = defaultdict(list)
        for line in self._lines.values():
            paid = line.id in self._paid
            groups[(line.status, line.reason, paid, line.value_date if paid else None)].append(line.id)
        for (status, reason, paid, value_date), ids in groups.items():
            values: dict[str, Any] = {"status": status, "reason": reason}
            if paid:
                assert value_date is not None
                # The same text as bank_reference(): the id padded to 8 digits (a longer id is kept whole).
                prefix = f"BR{value_date:%Y%m%d}"
                id_text = Cast("id", CharField())
                values |= {"amount_paid": F("amount"), "value_date": value_date}
                ids.sort()
                short = [pk for pk in ids if pk < 10**BANK_REFERENCE_ID_DIGITS]
                long = [pk for pk in ids if pk >= 10**BANK_REFERENCE_ID_DIGITS]
                for chunk in chunks(short):
                    models.PaymentLine.objects.filter(pk__in=chunk).update(
                        bank_reference=Concat(
                            Value(prefix), LPad(id_text, BANK_REFERENCE_ID_DIGITS, Value("0"))
                        ),
                        **values,
                    )
                for chunk in chunks(long):
                    models.PaymentLine.objects.filter(pk__in=chunk).update(
                        bank_reference=Concat(Value(prefix), id_text), **values
                    )
                continue
            for chunk in chunks(ids):
                models.PaymentLine.objects.filter(pk__in=chunk).update(**values)
        self._lines, self._paid = {}, set()
