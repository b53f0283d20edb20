"""Nets OCR Giro transmissions, read as a stream of 80-character records.

The record layouts are those of the Nets "System specification OCR giro". netsgiro's record classes read the
few structure records (transmission and assignment start and end), where their cost does not matter; the
transactions, two or three records each and millions of them in a large file, are read here with one
compiled pattern per record, because netsgiro builds several objects per record and reads about a third of
the rate needed. tests/factoring/test_parsers_ocr.py holds the two readings against each other.
"""

from __future__ import annotations

import datetime
import itertools
import re
import zoneinfo
from collections.abc import Iterator
from decimal import Decimal
from typing import BinaryIO

import netsgiro.records

from factoring.parsers import messages as m
from factoring.parsers.types import FileSummary, ParsedPayment, ParseError

FORMAT = "ocr_giro"
VERSION = "ocr"
LINE_LENGTH = 80
OSLO = zoneinfo.ZoneInfo("Europe/Oslo")
#: Transaction types that reverse an earlier payment (information transactions from terminals).
REVERSAL_TYPES = frozenset({"18", "20"})
#: Transaction types that carry a third amount item with free text.
TEXT_TYPES = frozenset({"20", "21"})

_TYPE = r"(1[0-9]|2[01])"
# Amount item 1: type, transaction number, Nets date, (centre id, day code, partial settlement, serial
# number), sign, amount in øre, KID right-aligned and blank-filled, filler/card drawer.
_ITEM1 = re.compile(r"NY09" + _TYPE + r"30(\d{7})(\d{6})\d{10}([-0])(\d{17})( *\d*-?)[\d ]{6}", re.ASCII)
# Amount item 2: type, transaction number, form number, agreement id/archive reference, filler (in use in
# Nets' own sample), bank date, debit account, filler.
_ITEM2 = re.compile(
    r"NY09" + _TYPE + r"31(\d{7})\d{10}(\d{9})[^\x00-\x1f\x7f]{7}\d{6}(\d{11})\d{22}", re.ASCII
)
# Amount item 3 (types 20 and 21): type, transaction number, free text, filler.
_ITEM3 = re.compile(r"NY09(2[01])32(\d{7})([^\x00-\x1f\x7f]{40})\d{25}", re.ASCII)
_ZEROS_9 = "0" * 9
_ZEROS_11 = "0" * 11
_BLOCK_SIZE = 1 << 20


