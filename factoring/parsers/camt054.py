"""ISO 20022 camt.054 debit/credit notifications (camt.054.001.02 to .08), read as a stream of entries.

lxml's iterparse reads the file element by element; each entry (``Ntry``) is read when it ends and is then
cleared with the siblings before it, so memory stays flat however many entries a file has. The official XSD
of the file's version (from ``xsd/``) is attached to the parser and checked as the file streams by; libxml2
reports schema errors when the document ends, so a file is only valid once ``chunks()`` is exhausted.

The parser refuses any document type declaration, resolves no entities and reaches no network: an entity
expansion bomb or an external entity is a ParseError, never memory or a file read.

Which entries are incoming payments (decided in docs/incoming.md):
- booked (``BOOK``) credits without the reversal indicator: payments;
- booked debits with the reversal indicator (a credit taken back): payments with ``is_reversal``;
- everything else (debits, reversed debits, pending or information entries): skipped, and counted in the
  summary's ``skipped_count``/``skipped_amount``.
An entry with several transaction details (a batch booking) gives one payment per detail.
"""

from __future__ import annotations

import datetime
import functools
import pathlib
import re
import zoneinfo
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import BinaryIO

from lxml import etree

from factoring.parsers import messages as m
from factoring.parsers.types import FileSummary, ParsedPayment, ParseError

FORMAT = "camt054"
NAMESPACE_PREFIX = "urn:iso:std:iso:20022:tech:xsd:"
SUPPORTED_VERSIONS = tuple(f"camt.054.001.{n:02d}" for n in range(2, 9))
XSD_DIR = pathlib.Path(__file__).resolve().parent / "xsd"
OSLO = zoneinfo.ZoneInfo("Europe/Oslo")

_VERSION = re.compile(rb"urn:iso:std:iso:20022:tech:xsd:(camt\.054\.001\.\d\d)")
_DOCTYPE = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)
_AMOUNT = re.compile(r"\d{1,18}(\.\d{1,5})?", re.ASCII)
_TWO_PLACES = Decimal("0.01")
_TRUE = frozenset({"true", "1"})
# libxml2's schema validity errors (XML_SCHEMAV_*).
_SCHEMA_ERROR_CODES = range(1800, 1900)


@functools.cache
def _schema(version: str) -> etree.XMLSchema:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.XMLSchema(etree.parse(str(XSD_DIR / f"{version}.xsd"), parser))


def version_from_head(head: bytes) -> str:
    """Return the camt.054 version named by the first namespace in ``head``.

    :raises ParseError: there is none, or it is not a supported version.
    """
    match = _VERSION.search(head)
    if match is None:
        raise ParseError(m.XML_NOT_CAMT054, params={"namespace": "-"})
    version = match[1].decode("ascii")
    if version not in SUPPORTED_VERSIONS:
        raise ParseError(m.XML_UNSUPPORTED_VERSION, params={"version": version})
    return version


def _amount(text: str | None, line_no: int) -> Decimal:
    value = (text or "").strip()
    if not _AMOUNT.fullmatch(value):
        raise ParseError(m.CAMT_BAD_AMOUNT, line_no=line_no, params={"line": line_no, "value": value or "-"})
    return Decimal(value)


def _payment_amount(value: Decimal, line_no: int) -> Decimal:
    """Return ``value`` with two decimals: a payment's amount is positive, in whole øre or cents."""
    try:
        exact = value.quantize(_TWO_PLACES)
    except InvalidOperation:  # pragma: no cover - _AMOUNT admits at most 18 digits
        exact = Decimal(-1)
    if exact != value or exact <= 0:
        raise ParseError(m.CAMT_BAD_AMOUNT, line_no=line_no, params={"line": line_no, "value": str(value)})
    return exact


def _date(text: str, element: str, line_no: int) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text.strip()[:10])
    except ValueError:
        raise ParseError(
            m.CAMT_BAD_VALUE, line_no=line_no, params={"line": line_no, "value": text, "element": element}
        ) from None


def _datetime(text: str, line_no: int) -> datetime.datetime:
    try:
        value = datetime.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ParseError(
            m.CAMT_BAD_VALUE, line_no=line_no, params={"line": line_no, "value": text, "element": "CreDtTm"}
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=OSLO)


