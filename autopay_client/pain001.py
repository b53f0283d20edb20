"""Build ISO 20022 pain.001.001.09 credit-transfer documents for AutoPay, validated against the official XSD.

The document objects come from `pyiso20022` (xsdata classes generated from the same schema) and are serialised
with xsdata; `lxml` then validates the bytes against `xsd/pain.001.001.09.xsd` before anything is sent.
The same `PaymentDocument` always gives byte-identical XML, which AutoPay's idempotency on (org no, payment
id) relies on: a resend after a time-out must be the same document, or AutoPay answers 409.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Final

from lxml import etree
from pyiso20022.pain import pain_001_001_09 as iso
from stdnum.no import orgnr
from xsdata.formats.dataclass.serializers import XmlSerializer
from xsdata.formats.dataclass.serializers.config import SerializerConfig
from xsdata.models.datatype import XmlDate, XmlDateTime

from autopay_client import errors, norwegian

NAMESPACE: Final = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"
XSD_PATH: Final = Path(__file__).with_name("xsd") / "pain.001.001.09.xsd"
CENT: Final = Decimal("0.01")


@dataclasses.dataclass(frozen=True)
class PaymentLine:
    """One credit transfer: to a creditor's BBAN (11 digits) or IBAN, with a KID or a free-text message."""

    end_to_end_id: str
    amount: Decimal
    creditor_name: str
    creditor_account: str
    currency: str = "NOK"
    kid: str = ""
    message: str = ""


@dataclasses.dataclass(frozen=True)
class PaymentDocument:
    """One payment of one company, charged to one debtor account (a bank agreement), due on one date.

    `created_at` and `message_id` are part of the document: keep them with the payment so that a resend is the
    same document. `message_id` defaults to "<org no>-<payment id>".
    """

    org_no: str
    payment_id: str
    debtor_account: str
    execution_date: datetime.date
    created_at: datetime.datetime
    lines: Sequence[PaymentLine]
    debtor_name: str = ""
    message_id: str = ""

    @property
    def msg_id(self) -> str:
        return self.message_id or f"{self.org_no}-{self.payment_id}"


def _is_bban(account: str) -> bool:
    return len(account) == 11 and account.isdigit()


def document_problems(document: PaymentDocument) -> list[str]:
    """Return every problem AutoPay would refuse the payment for that the schema cannot see."""
    problems = []
    if not (document.org_no.isdigit() and orgnr.is_valid(document.org_no)):
        problems.append(f"invalid org no {document.org_no!r}")
    if not _is_bban(document.debtor_account):
        problems.append(f"debtor account {document.debtor_account!r} is not an 11-digit BBAN")
    elif problem := norwegian.account_problem(document.debtor_account):
        problems.append(f"debtor {problem}")
    if not document.lines:
        problems.append("a payment needs at least one line")
    seen: set[str] = set()
    for line in document.lines:
        where = f"line {line.end_to_end_id!r}"
        if line.end_to_end_id in seen:
            problems.append(f"{where}: end-to-end id used twice")
        seen.add(line.end_to_end_id)
        if line.amount <= 0:
            problems.append(f"{where}: amount must be greater than zero, got {line.amount}")
        if line.amount != line.amount.quantize(CENT):
            problems.append(f"{where}: amount has more than two decimals: {line.amount}")
        if problem := norwegian.account_problem(line.creditor_account):
            problems.append(f"{where}: creditor {problem}")
        if line.kid and line.message:
            problems.append(f"{where}: give a KID or a message, not both")
        if line.kid and not norwegian.kid_is_valid(line.kid):
            problems.append(f"{where}: KID {line.kid!r} has no valid MOD10 or MOD11 check digit")
    return problems


def _account(number: str) -> iso.CashAccount38:
    if _is_bban(number):
        return iso.CashAccount38(
            id=iso.AccountIdentification4Choice(
                othr=iso.GenericAccountIdentification1(
                    id=number, schme_nm=iso.AccountSchemeName1Choice(cd="BBAN")
                )
            )
        )
    return iso.CashAccount38(id=iso.AccountIdentification4Choice(iban=number))


def _org_party(org_no: str, name: str) -> iso.PartyIdentification135:
    return iso.PartyIdentification135(
        nm=name or None,
        id=iso.Party38Choice(
            org_id=iso.OrganisationIdentification29(othr=[iso.GenericOrganisationIdentification1(id=org_no)])
        ),
    )


