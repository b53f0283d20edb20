"""Reading one payment from an ISO 20022 pain.001.001.09 document, and AutoPay's own rules on its content.

The document is parsed with lxml without entity resolution, DTDs or network, and validated against the
official XSD in autopay_sim/xsd/. Rules that need the database (the bank agreement) are the service's.
"""

import dataclasses
import datetime
import functools
from decimal import Decimal, InvalidOperation
from pathlib import Path

from lxml import etree
from stdnum import iban, luhn
from stdnum.no import kontonr

NS = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"
XSD_PATH = Path(__file__).resolve().parent / "xsd" / "pain.001.001.09.xsd"
_N = {"p": NS}


class DocumentInvalid(Exception):
    """The document breaks the XSD or AutoPay's rules; `errors` lists every error found."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclasses.dataclass(frozen=True)
class Line:
    end_to_end_id: str
    amount: Decimal
    currency: str
    creditor_name: str
    creditor_account: str
    kid: str
    message: str


@dataclasses.dataclass(frozen=True)
class Document:
    message_id: str
    initiating_org_no: str
    payment_id: str
    requested_date: datetime.date
    debtor_account: str
    lines: list[Line]


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


@functools.cache
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD_PATH), parser=_parser()))


def account_is_valid(account: str) -> bool:
    """Whether an account is a MOD11-valid Norwegian BBAN (11 digits) or a valid IBAN."""
    if account.isdigit() and len(account) == 11:
        return bool(kontonr.is_valid(account))
    return bool(iban.is_valid(account))


def _mod11_kid_is_valid(kid: str) -> bool:
    weights = [2, 3, 4, 5, 6, 7]
    body, check = kid[:-1], kid[-1]
    total = sum(int(digit) * weights[i % 6] for i, digit in enumerate(reversed(body)))
    remainder = 11 - total % 11
    expected = "0" if remainder == 11 else "-" if remainder == 10 else str(remainder)
    return check == expected


def kid_is_valid(kid: str) -> bool:
    """Whether a KID has a valid MOD10 (Luhn) or MOD11 check digit; a trailing '-' is MOD11's 10."""
    if len(kid) < 2 or not kid[:-1].isdigit() or not (kid[-1].isdigit() or kid[-1] == "-"):
        return False
    return (kid.isdigit() and bool(luhn.is_valid(kid))) or _mod11_kid_is_valid(kid)


def _text(node: etree._Element, path: str) -> str:
    found = node.find(path, _N)
    return (found.text or "").strip() if found is not None else ""


def _account(node: etree._Element, path: str, errors: list[str], label: str) -> str:
    account_node = node.find(path, _N)
    if account_node is None:
        errors.append(f"{label}: no account")
        return ""
    iban_text = _text(account_node, "p:Id/p:IBAN")
    if iban_text:
        return iban_text
    scheme = _text(account_node, "p:Id/p:Othr/p:SchmeNm/p:Cd")
    account = _text(account_node, "p:Id/p:Othr/p:Id")
    if scheme != "BBAN":
        errors.append(f"{label}: an account must be an IBAN or Othr/Id with SchmeNm/Cd BBAN")
    return account


def parse(document: bytes) -> Document:
    """Parse and check one payment document.

    :raises DocumentInvalid: not XML, not valid against the XSD, or against a rule of AutoPay's own.
    """
    try:
        root = etree.fromstring(document, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise DocumentInvalid([f"not well-formed XML: {exc}"]) from exc
    if root.getroottree().docinfo.doctype:
        # A payment never needs a DTD; refusing it leaves no entity for anything to expand or fetch.
        raise DocumentInvalid(["a DOCTYPE is not allowed"])
    schema = _schema()
    try:
        valid = schema.validate(root)
    except etree.XMLSchemaValidateError as exc:
        raise DocumentInvalid([f"not valid against the XSD: {exc}"]) from exc
    if not valid:
        raise DocumentInvalid([f"line {error.line}: {error.message}" for error in schema.error_log])
    errors: list[str] = []
    initiation = root.find("p:CstmrCdtTrfInitn", _N)
    assert initiation is not None  # the XSD requires it
    payment_infos = initiation.findall("p:PmtInf", _N)
    if len(payment_infos) != 1:
        raise DocumentInvalid([f"exactly one PmtInf is expected, found {len(payment_infos)}"])
    payment_info = payment_infos[0]
    payment_id = _text(payment_info, "p:PmtInfId")
    date_text = _text(payment_info, "p:ReqdExctnDt/p:Dt") or _text(payment_info, "p:ReqdExctnDt/p:DtTm")[:10]
    requested_date = datetime.date.fromisoformat(date_text)
    debtor_account = _account(payment_info, "p:DbtrAcct", errors, "DbtrAcct")
    if debtor_account and not account_is_valid(debtor_account):
        errors.append(f"DbtrAcct: {debtor_account} is not a valid account number")
    lines: list[Line] = []
    seen: set[str] = set()
    for transaction in payment_info.findall("p:CdtTrfTxInf", _N):
        end_to_end_id = _text(transaction, "p:PmtId/p:EndToEndId")
        label = f"EndToEndId {end_to_end_id}"
        if end_to_end_id in seen:
            errors.append(f"{label}: appears more than once in the payment")
        seen.add(end_to_end_id)
        amount_node = transaction.find("p:Amt/p:InstdAmt", _N)
        if amount_node is None:
            errors.append(f"{label}: only Amt/InstdAmt is supported")
            continue
        try:
            amount = Decimal((amount_node.text or "").strip())
        except InvalidOperation:
            amount = Decimal(0)
        if amount <= 0:
            errors.append(f"{label}: the amount must be greater than 0")
        creditor_account = _account(transaction, "p:CdtrAcct", errors, label)
        if creditor_account and not account_is_valid(creditor_account):
            errors.append(f"{label}: creditor account {creditor_account} is not a valid account number")
        kid = ""
        reference_info = transaction.find("p:RmtInf/p:Strd/p:CdtrRefInf", _N)
        if reference_info is not None:
            kid = _text(reference_info, "p:Ref")
            if _text(reference_info, "p:Tp/p:CdOrPrtry/p:Cd") != "SCOR":
                errors.append(f"{label}: a creditor reference must have type SCOR")
            if not kid_is_valid(kid):
                errors.append(f"{label}: KID {kid} has no valid MOD10 or MOD11 check digit")
        lines.append(
            Line(
                end_to_end_id=end_to_end_id,
                amount=amount,
                currency=amount_node.get("Ccy", ""),
                creditor_name=_text(transaction, "p:Cdtr/p:Nm"),
                creditor_account=creditor_account,
                kid=kid,
                message=_text(transaction, "p:RmtInf/p:Ustrd"),
            )
        )
    if errors:
        raise DocumentInvalid(errors)
    return Document(
        message_id=_text(initiation, "p:GrpHdr/p:MsgId"),
        initiating_org_no=_text(initiation, "p:GrpHdr/p:InitgPty/p:Id/p:OrgId/p:Othr/p:Id"),
        payment_id=payment_id,
        requested_date=requested_date,
        debtor_account=debtor_account,
        lines=lines,
    )