class _Notification:
    """What one ``Ntfctn`` states about itself and what its entries add up to."""

    def __init__(self, element: etree._Element, paths: _Paths) -> None:
        self.element = element
        self.line_no = element.sourceline or 0
        account = element.find(paths.account_iban)
        if account is None:
            account = element.find(paths.account_other)
        self.account = (account.text or "").strip() if account is not None else ""
        self.summary = element.find(paths.summary)
        self.summary_line = self.summary.sourceline if self.summary is not None else self.line_no
        self.counts = {"all": 0, "CRDT": 0, "DBIT": 0}
        self.sums = {"all": Decimal(0), "CRDT": Decimal(0), "DBIT": Decimal(0)}

    def add(self, direction: str, amount: Decimal) -> None:
        for key in ("all", direction):
            if key in self.counts:
                self.counts[key] += 1
                self.sums[key] += amount


class _Paths:
    """The element paths of one camt.054 version's namespace, in Clark notation."""

    def __init__(self, namespace: str) -> None:
        def p(path: str) -> str:
            return "/".join(f"{{{namespace}}}{part}" for part in path.split("/"))

        self.p = p
        q = {"q": namespace}
        self.entry_fields = etree.XPath(_concat(_ENTRY_FIELDS), namespaces=q, smart_strings=False)
        self.detail_fields = etree.XPath(_concat(_DETAIL_FIELDS), namespaces=q, smart_strings=False)
        self.creditor_refs = etree.XPath(
            "q:RmtInf/q:Strd/q:CdtrRefInf/q:Ref/text()", namespaces=q, smart_strings=False
        )
        self.unstructured_texts = etree.XPath("q:RmtInf/q:Ustrd/text()", namespaces=q, smart_strings=False)
        self.document = p("Document")
        self.group_header = p("GrpHdr")
        self.notification = p("Ntfctn")
        self.entry = p("Ntry")
        self.account_iban = p("Acct/Id/IBAN")
        self.account_other = p("Acct/Id/Othr/Id")
        self.summary = p("TxsSummry")
        self.summary_parts = {"all": p("TtlNtries"), "CRDT": p("TtlCdtNtries"), "DBIT": p("TtlDbtNtries")}
        self.count = p("NbOfNtries")
        self.sum = p("Sum")
        self.msg_id = p("MsgId")
        self.created = p("CreDtTm")
        self.amt = p("Amt")
        self.cdi = p("CdtDbtInd")
        self.reversal = p("RvslInd")
        self.status = p("Sts")
        self.code = p("Cd")
        self.booking_dt = p("BookgDt/Dt")
        self.booking_dttm = p("BookgDt/DtTm")
        self.value_dt = p("ValDt/Dt")
        self.value_dttm = p("ValDt/DtTm")
        self.servicer_ref = p("AcctSvcrRef")
        self.refs_servicer_ref = p("Refs/AcctSvcrRef")
        self.tx_code = p("BkTxCd")
        self.domain = p("Domn/Cd")
        self.family = p("Domn/Fmly/Cd")
        self.sub_family = p("Domn/Fmly/SubFmlyCd")
        self.proprietary = p("Prtry/Cd")
        self.entry_details = p("NtryDtls")
        self.batch_count = p("Btch/NbOfTxs")
        self.tx_details = p("TxDtls")
        self.tx_amount = p("Amt")
        self.tx_amount_v2 = p("AmtDtls/TxAmt/Amt")
        self.creditor_ref = p("RmtInf/Strd/CdtrRefInf/Ref")
        self.unstructured = p("RmtInf/Ustrd")
        self.debtor_name = p("RltdPties/Dbtr/Nm")
        self.debtor_party_name = p("RltdPties/Dbtr/Pty/Nm")
        self.debtor_iban = p("RltdPties/DbtrAcct/Id/IBAN")
        self.debtor_other = p("RltdPties/DbtrAcct/Id/Othr/Id")
        self.additional_entry_info = p("AddtlNtryInf")


