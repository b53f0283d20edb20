"""Writing a valid Nets OCR Giro transmission, streaming: for test files and benchmarks.

The records are laid out as the Nets specification and netsgiro's ``to_ocr`` write them; one assignment
holds all payments, and the control totals (transactions, records, amount in øre with reversals added)
are counted as the payments are written.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import BinaryIO

_TEXT_TYPES = (20, 21)
_FLUSH_LINES = 8192


@dataclasses.dataclass(frozen=True, slots=True)
class OcrPayment:
    """A payment to write: an amount in NOK, its KID or free text, and where it came from."""

    amount: Decimal
    kid: str = ""
    transaction_type: int = 10
    payer_account: str = ""
    archive_reference: str = ""
    text: str = ""
    date: datetime.date | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class OcrWritten:
    """What was written: the transmission's own control totals."""

    payment_count: int
    record_count: int
    total_amount: Decimal


def _cents(amount: Decimal) -> int:
    cents = amount.scaleb(2)
    if cents != cents.to_integral_value() or cents <= 0 or cents >= 10**17:
        raise ValueError(f"amount must be positive with at most two decimals, got {amount!r}")
    return int(cents)


def ocr_giro_write(
    stream: BinaryIO,
    *,
    payments: Iterable[OcrPayment],
    account: str = "86011117947",
    date: datetime.date = datetime.date(2026, 11, 17),
    transmission_number: str = "0000001",
    data_recipient: str = "00010200",
    agreement_id: str = "000000001",
    assignment_number: str = "0000001",
) -> OcrWritten:
    """Write one OCR Giro transmission with one assignment of ``payments`` to ``stream`` (bytes, ISO-8859-1).

    :raises ValueError: a payment or parameter cannot be written in the fixed-width layout.
    """
    for name, value, width in (
        ("account", account, 11),
        ("transmission_number", transmission_number, 7),
        ("data_recipient", data_recipient, 8),
        ("agreement_id", agreement_id, 9),
        ("assignment_number", assignment_number, 7),
    ):
        if len(value) != width or not value.isdigit():
            raise ValueError(f"{name} must be {width} digits, got {value!r}")
    lines = [
        f"NY000010{'00008080'}{transmission_number}{data_recipient}{'0' * 49}",
        f"NY090020{agreement_id}{assignment_number}{account}{'0' * 45}",
    ]
    count = 0
    records = 1
    total = 0
    earliest: datetime.date | None = None
    latest: datetime.date | None = None
    for payment in payments:
        count += 1
        tx_type = payment.transaction_type
        if not 10 <= tx_type <= 21:
            raise ValueError(f"transaction type must be 10 to 21, got {tx_type}")
        kid = payment.kid
        if len(kid) > 25 or not (kid.rstrip("-").isdigit() or kid == "") or "-" in kid[:-1]:
            raise ValueError(f"KID must be at most 25 digits (a last '-' allowed), got {kid!r}")
        reference = payment.archive_reference or "0" * 9
        if len(reference) > 9 or not reference.isdigit():
            raise ValueError(f"archive reference must be at most 9 digits, got {reference!r}")
        payer = payment.payer_account or "0" * 11
        if len(payer) != 11 or not payer.isdigit():
            raise ValueError(f"payer account must be 11 digits, got {payer!r}")
        cents = _cents(payment.amount)
        day = payment.date or date
        earliest = day if earliest is None or day < earliest else earliest
        latest = day if latest is None or day > latest else latest
        terminal = tx_type >= 18
        dmy = f"{day:%d%m%y}"
        lines.append(
            f"NY09{tx_type:02d}30{count:07d}{dmy}01{day.day:02d}{0 if terminal else 1}{count % 100000:05d}0"
            f"{cents:017d}{kid:>25}000000"
        )
        lines.append(
            f"NY09{tx_type:02d}31{count:07d}{'0' * 10}{reference:0>9}{'0' * 7}{dmy}"
            f"{'0' * 11 if terminal else payer}{'0' * 22}"
        )
        records += 2
        if tx_type in _TEXT_TYPES:
            text = payment.text
            if len(text) > 40 or not text.isprintable():
                raise ValueError(f"free text must be at most 40 printable characters, got {text!r}")
            lines.append(f"NY09{tx_type:02d}32{count:07d}{text:<40}{'0' * 25}")
            records += 1
        elif payment.text:
            raise ValueError(f"only transaction types 20 and 21 carry free text, not {tx_type}")
        total += cents
        if len(lines) >= _FLUSH_LINES:
            stream.write(("\n".join(lines) + "\n").encode("latin-1"))
            lines = []
    records += 1
    first = f"{earliest or date:%d%m%y}"
    last = f"{latest or date:%d%m%y}"
    lines.append(f"NY090088{count:08d}{records:08d}{total:017d}{date:%d%m%y}{first}{last}{'0' * 21}")
    lines.append(f"NY000089{count:08d}{records + 2:08d}{total:017d}{date:%d%m%y}{'0' * 33}")
    stream.write(("\n".join(lines) + "\n").encode("latin-1"))
    return OcrWritten(payment_count=count, record_count=records + 2, total_amount=Decimal(total).scaleb(-2))