class OcrGiroFile:
    """One OCR Giro transmission read from a binary stream, its payments in chunks."""

    format = FORMAT

    def __init__(self, stream: BinaryIO, *, block_size: int = _BLOCK_SIZE) -> None:
        self._stream = stream
        self._block_size = block_size
        self._read = False
        self._lines_read = 0
        self.summary = FileSummary(
            format=FORMAT,
            version=VERSION,
            file_reference="",
            created_at=None,
            payment_count=0,
            total_amount=Decimal("0.00"),
        )

    # -- reading lines -------------------------------------------------------------------------------------

    def _blocks(self) -> Iterator[list[str]]:
        rest = ""
        first = True
        while True:
            block = self._stream.read(self._block_size)
            if not block:
                break
            if first:
                first = False
                if block.startswith(b"\xef\xbb\xbf"):
                    block = block[3:]
            # ISO-8859-1 decodes any byte; a file in another encoding fails the line length or the fields.
            text = rest + block.decode("latin-1")
            if "\r" in text:
                text = text.replace("\r\n", "\n")
            lines = text.split("\n")
            rest = lines.pop()
            self._lines_read += len(lines)
            if len(rest) > LINE_LENGTH + 1:
                raise ParseError(
                    m.OCR_LINE_TOO_LONG, line_no=self._lines_read + 1, params={"line": self._lines_read + 1}
                )
            yield lines
        rest = rest.rstrip("\r")
        if rest:
            yield [rest]

    # -- errors --------------------------------------------------------------------------------------------

    @staticmethod
    def _bad_line(line: str, line_no: int, record_type: str) -> ParseError:
        if len(line) != LINE_LENGTH:
            return ParseError(
                m.OCR_LINE_LENGTH, line_no=line_no, params={"line": line_no, "length": len(line)}
            )
        if not line.startswith("NY"):
            return ParseError(m.OCR_NOT_NY, line_no=line_no, params={"line": line_no})
        found = line[6:8]
        if found not in m.RECORD_NAMES:
            return ParseError(
                m.OCR_UNKNOWN_RECORD, line_no=line_no, params={"line": line_no, "record_type": repr(found)}
            )
        if found != record_type:
            return ParseError(
                m.OCR_UNEXPECTED_RECORD,
                line_no=line_no,
                params={
                    "line": line_no,
                    "found": m.RECORD_NAMES[found],
                    "expected": m.RECORD_NAMES[record_type],
                },
            )
        if line[2:4] == "21" and record_type == "20":
            return ParseError(m.OCR_AVTALEGIRO, line_no=line_no, params={"line": line_no})
        return ParseError(
            m.OCR_BAD_RECORD, line_no=line_no, params={"line": line_no, "record": m.RECORD_NAMES[record_type]}
        )

    def _record[R: netsgiro.records.Record](
        self, cls: type[R], line: str, line_no: int, record_type: str
    ) -> R:
        """Read a structure record with netsgiro (its pattern is the reference for these records)."""
        if len(line) != LINE_LENGTH or line[6:8] != record_type:
            raise self._bad_line(line, line_no, record_type)
        try:
            return cls.from_string(line)
        except (ValueError, TypeError):
            raise self._bad_line(line, line_no, record_type) from None

    @staticmethod
    def _truncated(line_no: int, expected: str | object) -> ParseError:
        return ParseError(m.OCR_TRUNCATED, line_no=line_no, params={"line": line_no, "expected": expected})

    @staticmethod
    def _total_error(
        message: object, line_no: int, what: object, stated: object, counted: object, assignment: str = ""
    ) -> ParseError:
        return ParseError(
            message,  # type: ignore[arg-type]
            line_no=line_no,
            params={
                "line": line_no,
                "what": what,
                "stated": stated,
                "counted": counted,
                "assignment": assignment,
            },
        )

    # -- the transmission ----------------------------------------------------------------------------------

    def _summarise(
        self, *, file_reference: str, count: int, total_cents: int, created_at: datetime.datetime | None
    ) -> None:
        self.summary = FileSummary(
            format=FORMAT,
            version=VERSION,
            file_reference=file_reference,
            created_at=created_at,
            payment_count=count,
            total_amount=Decimal(total_cents).scaleb(-2),
        )

    def chunks(self, size: int = 5000) -> Iterator[list[ParsedPayment]]:
        """Yield the transmission's payments in lists of at most ``size``, checking its structure and totals.

        :raises ParseError: the file is not a complete, consistent OCR Giro transmission.
        """
        if size < 1:
            raise ParseError(m.CHUNK_SIZE)
        if self._read:
            raise ParseError(m.ALREADY_READ)
        self._read = True
        lines = itertools.chain.from_iterable(self._blocks())
        dates: dict[str, datetime.date] = {}
        payment = ParsedPayment
        new = object.__new__
        slots = ParsedPayment.__dict__
        set_line_no = slots["line_no"].__set__
        set_credited_account = slots["credited_account"].__set__
        set_amount = slots["amount"].__set__
        set_is_reversal = slots["is_reversal"].__set__
        set_booking_date = slots["booking_date"].__set__
        set_value_date = slots["value_date"].__set__
        set_kid = slots["kid"].__set__
        set_message = slots["message"].__set__
        set_payer_account = slots["payer_account"].__set__
        set_payer_name = slots["payer_name"].__set__
        set_archive_reference = slots["archive_reference"].__set__
        set_bank_transaction_type = slots["bank_transaction_type"].__set__
        set_currency = slots["currency"].__set__
        to_decimal = Decimal

        line = next(lines, None)
        n = 1
        if line is None:
            raise ParseError(m.EMPTY_FILE)
        start = self._record(netsgiro.records.TransmissionStart, line, n, "10")
        reference = start.transmission_number
        self._summarise(file_reference=reference, count=0, total_cents=0, created_at=None)

        batch: list[ParsedPayment] = []
        count = 0
        total_cents = 0
        total_records = 1
        previous_assignment: int | None = None
        line = next(lines, None)
        n += 1
        while True:
            if line is None:
                raise self._truncated(n - 1, m.RECORD_NAMES["89"])
            record_type = line[6:8]
            if record_type == "20":
                assignment = self._record(netsgiro.records.AssignmentStart, line, n, "20")
                if assignment.service_code != netsgiro.ServiceCode.OCR_GIRO:
                    raise ParseError(m.OCR_AVTALEGIRO, line_no=n, params={"line": n})
                number = int(assignment.assignment_number)
                if previous_assignment is not None and number <= previous_assignment:
                    raise ParseError(
                        m.OCR_ASSIGNMENT_SEQUENCE,
                        line_no=n,
                        params={"line": n, "number": number, "previous": previous_assignment},
                    )
                previous_assignment = number
                account = assignment.assignment_account
                a_records = 1
                a_count = 0
                a_cents = 0
                previous_tx = 0
                line = next(lines, None)
                n += 1
                while line is not None and line[6:8] == "30":
                    match1 = _ITEM1.fullmatch(line)
                    if match1 is None:
                        raise self._bad_line(line, n, "30")
                    tx_type, tx_no, date_text, sign, amount_text, kid = match1.groups()
                    line = next(lines, None)
                    n += 1
                    if line is None:
                        raise self._truncated(n - 1, m.RECORD_NAMES["31"])
                    match2 = _ITEM2.fullmatch(line)
                    if match2 is None:
                        raise self._bad_line(line, n, "31")
                    if match2[1] != tx_type or match2[2] != tx_no:
                        raise ParseError(
                            m.OCR_ITEM_MISMATCH,
                            line_no=n,
                            params={
                                "line": n,
                                "record": m.RECORD_NAMES["31"],
                                "number": tx_no,
                                "type": tx_type,
                            },
                        )
                    if tx_type in TEXT_TYPES:
                        line = next(lines, None)
                        n += 1
                        if line is None:
                            raise self._truncated(n - 1, m.RECORD_NAMES["32"])
                        match3 = _ITEM3.fullmatch(line)
                        if match3 is None:
                            raise self._bad_line(line, n, "32")
                        if match3[1] != tx_type or match3[2] != tx_no:
                            raise ParseError(
                                m.OCR_ITEM_MISMATCH,
                                line_no=n,
                                params={
                                    "line": n,
                                    "record": m.RECORD_NAMES["32"],
                                    "number": tx_no,
                                    "type": tx_type,
                                },
                            )
                        text = match3[3].strip()
                        a_records += 3
                    else:
                        text = ""
                        a_records += 2
                    tx_number = int(tx_no)
                    if tx_number <= previous_tx:
                        raise ParseError(
                            m.OCR_SEQUENCE,
                            line_no=n,
                            params={"line": n, "number": tx_number, "previous": previous_tx},
                        )
                    previous_tx = tx_number
                    amount_cents = int(amount_text)
                    if amount_cents == 0:
                        raise ParseError(
                            m.OCR_ZERO_AMOUNT, line_no=n, params={"line": n, "number": tx_number}
                        )
                    a_cents += amount_cents
                    a_count += 1
                    date = dates.get(date_text)
                    if date is None:
                        date = dates[date_text] = _date(date_text, n)
                    reference_text = match2[3]
                    debit_account = match2[4]
                    count += 1
                    # The frozen dataclass's own __init__ (object.__setattr__ per field) costs a third of the
                    # time per payment; setting its slots directly makes the same, equal object.
                    obj = new(payment)
                    set_line_no(obj, count)
                    set_credited_account(obj, account)
                    set_amount(obj, to_decimal(amount_text[:-2] + "." + amount_text[-2:]))
                    set_is_reversal(obj, tx_type in REVERSAL_TYPES or sign == "-")
                    set_booking_date(obj, date)
                    set_value_date(obj, date)
                    set_kid(obj, kid.lstrip(" "))
                    set_message(obj, text)
                    set_payer_account(obj, "" if debit_account == _ZEROS_11 else debit_account)
                    set_payer_name(obj, "")
                    set_archive_reference(obj, "" if reference_text == _ZEROS_9 else reference_text)
                    set_bank_transaction_type(obj, tx_type)
                    set_currency(obj, "NOK")
                    batch.append(obj)
                    if len(batch) >= size:
                        self._summarise(
                            file_reference=reference,
                            count=count,
                            total_cents=total_cents + a_cents,
                            created_at=None,
                        )
                        yield batch
                        batch = []
                    line = next(lines, None)
                    n += 1
                if line is None:
                    raise self._truncated(n - 1, m.RECORD_NAMES["88"])
                if line[6:8] != "88":
                    raise self._unexpected(line, n, m.EXPECT_TRANSACTION_OR_END)
                end = self._record(netsgiro.records.AssignmentEnd, line, n, "88")
                a_records += 1
                label = assignment.assignment_number
                if end.num_transactions != a_count:
                    raise self._total_error(
                        m.OCR_ASSIGNMENT_TOTAL, n, m.WHAT_TRANSACTIONS, end.num_transactions, a_count, label
                    )
                if end.num_records != a_records:
                    raise self._total_error(
                        m.OCR_ASSIGNMENT_TOTAL, n, m.WHAT_RECORDS, end.num_records, a_records, label
                    )
                if (end.total_amount or 0) != a_cents:
                    raise self._total_error(
                        m.OCR_ASSIGNMENT_TOTAL,
                        n,
                        m.WHAT_AMOUNT,
                        m.cents(end.total_amount or 0),
                        m.cents(a_cents),
                        label,
                    )
                total_records += a_records
                total_cents += a_cents
            elif record_type == "89":
                break
            else:
                raise self._unexpected(line, n, m.EXPECT_ASSIGNMENT_OR_END)
            line = next(lines, None)
            n += 1

        end_record = self._record(netsgiro.records.TransmissionEnd, line, n, "89")
        total_records += 1
        if end_record.num_transactions != count:
            raise self._total_error(
                m.OCR_TRANSMISSION_TOTAL, n, m.WHAT_TRANSACTIONS, end_record.num_transactions, count
            )
        if end_record.num_records != total_records:
            raise self._total_error(
                m.OCR_TRANSMISSION_TOTAL, n, m.WHAT_RECORDS, end_record.num_records, total_records
            )
        if end_record.total_amount != total_cents:
            raise self._total_error(
                m.OCR_TRANSMISSION_TOTAL,
                n,
                m.WHAT_AMOUNT,
                m.cents(end_record.total_amount),
                m.cents(total_cents),
            )
        for trailing in lines:
            n += 1
            if trailing.strip(" \t\r\x1a"):
                raise ParseError(m.OCR_AFTER_END, line_no=n, params={"line": n})
        created = end_record.nets_date
        self._summarise(
            file_reference=reference,
            count=count,
            total_cents=total_cents,
            created_at=datetime.datetime.combine(created, datetime.time(), tzinfo=OSLO) if created else None,
        )
        if batch:
            yield batch

    def _unexpected(self, line: str, line_no: int, expected: object) -> ParseError:
        found = line[6:8] if len(line) == LINE_LENGTH and line.startswith("NY") else None
        if found in m.RECORD_NAMES:
            return ParseError(
                m.OCR_UNEXPECTED_RECORD,
                line_no=line_no,
                params={"line": line_no, "found": m.RECORD_NAMES[found], "expected": expected},
            )
        return self._bad_line(line, line_no, "30")


def _date(text: str, line_no: int) -> datetime.date:
    try:
        return datetime.datetime.strptime(text, "%d%m%y").date()
    except ValueError:
        raise ParseError(m.OCR_BAD_DATE, line_no=line_no, params={"line": line_no, "value": text}) from None
