"""OCR Giro files for the parser tests, written with the project's writer and read back with netsgiro."""

from __future__ import annotations

import io
from decimal import Decimal

import netsgiro

from factoring.parsers import ParsedPayment
from factoring.parsers.ocr_writer import OcrPayment, ocr_giro_write

ALL_TYPES = tuple(range(10, 22))


def mixed_payments(n: int) -> list[OcrPayment]:
    """``n`` payments cycling through every transaction type 10-21, with KIDs, texts and payer accounts."""
    payments = []
    for i in range(n):
        tx_type = ALL_TYPES[i % len(ALL_TYPES)]
        payments.append(
            OcrPayment(
                amount=Decimal(1 + (i * 7919) % 10_000_000).scaleb(-2),
                kid="" if tx_type in (20, 21) else f"{i:08d}",
                transaction_type=tx_type,
                payer_account="12345678903" if tx_type < 18 else "",
                archive_reference=f"{(i * 31) % 10**9:09d}",
                text=f"Kjøp {i} på terminal" if tx_type in (20, 21) else "",
            )
        )
    return payments


def ocr_bytes(payments: list[OcrPayment], **kwargs: object) -> bytes:
    stream = io.BytesIO()
    ocr_giro_write(stream, payments=payments, **kwargs)  # type: ignore[arg-type]
    return stream.getvalue()


def netsgiro_payments(data: bytes) -> list[ParsedPayment]:
    """Read ``data`` with netsgiro's object API, the reference reading, into ParsedPayments."""
    transmission = netsgiro.parse(data.decode("latin-1"))
    payments: list[ParsedPayment] = []
    for assignment in transmission.assignments:
        for t in assignment.transactions:
            assert isinstance(t, netsgiro.Transaction)
            payments.append(
                ParsedPayment(
                    line_no=len(payments) + 1,
                    credited_account=assignment.account,
                    amount=t.amount.quantize(Decimal("0.01")),
                    is_reversal=int(t.type) in (18, 20) or t.sign == "-",
                    booking_date=t.date,
                    value_date=t.date,
                    kid=t.kid or "",
                    message=t.text or "",
                    payer_account="" if t.debit_account in (None, "0" * 11) else t.debit_account,
                    payer_name="",
                    archive_reference="" if t.reference in (None, "0" * 9) else t.reference,
                    bank_transaction_type=f"{int(t.type):02d}",
                    currency="NOK",
                )
            )
    return payments