def _remittance(line: PaymentLine) -> iso.RemittanceInformation16 | None:
    if line.kid:
        return iso.RemittanceInformation16(
            strd=[
                iso.StructuredRemittanceInformation16(
                    cdtr_ref_inf=iso.CreditorReferenceInformation2(
                        tp=iso.CreditorReferenceType2(
                            cd_or_prtry=iso.CreditorReferenceType1Choice(cd=iso.DocumentType3Code.SCOR)
                        ),
                        ref=line.kid,
                    )
                )
            ]
        )
    if line.message:
        return iso.RemittanceInformation16(ustrd=[line.message])
    return None


def _transaction(line: PaymentLine) -> iso.CreditTransferTransaction34:
    return iso.CreditTransferTransaction34(
        pmt_id=iso.PaymentIdentification6(end_to_end_id=line.end_to_end_id),
        amt=iso.AmountType4Choice(
            instd_amt=iso.ActiveOrHistoricCurrencyAndAmount(
                value=line.amount.quantize(CENT), ccy=line.currency
            )
        ),
        cdtr=iso.PartyIdentification135(nm=line.creditor_name),
        cdtr_acct=_account(line.creditor_account),
        rmt_inf=_remittance(line),
    )


def _iso_document(document: PaymentDocument) -> iso.Document:
    count = str(len(document.lines))
    total = sum((line.amount.quantize(CENT) for line in document.lines), Decimal("0.00"))
    return iso.Document(
        cstmr_cdt_trf_initn=iso.CustomerCreditTransferInitiationV09(
            grp_hdr=iso.GroupHeader85(
                msg_id=document.msg_id,
                cre_dt_tm=XmlDateTime.from_datetime(document.created_at.replace(microsecond=0)),
                nb_of_txs=count,
                ctrl_sum=total,
                initg_pty=_org_party(document.org_no, document.debtor_name),
            ),
            pmt_inf=[
                iso.PaymentInstruction30(
                    pmt_inf_id=document.payment_id,
                    pmt_mtd=iso.PaymentMethod3Code.TRF,
                    nb_of_txs=count,
                    ctrl_sum=total,
                    reqd_exctn_dt=iso.DateAndDateTime2Choice(dt=XmlDate.from_date(document.execution_date)),
                    dbtr=_org_party(document.org_no, document.debtor_name),
                    dbtr_acct=_account(document.debtor_account),
                    # Domestic payments are routed by the account number; the agent is unknown here.
                    dbtr_agt=iso.BranchAndFinancialInstitutionIdentification6(
                        fin_instn_id=iso.FinancialInstitutionIdentification18(
                            othr=iso.GenericFinancialIdentification1(id="NOTPROVIDED")
                        )
                    ),
                    cdt_trf_tx_inf=[_transaction(line) for line in document.lines],
                )
            ],
        )
    )


@functools.cache
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD_PATH)))


def validate_pain001(xml: bytes) -> None:
    """Validate a document against the official pain.001.001.09 XSD.

    :raises errors.InvalidDocument: with every schema error found, when it does not validate.
    """
    try:
        tree = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        raise errors.InvalidDocument(
            "Document is not well-formed XML.", code="invalid_document", errors=[str(exc)]
        ) from exc
    schema = _schema()
    if not schema.validate(tree):
        messages = [f"line {entry.line}: {entry.message}" for entry in schema.error_log]
        raise errors.InvalidDocument(
            "Document does not validate against pain.001.001.09.xsd.",
            code="invalid_document",
            errors=messages,
        )


def build_pain001(document: PaymentDocument) -> bytes:
    """Build the pain.001.001.09 XML of one payment and validate it against the XSD.

    :raises errors.InvalidDocument: with every problem found, when the payment or the XML is not valid.
    """
    problems = document_problems(document)
    if problems:
        raise errors.InvalidDocument(
            "Payment cannot be sent to AutoPay.", code="invalid_document", errors=problems
        )
    serializer = XmlSerializer(config=SerializerConfig(indent="  ", xml_declaration=True, encoding="UTF-8"))
    xml = serializer.render(_iso_document(document), ns_map={None: NAMESPACE}).encode("utf-8")
    validate_pain001(xml)
    return xml
