"""Typed, immutable objects for what AutoPay sends, and their strict parsers.

Amounts are `Decimal` parsed from the wire's strings (a JSON number is refused: it may have passed through
a float), dates are `date`, timestamps aware `datetime`. Anything that does not match docs/autopay-wire.md
raises `errors.MalformedResponse`, which is not retryable: the same bytes will not parse better next time.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime
import re
import uuid
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from autopay_client import errors, statuses

_AMOUNT: Final = re.compile(r"^-?[0-9]{1,16}(\.[0-9]{1,2})?$")
_CURRENCY: Final = re.compile(r"^[A-Z]{3}$")


@dataclasses.dataclass(frozen=True)
class Activation:
    key_id: str
    signing_key: bytes = dataclasses.field(repr=False)
    activated_at: datetime.datetime


@dataclasses.dataclass(frozen=True)
class PaymentLineReceipt:
    end_to_end_id: str
    status: statuses.AutoPayStatus
    amount: Decimal


@dataclasses.dataclass(frozen=True)
class PaymentReceipt:
    """A payment as AutoPay holds it; `created` is False when an upload found the payment already there."""

    reference: str
    payment_id: str
    status: statuses.AutoPayStatus
    lines: tuple[PaymentLineReceipt, ...]
    created: bool = False


@dataclasses.dataclass(frozen=True)
class LineStatusMessage:
    id: uuid.UUID
    seq: int
    created_at: datetime.datetime
    payment_reference: str
    payment_id: str
    end_to_end_id: str
    autopay_status: statuses.AutoPayStatus
    erp_status: statuses.ErpLineStatus
    amount_paid: Decimal | None
    currency: str
    value_date: datetime.date | None
    bank_reference: str | None
    reason: str

    type = "line_status"


@dataclasses.dataclass(frozen=True)
class IncomingPaymentMessage:
    id: uuid.UUID
    seq: int
    created_at: datetime.datetime
    amount: Decimal
    currency: str
    date: datetime.date
    kid: str | None
    message: str
    payer_account: str
    payer_name: str
    credited_account: str
    archive_reference: str

    type = "incoming_payment"


@dataclasses.dataclass(frozen=True)
class ApprovalTokenMessage:
    id: uuid.UUID
    seq: int
    created_at: datetime.datetime
    token: str
    invoice_no: str
    supplier_account: str
    amount: Decimal
    currency: str
    approved_by: str
    approved_at: datetime.datetime

    type = "approval_token"


Message = LineStatusMessage | IncomingPaymentMessage | ApprovalTokenMessage


@dataclasses.dataclass(frozen=True)
class MessagePage:
    messages: tuple[Message, ...]
    next_after: int


class _Reader:
    """Read typed fields out of one JSON object, naming the field's path in every error."""

    def __init__(self, data: object, where: str) -> None:
        if not isinstance(data, Mapping):
            raise errors.MalformedResponse(
                f"{where}: expected an object, got {type(data).__name__}", code="malformed_response"
            )
        self.data = data
        self.where = where

    def fail(self, name: str, problem: str) -> errors.MalformedResponse:
        return errors.MalformedResponse(f"{self.where}.{name}: {problem}", code="malformed_response")

    def raw(self, name: str) -> Any:
        if name not in self.data:
            raise self.fail(name, "missing")
        return self.data[name]

    def text(self, name: str, *, allow_empty: bool = True) -> str:
        value = self.raw(name)
        if not isinstance(value, str):
            raise self.fail(name, f"expected a string, got {value!r}")
        if not allow_empty and not value:
            raise self.fail(name, "must not be empty")
        return value

    def optional_text(self, name: str) -> str | None:
        return None if self.raw(name) is None else self.text(name)

    def integer(self, name: str) -> int:
        value = self.raw(name)
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(name, f"expected an integer, got {value!r}")
        return value

    def amount(self, name: str) -> Decimal:
        value = self.raw(name)
        if not isinstance(value, str) or not _AMOUNT.match(value):
            raise self.fail(name, f"expected an amount as a string like '1250.00', got {value!r}")
        try:
            return Decimal(value)
        except InvalidOperation as exc:  # pragma: no cover - the pattern already excludes it
            raise self.fail(name, f"not a decimal: {value!r}") from exc

    def optional_amount(self, name: str) -> Decimal | None:
        return None if self.raw(name) is None else self.amount(name)

    def currency(self, name: str) -> str:
        value = self.text(name)
        if not _CURRENCY.match(value):
            raise self.fail(name, f"expected an ISO 4217 code, got {value!r}")
        return value

    def day(self, name: str) -> datetime.date:
        value = self.text(name)
        try:
            return datetime.date.fromisoformat(value)
        except ValueError as exc:
            raise self.fail(name, f"expected a date YYYY-MM-DD, got {value!r}") from exc

    def optional_day(self, name: str) -> datetime.date | None:
        return None if self.raw(name) is None else self.day(name)

    def timestamp(self, name: str) -> datetime.datetime:
        value = self.text(name)
        try:
            parsed = datetime.datetime.fromisoformat(value)
        except ValueError as exc:
            raise self.fail(name, f"expected an ISO 8601 timestamp, got {value!r}") from exc
        if parsed.tzinfo is None:
            raise self.fail(name, f"timestamp has no time zone: {value!r}")
        return parsed

    def uid(self, name: str) -> uuid.UUID:
        value = self.text(name)
        try:
            return uuid.UUID(value)
        except ValueError as exc:
            raise self.fail(name, f"expected a UUID, got {value!r}") from exc

    def status(self, name: str) -> statuses.AutoPayStatus:
        try:
            return statuses.parse_autopay_status(self.text(name))
        except ValueError as exc:
            raise self.fail(name, str(exc)) from exc

    def items(self, name: str) -> list[Any]:
        value = self.raw(name)
        if not isinstance(value, list):
            raise self.fail(name, f"expected a list, got {type(value).__name__}")
        return value

    def obj(self, name: str) -> _Reader:
        return _Reader(self.raw(name), f"{self.where}.{name}")


