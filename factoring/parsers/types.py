"""The parsers' public types: what a bank file is read into, and the one error they raise."""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any, Protocol

from django.utils.functional import Promise


class ParseError(Exception):
    """A bank file that cannot be read as what it claims to be.

    The message is translatable: it is kept lazy with its parameters and rendered in the active language when
    the error is shown (``str(error)``). ``line_no`` is the line of the file the problem was found on (for
    XML, the line of the element), or ``None`` when it concerns the whole file.
    """

    def __init__(
        self,
        message: str | Promise,
        *,
        line_no: int | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> None:
        self.message = message
        self.line_no = line_no
        self.params: dict[str, Any] = dict(params or {})
        super().__init__(message)

    def __str__(self) -> str:
        text = str(self.message)
        return text % self.params if self.params else text


@dataclasses.dataclass(frozen=True, slots=True)
class ParsedPayment:
    """One incoming payment as a bank file states it."""

    line_no: int
    credited_account: str
    amount: Decimal
    is_reversal: bool
    booking_date: datetime.date
    value_date: datetime.date
    kid: str
    message: str
    payer_account: str
    payer_name: str
    archive_reference: str
    bank_transaction_type: str
    currency: str


@dataclasses.dataclass(frozen=True, slots=True)
class FileSummary:
    """What a file says about itself; complete once its payments were read without a ParseError.

    ``skipped_count``/``skipped_amount``: entries of a camt.054 file that are not incoming payments (debits
    that are not reversals of a credit, reversed debits, entries not booked); always 0 for OCR Giro.
    """

    format: str
    version: str
    file_reference: str
    created_at: datetime.datetime | None
    payment_count: int
    total_amount: Decimal
    skipped_count: int = 0
    skipped_amount: Decimal = Decimal("0.00")


class ParsedFile(Protocol):
    """A bank file being read: its payments in chunks, and its summary once they are read."""

    format: str
    summary: FileSummary

    def chunks(self, size: int = 5000) -> Iterator[list[ParsedPayment]]: ...