#: Fields read from an entry and from a transaction detail, each with one XPath call: one call per element
#: is several times cheaper than a namespaced find per field, because lxml builds no element proxies.
_ENTRY_FIELDS = (
    "q:Amt",
    "q:Amt/@Ccy",
    "q:CdtDbtInd",
    "q:RvslInd",
    "q:Sts/q:Cd",
    "q:Sts/text()",
    "q:BookgDt/q:Dt",
    "q:BookgDt/q:DtTm",
    "q:ValDt/q:Dt",
    "q:ValDt/q:DtTm",
    "q:AcctSvcrRef",
    "q:BkTxCd/q:Domn/q:Cd",
    "q:BkTxCd/q:Domn/q:Fmly/q:Cd",
    "q:BkTxCd/q:Domn/q:Fmly/q:SubFmlyCd",
    "q:BkTxCd/q:Prtry/q:Cd",
    "q:AddtlNtryInf",
    "count(q:NtryDtls/q:TxDtls)",
)
_DETAIL_FIELDS = (
    "q:Amt",
    "q:Amt/@Ccy",
    "q:AmtDtls/q:TxAmt/q:Amt",
    "q:AmtDtls/q:TxAmt/q:Amt/@Ccy",
    "q:RltdPties/q:DbtrAcct/q:Id/q:IBAN",
    "q:RltdPties/q:DbtrAcct/q:Id/q:Othr/q:Id",
    "q:RltdPties/q:Dbtr/q:Nm",
    "q:RltdPties/q:Dbtr/q:Pty/q:Nm",
    "q:Refs/q:AcctSvcrRef",
    "q:BkTxCd/q:Domn/q:Cd",
    "q:BkTxCd/q:Domn/q:Fmly/q:Cd",
    "q:BkTxCd/q:Domn/q:Fmly/q:SubFmlyCd",
    "q:BkTxCd/q:Prtry/q:Cd",
    "count(q:RmtInf/q:Strd/q:CdtrRefInf/q:Ref)",
    "count(q:RmtInf/q:Ustrd)",
)
# U+241F SYMBOL FOR UNIT SEPARATOR: a text holding it shifts the fields, which _fields refuses.
_SEPARATOR = "\u241f"


def _concat(fields: tuple[str, ...]) -> str:
    return "concat(" + f",'{_SEPARATOR}',".join(fields) + ")"


def _fields(result: object, expected: int, line_no: int) -> tuple[str, ...]:
    values = str(result).split(_SEPARATOR)
    if len(values) != expected:
        raise ParseError(
            m.CAMT_BAD_VALUE,
            line_no=line_no,
            params={"line": line_no, "value": repr(_SEPARATOR), "element": "text"},
        )
    return tuple(value.strip() for value in values)


def _stripped(result: object) -> list[str]:
    return [text for text in (str(value).strip() for value in result) if text]  # type: ignore[attr-defined]


def _code(domain: str, family: str, sub_family: str, proprietary: str) -> str:
    if domain:
        return "/".join(part for part in (domain, family, sub_family) if part)
    return proprietary


def _text(element: etree._Element, path: str) -> str:
    value = element.findtext(path)
    return value.strip() if value else ""


