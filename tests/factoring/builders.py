"""Bank files made for the parser tests: camt.054 notifications of every version, OCR Giro payment lists."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from decimal import Decimal
from xml.sax.saxutils import escape

VERSIONS = tuple(f"camt.054.001.{n:02d}" for n in range(2, 9))


@dataclasses.dataclass(frozen=True)
class Detail:
    amount: Decimal | None
    kid: str = ""
    message: str = ""
    payer_name: str = ""
    payer_iban: str = ""
    reference: str = ""


@dataclasses.dataclass(frozen=True)
class Entry:
    amount: Decimal
    direction: str = "CRDT"
    reversal: bool = False
    status: str = "BOOK"
    booking_date: str = "2026-11-17"
    value_date: str = "2026-11-18"
    reference: str = "ENTRYREF"
    details: tuple[Detail, ...] = ()
    batch_count: int | None = None


def _detail(version: str, d: Detail, currency: str, direction: str) -> str:
    minor = int(version[-2:])
    parts = ["<TxDtls>"]
    if d.reference:
        parts.append(f"<Refs><AcctSvcrRef>{escape(d.reference)}</AcctSvcrRef></Refs>")
    if d.amount is not None:
        if minor >= 3:
            parts.append(f'<Amt Ccy="{currency}">{d.amount}</Amt><CdtDbtInd>{direction}</CdtDbtInd>')
        else:
            parts.append(f'<AmtDtls><TxAmt><Amt Ccy="{currency}">{d.amount}</Amt></TxAmt></AmtDtls>')
    if d.payer_name or d.payer_iban:
        parts.append("<RltdPties>")
        if d.payer_name:
            name = f"<Nm>{escape(d.payer_name)}</Nm>"
            parts.append(f"<Dbtr><Pty>{name}</Pty></Dbtr>" if minor >= 7 else f"<Dbtr>{name}</Dbtr>")
        if d.payer_iban:
            parts.append(f"<DbtrAcct><Id><IBAN>{d.payer_iban}</IBAN></Id></DbtrAcct>")
        parts.append("</RltdPties>")
    if d.kid or d.message:
        parts.append("<RmtInf>")
        if d.message:
            parts.append(f"<Ustrd>{escape(d.message)}</Ustrd>")
        if d.kid:
            parts.append(
                "<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp>"
                f"<Ref>{escape(d.kid)}</Ref></CdtrRefInf></Strd>"
            )
        parts.append("</RmtInf>")
    parts.append("</TxDtls>")
    return "".join(parts)


def _entry(version: str, e: Entry, currency: str) -> str:
    minor = int(version[-2:])
    status = f"<Sts><Cd>{e.status}</Cd></Sts>" if minor >= 7 else f"<Sts>{e.status}</Sts>"
    parts = [
        f'<Ntry><Amt Ccy="{currency}">{e.amount}</Amt><CdtDbtInd>{e.direction}</CdtDbtInd>',
        "<RvslInd>true</RvslInd>" if e.reversal else "",
        status,
        f"<BookgDt><Dt>{e.booking_date}</Dt></BookgDt><ValDt><Dt>{e.value_date}</Dt></ValDt>",
        f"<AcctSvcrRef>{e.reference}</AcctSvcrRef>" if e.reference else "",
        "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>DMCT</SubFmlyCd></Fmly></Domn></BkTxCd>",
    ]
    if e.details or e.batch_count is not None:
        parts.append("<NtryDtls>")
        if e.batch_count is not None:
            parts.append(f"<Btch><NbOfTxs>{e.batch_count}</NbOfTxs></Btch>")
        parts.extend(_detail(version, d, currency, e.direction) for d in e.details)
        parts.append("</NtryDtls>")
    parts.append("</Ntry>")
    return "".join(parts)


def camt054_chunks(
    version: str,
    entries: Iterable[Entry],
    *,
    account: str = "NO9386011117947",
    currency: str = "NOK",
    summary: tuple[int, Decimal, int, Decimal, int, Decimal] | None = None,
    msg_id: str = "MSG-1",
) -> Iterator[bytes]:
    """Yield a camt.054 document with one notification of ``entries``, as bytes, piece by piece.

    ``summary`` (entries, sum, credits, credit sum, debits, debit sum) adds a TxsSummry.
    """
    ns = f"urn:iso:std:iso:20022:tech:xsd:{version}"
    head = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="{ns}"><BkToCstmrDbtCdtNtfctn>'
        f"<GrpHdr><MsgId>{msg_id}</MsgId><CreDtTm>2026-11-17T06:00:00</CreDtTm></GrpHdr>"
        f"<Ntfctn><Id>NTF-1</Id><CreDtTm>2026-11-17T06:00:00+01:00</CreDtTm>"
        f"<Acct><Id><IBAN>{account}</IBAN></Id></Acct>"
    )
    if summary is not None:
        n, total, nc, tc, nd, td = summary
        head += (
            f"<TxsSummry><TtlNtries><NbOfNtries>{n}</NbOfNtries><Sum>{total}</Sum></TtlNtries>"
            f"<TtlCdtNtries><NbOfNtries>{nc}</NbOfNtries><Sum>{tc}</Sum></TtlCdtNtries>"
            f"<TtlDbtNtries><NbOfNtries>{nd}</NbOfNtries><Sum>{td}</Sum></TtlDbtNtries></TxsSummry>"
        )
    yield head.encode()
    pieces: list[str] = []
    for entry in entries:
        pieces.append(_entry(version, entry, currency))
        if len(pieces) >= 1000:
            yield "\n".join(pieces).encode()
            pieces = []
    pieces.append("</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>\n")
    yield "\n".join(pieces).encode()


def camt054_bytes(version: str, entries: Iterable[Entry], **kwargs: object) -> bytes:
    return b"".join(camt054_chunks(version, entries, **kwargs))  # type: ignore[arg-type]


def summary_of(entries: list[Entry]) -> tuple[int, Decimal, int, Decimal, int, Decimal]:
    credits = [e.amount for e in entries if e.direction == "CRDT"]
    debits = [e.amount for e in entries if e.direction == "DBIT"]
    return (
        len(entries),
        sum(credits + debits, Decimal(0)),
        len(credits),
        sum(credits, Decimal(0)),
        len(debits),
        sum(debits, Decimal(0)),
    )
