"""Builds pain.001.001.09 documents for the tests, as the ERP would send them."""

import dataclasses
import datetime
from decimal import Decimal
from xml.sax.saxutils import escape


@dataclasses.dataclass
class DocLine:
    end_to_end_id: str
    amount: Decimal
    creditor_account: str
    kid: str | None = None
    message: str = ""
    creditor_name: str = "Leverandør AS"


def _account(account: str) -> str:
    if account[:2].isalpha():
        return f"<Id><IBAN>{account}</IBAN></Id>"
    return f"<Id><Othr><Id>{account}</Id><SchmeNm><Cd>BBAN</Cd></SchmeNm></Othr></Id>"


def pain001(
    *,
    org_no: str,
    payment_id: str,
    debtor_account: str,
    lines: list[DocLine],
    requested_date: datetime.date = datetime.date(2026, 11, 23),
    message_id: str = "MSG-1",
) -> bytes:
    transactions = []
    for line in lines:
        if line.kid is not None:
            remittance = (
                "<RmtInf><Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp>"
                f"<Ref>{line.kid}</Ref></CdtrRefInf></Strd></RmtInf>"
            )
        elif line.message:
            remittance = f"<RmtInf><Ustrd>{escape(line.message)}</Ustrd></RmtInf>"
        else:
            remittance = ""
        transactions.append(
            f"<CdtTrfTxInf><PmtId><EndToEndId>{line.end_to_end_id}</EndToEndId></PmtId>"
            f'<Amt><InstdAmt Ccy="NOK">{line.amount}</InstdAmt></Amt>'
            f"<Cdtr><Nm>{escape(line.creditor_name)}</Nm></Cdtr>"
            f"<CdtrAcct>{_account(line.creditor_account)}</CdtrAcct>{remittance}</CdtTrfTxInf>"
        )
    total = sum((line.amount for line in lines), Decimal(0))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"><CstmrCdtTrfInitn>'
        f"<GrpHdr><MsgId>{message_id}</MsgId><CreDtTm>2026-11-22T10:00:00</CreDtTm>"
        f"<NbOfTxs>{len(lines)}</NbOfTxs><CtrlSum>{total}</CtrlSum>"
        f"<InitgPty><Id><OrgId><Othr><Id>{org_no}</Id></Othr></OrgId></Id></InitgPty></GrpHdr>"
        f"<PmtInf><PmtInfId>{payment_id}</PmtInfId><PmtMtd>TRF</PmtMtd>"
        f"<ReqdExctnDt><Dt>{requested_date.isoformat()}</Dt></ReqdExctnDt>"
        "<Dbtr><Nm>Debitor AS</Nm></Dbtr>"
        f"<DbtrAcct>{_account(debtor_account)}</DbtrAcct>"
        "<DbtrAgt><FinInstnId><BICFI>DNBANOKKXXX</BICFI></FinInstnId></DbtrAgt>"
        f"{''.join(transactions)}</PmtInf></CstmrCdtTrfInitn></Document>"
    ).encode()