def parse_activation(data: object) -> Activation:
    """Parse the body of a successful activation.

    :raises errors.MalformedResponse: when it is not one.
    """
    r = _Reader(data, "activation")
    try:
        key = base64.b64decode(r.text("signing_key", allow_empty=False), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise r.fail("signing_key", "not base64") from exc
    if len(key) < 32:
        raise r.fail("signing_key", f"expected at least 32 bytes, got {len(key)}")
    return Activation(
        key_id=r.text("key_id", allow_empty=False), signing_key=key, activated_at=r.timestamp("activated_at")
    )


def parse_payment(data: object, *, created: bool = False) -> PaymentReceipt:
    """Parse a payment as AutoPay returns it from upload, get and cancel.

    :raises errors.MalformedResponse: when it is not one.
    """
    r = _Reader(data, "payment")
    lines = []
    for index, item in enumerate(r.items("lines")):
        line = _Reader(item, f"payment.lines[{index}]")
        lines.append(
            PaymentLineReceipt(
                end_to_end_id=line.text("end_to_end_id", allow_empty=False),
                status=line.status("status"),
                amount=line.amount("amount"),
            )
        )
    return PaymentReceipt(
        reference=r.text("reference", allow_empty=False),
        payment_id=r.text("payment_id", allow_empty=False),
        status=r.status("status"),
        lines=tuple(lines),
        created=created,
    )


_STATUS_BY_CODE: Final[Mapping[str, statuses.AutoPayStatus]] = {
    status.value: status for status in statuses.AutoPayStatus
}
_ERP_STATUS_BY_CODE: Final[Mapping[str, statuses.ErpLineStatus]] = {
    status.value: statuses.erp_line_status(status) for status in statuses.AutoPayStatus
}


def _stamp(value: object, seen: dict[str, datetime.datetime]) -> datetime.datetime:
    """Parse an aware ISO timestamp, once per distinct text of a page (a bank day's messages share one)."""
    if type(value) is not str:
        raise TypeError(value)
    parsed = seen.get(value)
    if parsed is None:
        parsed = datetime.datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError(value)
        seen[value] = parsed
    return parsed


def _text(value: object, *, allow_empty: bool = True) -> str:
    if type(value) is not str or not (allow_empty or value):
        raise TypeError(value)
    return value


def _line_status_fast(
    envelope: Mapping[str, Any], payload: object, stamps: dict[str, datetime.datetime]
) -> LineStatusMessage | None:
    """Parse a line_status message that is well-formed, with the checks of `_line_status`; else None.

    The common case without a `_Reader` per field: 3 to 4 times faster. Anything it does not accept goes to
    `_line_status`, which says exactly what is wrong, so the two cannot disagree on what is refused.
    """
    try:
        if not isinstance(payload, Mapping):
            return None
        code = payload["autopay_status"]
        erp_status = payload["erp_status"]
        if type(erp_status) is not int or erp_status != _ERP_STATUS_BY_CODE[code]:
            return None
        seq = envelope["seq"]
        if type(seq) is not int:
            return None
        amount_paid = payload["amount_paid"]
        if amount_paid is not None:
            if type(amount_paid) is not str or not _AMOUNT.match(amount_paid):
                return None
            amount_paid = Decimal(amount_paid)
        currency = payload["currency"]
        if type(currency) is not str or not _CURRENCY.match(currency):
            return None
        value_date = payload["value_date"]
        if value_date is not None:
            value_date = datetime.date.fromisoformat(_text(value_date))
        bank_reference = payload["bank_reference"]
        if bank_reference is not None:
            _text(bank_reference)
        return LineStatusMessage(
            id=uuid.UUID(_text(envelope["id"])),
            seq=seq,
            created_at=_stamp(envelope["created_at"], stamps),
            payment_reference=_text(payload["payment_reference"], allow_empty=False),
            payment_id=_text(payload["payment_id"], allow_empty=False),
            end_to_end_id=_text(payload["end_to_end_id"], allow_empty=False),
            autopay_status=_STATUS_BY_CODE[code],
            erp_status=_ERP_STATUS_BY_CODE[code],
            amount_paid=amount_paid,
            currency=currency,
            value_date=value_date,
            bank_reference=bank_reference,
            reason=_text(payload["reason"]),
        )
    except (KeyError, TypeError, ValueError, InvalidOperation):
        return None


def _line_status(envelope: _Reader, payload: _Reader) -> LineStatusMessage:
    autopay_status = payload.status("autopay_status")
    erp_status = payload.integer("erp_status")
    expected = statuses.erp_line_status(autopay_status)
    if erp_status != expected:
        raise payload.fail(
            "erp_status",
            f"{erp_status} does not match {autopay_status.value!r}, which maps to {int(expected)}",
        )
    return LineStatusMessage(
        id=envelope.uid("id"),
        seq=envelope.integer("seq"),
        created_at=envelope.timestamp("created_at"),
        payment_reference=payload.text("payment_reference", allow_empty=False),
        payment_id=payload.text("payment_id", allow_empty=False),
        end_to_end_id=payload.text("end_to_end_id", allow_empty=False),
        autopay_status=autopay_status,
        erp_status=expected,
        amount_paid=payload.optional_amount("amount_paid"),
        currency=payload.currency("currency"),
        value_date=payload.optional_day("value_date"),
        bank_reference=payload.optional_text("bank_reference"),
        reason=payload.text("reason"),
    )


def _incoming_payment(envelope: _Reader, payload: _Reader) -> IncomingPaymentMessage:
    return IncomingPaymentMessage(
        id=envelope.uid("id"),
        seq=envelope.integer("seq"),
        created_at=envelope.timestamp("created_at"),
        amount=payload.amount("amount"),
        currency=payload.currency("currency"),
        date=payload.day("date"),
        kid=payload.optional_text("kid"),
        message=payload.text("message"),
        payer_account=payload.text("payer_account"),
        payer_name=payload.text("payer_name"),
        credited_account=payload.text("credited_account", allow_empty=False),
        archive_reference=payload.text("archive_reference", allow_empty=False),
    )


def _approval_token(envelope: _Reader, payload: _Reader) -> ApprovalTokenMessage:
    return ApprovalTokenMessage(
        id=envelope.uid("id"),
        seq=envelope.integer("seq"),
        created_at=envelope.timestamp("created_at"),
        token=payload.text("token", allow_empty=False),
        invoice_no=payload.text("invoice_no", allow_empty=False),
        supplier_account=payload.text("supplier_account"),
        amount=payload.amount("amount"),
        currency=payload.currency("currency"),
        approved_by=payload.text("approved_by"),
        approved_at=payload.timestamp("approved_at"),
    )


_PARSERS: Final[Mapping[str, Callable[[_Reader, _Reader], Message]]] = {
    LineStatusMessage.type: _line_status,
    IncomingPaymentMessage.type: _incoming_payment,
    ApprovalTokenMessage.type: _approval_token,
}


def parse_message(data: object, where: str = "message") -> Message:
    """Parse one message of the feed into its typed object.

    :raises errors.MalformedResponse: when the type is unknown or a field is missing or of the wrong shape.
    """
    envelope = _Reader(data, where)
    kind = envelope.text("type")
    parser = _PARSERS.get(kind)
    if parser is None:
        raise envelope.fail("type", f"unknown message type {kind!r}")
    return parser(envelope, envelope.obj("payload"))


def parse_message_page(data: object) -> MessagePage:
    """Parse a page of the message feed; the messages must come in increasing `seq`.

    :raises errors.MalformedResponse: when the page or any message in it is malformed.
    """
    r = _Reader(data, "page")
    stamps: dict[str, datetime.datetime] = {}
    found: list[Message] = []
    for i, item in enumerate(r.items("messages")):
        fast = (
            _line_status_fast(item, item.get("payload"), stamps)
            if type(item) is dict and item.get("type") == LineStatusMessage.type
            else None
        )
        found.append(fast if fast is not None else parse_message(item, f"page.messages[{i}]"))
    parsed = tuple(found)
    seqs = [message.seq for message in parsed]
    if seqs != sorted(set(seqs)):
        raise r.fail("messages", f"seq not strictly increasing: {seqs}")
    next_after = r.integer("next_after")
    if parsed and next_after != parsed[-1].seq:
        raise r.fail("next_after", f"{next_after} is not the last seq returned ({parsed[-1].seq})")
    return MessagePage(messages=parsed, next_after=next_after)


@dataclasses.dataclass(frozen=True)
class MalformedMessage:
    """An entry of a page that is not a valid message: what could be read of it, the raw entry and why.

    `id`, `seq` and `type` are None when the entry does not carry them in a readable form.
    """

    index: int
    id: uuid.UUID | None
    seq: int | None
    type: str | None
    raw: Any
    reason: str


@dataclasses.dataclass(frozen=True)
class TolerantMessagePage:
    messages: tuple[Message, ...]
    malformed: tuple[MalformedMessage, ...]
    next_after: int


def _malformed(index: int, item: object, reason: str) -> MalformedMessage:
    found_id: uuid.UUID | None = None
    found_seq: int | None = None
    found_type: str | None = None
    if isinstance(item, Mapping):
        raw_id, raw_seq, raw_type = item.get("id"), item.get("seq"), item.get("type")
        if isinstance(raw_id, str):
            try:
                found_id = uuid.UUID(raw_id)
            except ValueError:
                found_id = None
        if isinstance(raw_seq, int) and not isinstance(raw_seq, bool):
            found_seq = raw_seq
        if isinstance(raw_type, str):
            found_type = raw_type[:40]
    return MalformedMessage(index=index, id=found_id, seq=found_seq, type=found_type, raw=item, reason=reason)


def parse_message_page_tolerant(data: object) -> TolerantMessagePage:
    """Parse a page of the feed message by message: a malformed message is returned apart, not raised.

    The page itself must still be well formed: a list of messages, increasing `seq` where readable, and
    `next_after` the last seq returned, so that a reader can never skip past what it did not see.

    :raises errors.MalformedResponse: when the page (not one of its messages) is malformed.
    """
    r = _Reader(data, "page")
    parsed: list[Message] = []
    malformed: list[MalformedMessage] = []
    seqs: list[int] = []
    stamps: dict[str, datetime.datetime] = {}
    for index, item in enumerate(r.items("messages")):
        fast = (
            _line_status_fast(item, item.get("payload"), stamps)
            if type(item) is dict and item.get("type") == LineStatusMessage.type
            else None
        )
        if fast is not None:
            parsed.append(fast)
            seqs.append(fast.seq)
            continue
        try:
            message = parse_message(item, f"page.messages[{index}]")
        except errors.MalformedResponse as exc:
            entry = _malformed(index, item, str(exc))
            malformed.append(entry)
            if entry.seq is not None:
                seqs.append(entry.seq)
            continue
        parsed.append(message)
        seqs.append(message.seq)
    if seqs != sorted(set(seqs)):
        raise r.fail("messages", f"seq not strictly increasing: {seqs}")
    next_after = r.integer("next_after")
    if seqs and next_after < seqs[-1]:
        raise r.fail("next_after", f"{next_after} is before the last seq returned ({seqs[-1]})")
    return TolerantMessagePage(messages=tuple(parsed), malformed=tuple(malformed), next_after=next_after)