class Camt054File:
    """One camt.054 notification message read from a binary stream, its payments in chunks."""

    format = FORMAT

    def __init__(self, stream: BinaryIO, *, head: bytes, validate: bool = True) -> None:
        """:raises ParseError: the head names no supported camt.054 version, or declares a DTD."""
        self._stream = stream
        self.version = version_from_head(head)
        if _DOCTYPE.search(head):
            raise ParseError(m.XML_DTD)
        self._validate = validate
        self._read = False
        self._count = 0
        self._total = Decimal("0.00")
        self._skipped_count = 0
        self._skipped_amount = Decimal("0.00")
        self._reference = ""
        self._created: datetime.datetime | None = None
        self._summarise()

    def _summarise(self) -> None:
        self.summary = FileSummary(
            format=FORMAT,
            version=self.version,
            file_reference=self._reference,
            created_at=self._created,
            payment_count=self._count,
            total_amount=self._total,
            skipped_count=self._skipped_count,
            skipped_amount=self._skipped_amount,
        )

    def chunks(self, size: int = 5000) -> Iterator[list[ParsedPayment]]:
        """Yield the notification's incoming payments in lists of at most ``size``, checking its totals.

        :raises ParseError: the file is not well-formed, not valid camt.054 of its version, or disagrees with
            its own totals.
        """
        if size < 1:
            raise ParseError(m.CHUNK_SIZE)
        if self._read:
            raise ParseError(m.ALREADY_READ)
        self._read = True
        namespace = NAMESPACE_PREFIX + self.version
        paths = _Paths(namespace)
        context = etree.iterparse(
            self._stream,
            events=("start", "end"),
            tag=(paths.document, paths.group_header, paths.notification, paths.entry),
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
            schema=_schema(self.version) if self._validate else None,
        )
        batch: list[ParsedPayment] = []
        seen_document = False
        # libxml2 reports no error for a document cut short when entities are left unresolved and a schema
        # is attached: the document's own end is what tells a complete file.
        document_closed = False
        notification: _Notification | None = None
        try:
            for event, element in context:
                if not seen_document:
                    self._refuse_dtd(element)
                    root = element.getroottree().getroot()
                    if root.tag != paths.document:
                        raise ParseError(m.XML_WRONG_ROOT, params={"element": root.tag})
                    seen_document = True
                if event == "start":
                    continue
                tag = element.tag
                if tag == paths.document:
                    document_closed = True
                    continue
                if tag == paths.entry:
                    parent = element.getparent()
                    if notification is None or notification.element is not parent:
                        notification = _Notification(parent, paths)
                    batch.extend(self._entry(element, notification, paths))
                    element.clear()
                    while element.getprevious() is not None:
                        del parent[0]
                    if len(batch) >= size:
                        while len(batch) >= size:
                            self._summarise()
                            yield batch[:size]
                            batch = batch[size:]
                elif tag == paths.notification:
                    if notification is None or notification.element is not element:
                        notification = _Notification(element, paths)
                    self._check_summary(notification, paths)
                    notification = None
                    self._drop(element)
                elif tag == paths.group_header:
                    self._reference = _text(element, paths.msg_id)
                    created = _text(element, paths.created)
                    if created:
                        self._created = _datetime(created, element.sourceline or 0)
                    self._drop(element)
        except etree.XMLSyntaxError as error:
            detail = str(error.msg or error).strip()
            if error.code in _SCHEMA_ERROR_CODES:
                raise ParseError(m.XML_INVALID, params={"version": self.version, "detail": detail}) from None
            line = error.lineno or 0
            raise ParseError(
                m.XML_SYNTAX, line_no=line or None, params={"line": line, "detail": detail}
            ) from None
        if not seen_document:
            raise ParseError(m.XML_WRONG_ROOT, params={"element": "-"})
        if not document_closed:
            raise ParseError(m.XML_TRUNCATED)
        self._summarise()
        if batch:
            yield batch

    @staticmethod
    def _refuse_dtd(element: etree._Element) -> None:
        docinfo = element.getroottree().docinfo
        if docinfo.internalDTD is not None or docinfo.externalDTD is not None or docinfo.doctype:
            raise ParseError(m.XML_DTD)

    @staticmethod
    def _drop(element: etree._Element) -> None:
        element.clear()
        parent = element.getparent()
        if parent is not None:
            while element.getprevious() is not None:
                del parent[0]

    def _entry(
        self, entry: etree._Element, notification: _Notification, paths: _Paths
    ) -> list[ParsedPayment]:
        line = entry.sourceline or 0
        if not notification.account:
            raise ParseError(
                m.CAMT_NO_ACCOUNT, line_no=notification.line_no, params={"line": notification.line_no}
            )
        (
            amount_text,
            currency,
            direction,
            reversal_text,
            status_code,
            status_text,
            booking_dt,
            booking_dttm,
            value_dt,
            value_dttm,
            entry_reference,
            domain,
            family,
            sub_family,
            proprietary,
            additional,
            _,
        ) = _fields(paths.entry_fields(entry), len(_ENTRY_FIELDS), line)
        amount = _amount(amount_text, line)
        notification.add(direction, amount)
        reversal = reversal_text.lower() in _TRUE
        status = status_code or status_text
        taken = status == "BOOK" and (
            (direction == "CRDT" and not reversal) or (direction == "DBIT" and reversal)
        )
        if not taken:
            self._skipped_count += 1
            self._skipped_amount += amount
            return []
        entry_amount = _payment_amount(amount, line)
        booking_text = booking_dt or booking_dttm
        value_text = value_dt or value_dttm
        if not booking_text and not value_text:
            raise ParseError(m.CAMT_NO_DATE, line_no=line, params={"line": line})
        booking = _date(booking_text or value_text, "BookgDt", line)
        value = _date(value_text, "ValDt", line) if value_text else booking
        entry_code = _code(domain, family, sub_family, proprietary)

        details: list[etree._Element] = []
        for entry_details in entry.iterfind(paths.entry_details):
            own = entry_details.findall(paths.tx_details)
            stated = _text(entry_details, paths.batch_count)
            if own and stated and (not stated.isascii() or not stated.isdigit() or int(stated) != len(own)):
                detail_line = entry_details.sourceline or line
                raise ParseError(
                    m.CAMT_BATCH_COUNT,
                    line_no=detail_line,
                    params={"line": detail_line, "stated": stated, "counted": len(own)},
                )
            details.extend(own)

        if not details:
            self._count += 1
            self._total += entry_amount
            return [
                ParsedPayment(
                    line_no=self._count,
                    credited_account=notification.account,
                    amount=entry_amount,
                    is_reversal=reversal,
                    booking_date=booking,
                    value_date=value,
                    kid="",
                    message=additional,
                    payer_account="",
                    payer_name="",
                    archive_reference=entry_reference,
                    bank_transaction_type=entry_code,
                    currency=currency,
                )
            ]

        read: list[tuple[str, ...]] = []
        amounts: list[Decimal] = []
        for detail in details:
            detail_line = detail.sourceline or line
            fields = _fields(paths.detail_fields(detail), len(_DETAIL_FIELDS), detail_line)
            read.append(fields)
            detail_amount, detail_currency, old_amount, old_currency = fields[:4]
            if not detail_amount:
                detail_amount, detail_currency = old_amount, old_currency
            if not detail_amount:
                if len(details) > 1:
                    raise ParseError(
                        m.CAMT_DETAIL_AMOUNT_MISSING,
                        line_no=line,
                        params={"line": line, "count": len(details)},
                    )
                amounts.append(entry_amount)
                continue
            if detail_currency != currency:
                raise ParseError(
                    m.CAMT_DETAIL_CURRENCY,
                    line_no=detail_line,
                    params={"line": detail_line, "found": detail_currency, "expected": currency},
                )
            amounts.append(_payment_amount(_amount(detail_amount, detail_line), detail_line))
        details_total = sum(amounts, Decimal(0))
        if details_total != entry_amount:
            raise ParseError(
                m.CAMT_DETAILS_SUM,
                line_no=line,
                params={"line": line, "counted": m.amount(details_total), "stated": m.amount(entry_amount)},
            )
        payments: list[ParsedPayment] = []
        for detail, fields, detail_amount_value in zip(details, read, amounts, strict=True):
            (
                _,
                _,
                _,
                _,
                iban,
                other_account,
                name,
                party_name,
                detail_reference,
                d_domain,
                d_family,
                d_sub_family,
                d_proprietary,
                reference_count,
                text_count,
            ) = fields
            references: list[str] = []
            texts: list[str] = []
            if reference_count != "0":
                references = list(dict.fromkeys(_stripped(paths.creditor_refs(detail))))
            if text_count != "0":
                texts = _stripped(paths.unstructured_texts(detail))
            kid = references[0] if len(references) == 1 else ""
            if len(references) > 1:
                # One transfer for several references: no single KID to match; the references go to the
                # message so that the payment is handled by hand.
                texts.append(", ".join(references))
            self._count += 1
            self._total += detail_amount_value
            payments.append(
                ParsedPayment(
                    line_no=self._count,
                    credited_account=notification.account,
                    amount=detail_amount_value,
                    is_reversal=reversal,
                    booking_date=booking,
                    value_date=value,
                    kid=kid,
                    message=" ".join(texts),
                    payer_account=iban or other_account,
                    payer_name=name or party_name,
                    archive_reference=detail_reference or entry_reference,
                    bank_transaction_type=_code(d_domain, d_family, d_sub_family, d_proprietary)
                    or entry_code,
                    currency=currency,
                )
            )
        return payments

    @staticmethod
    def _check_summary(notification: _Notification, paths: _Paths) -> None:
        summary = notification.summary
        if summary is None:
            return
        for key, path in paths.summary_parts.items():
            part = summary.find(path)
            if part is None:
                continue
            counted_count, counted_sum = notification.counts[key], notification.sums[key]
            line = part.sourceline or notification.summary_line
            element = etree.QName(part).localname
            stated_count = _text(part, paths.count)
            if stated_count and (
                not stated_count.isascii() or not stated_count.isdigit() or int(stated_count) != counted_count
            ):
                raise ParseError(
                    m.CAMT_SUMMARY,
                    line_no=line,
                    params={
                        "line": line,
                        "element": f"{element}/NbOfNtries",
                        "stated": stated_count,
                        "counted": counted_count,
                    },
                )
            stated_sum = _text(part, paths.sum)
            if stated_sum and _amount(stated_sum, line) != counted_sum:
                raise ParseError(
                    m.CAMT_SUMMARY,
                    line_no=line,
                    params={
                        "line": line,
                        "element": f"{element}/Sum",
                        "stated": m.amount(_amount(stated_sum, line)),
                        "counted": m.amount(counted_sum),
                    },
                )
