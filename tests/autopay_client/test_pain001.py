import dataclasses
import datetime
from decimal import Decimal

import pytest
from lxml import etree

from autopay_client import errors, pain001

NS = {"p": pain001.NAMESPACE}


def kid_line(**overrides):
    base = pain001.PaymentLine("L1", Decimal("1250.00"), "Leverandør AS", "86011117947", kid="0044555258")
    return dataclasses.replace(base, **overrides)


def message_line(**overrides):
    base = pain001.PaymentLine("L2", Decimal("10.5"), "Utland GmbH", "NO9386011117947", message="Faktura 12")
    return dataclasses.replace(base, **overrides)


def document(*lines, **overrides):
    base = pain001.PaymentDocument(
        org_no="988077917",
        payment_id="1001",
        debtor_account="15030000002",
        execution_date=datetime.date(2026, 11, 23),
        created_at=datetime.datetime(2026, 11, 22, 10, 0, tzinfo=datetime.UTC),
        lines=lines or (kid_line(), message_line()),
        debtor_name="Demo AS",
    )
    return dataclasses.replace(base, **overrides)


def parsed(xml: bytes):
    return etree.fromstring(xml)


def text(tree, path: str) -> list[str]:
    return [element.text for element in tree.xpath(path, namespaces=NS)]


def test_built_document_validates_against_the_official_xsd():
    pain001.validate_pain001(pain001.build_pain001(document()))


def test_org_no_is_the_initiating_party():
    tree = parsed(pain001.build_pain001(document()))
    assert text(tree, "//p:GrpHdr/p:InitgPty/p:Id/p:OrgId/p:Othr/p:Id") == ["988077917"]


def test_payment_id_is_the_payment_information_id():
    tree = parsed(pain001.build_pain001(document()))
    assert text(tree, "//p:PmtInf/p:PmtInfId") == ["1001"]


def test_debtor_account_is_a_bban():
    tree = parsed(pain001.build_pain001(document()))
    assert text(tree, "//p:DbtrAcct/p:Id/p:Othr/p:Id | //p:DbtrAcct/p:Id/p:Othr/p:SchmeNm/p:Cd") == [
        "15030000002",
        "BBAN",
    ]


def test_kid_is_a_structured_scor_creditor_reference():
    tree = parsed(pain001.build_pain001(document(kid_line())))
    reference = "//p:CdtTrfTxInf/p:RmtInf/p:Strd/p:CdtrRefInf"
    assert (text(tree, f"{reference}/p:Tp/p:CdOrPrtry/p:Cd"), text(tree, f"{reference}/p:Ref")) == (
        ["SCOR"],
        ["0044555258"],
    )


def test_line_without_kid_sends_its_message_unstructured():
    tree = parsed(pain001.build_pain001(document(message_line())))
    assert text(tree, "//p:CdtTrfTxInf/p:RmtInf/p:Ustrd") == ["Faktura 12"]


def test_iban_creditor_account_is_sent_as_iban():
    tree = parsed(pain001.build_pain001(document(message_line())))
    assert text(tree, "//p:CdtrAcct/p:Id/p:IBAN") == ["NO9386011117947"]


def test_amounts_are_sent_with_two_decimals_and_currency():
    tree = parsed(pain001.build_pain001(document()))
    amounts = tree.xpath("//p:InstdAmt", namespaces=NS)
    assert [(a.text, a.get("Ccy")) for a in amounts] == [("1250.00", "NOK"), ("10.50", "NOK")]


def test_control_sum_is_the_sum_of_the_lines():
    tree = parsed(pain001.build_pain001(document()))
    assert text(tree, "//p:GrpHdr/p:CtrlSum") == ["1260.50"]


def test_same_payment_builds_byte_identical_documents():
    assert pain001.build_pain001(document()) == pain001.build_pain001(document())


def test_zero_amount_is_caught_before_sending():
    with pytest.raises(errors.InvalidDocument) as raised:
        pain001.build_pain001(document(kid_line(amount=Decimal("0.00"))))
    assert any("greater than zero" in error for error in raised.value.errors)


def test_bad_creditor_account_check_digit_is_caught_before_sending():
    with pytest.raises(errors.InvalidDocument) as raised:
        pain001.build_pain001(document(kid_line(creditor_account="86011117948")))
    assert any("creditor invalid account" in error for error in raised.value.errors)


def test_bad_kid_check_digit_is_caught_before_sending():
    with pytest.raises(errors.InvalidDocument) as raised:
        pain001.build_pain001(document(kid_line(kid="0044555259")))
    assert any("KID" in error for error in raised.value.errors)


def test_duplicate_end_to_end_id_is_caught_before_sending():
    with pytest.raises(errors.InvalidDocument) as raised:
        pain001.build_pain001(document(kid_line(), message_line(end_to_end_id="L1")))
    assert any("used twice" in error for error in raised.value.errors)


def test_every_problem_is_reported_at_once():
    with pytest.raises(errors.InvalidDocument) as raised:
        pain001.build_pain001(document(kid_line(amount=Decimal("-1")), debtor_account="123"))
    assert len(raised.value.errors) == 2


def test_creditor_name_too_long_for_the_schema_is_caught_by_the_xsd():
    with pytest.raises(errors.InvalidDocument) as raised:
        pain001.build_pain001(document(kid_line(creditor_name="N" * 141)))
    assert any("Nm" in error for error in raised.value.errors)


def test_document_missing_a_required_element_does_not_validate():
    xml = pain001.build_pain001(document())
    broken = xml.replace(b"<PmtMtd>TRF</PmtMtd>", b"")
    with pytest.raises(errors.InvalidDocument, match="does not validate"):
        pain001.validate_pain001(broken)


def test_text_that_is_not_xml_does_not_validate():
    with pytest.raises(errors.InvalidDocument, match="well-formed"):
        pain001.validate_pain001(b"<Document>")


def test_kid_with_a_mod11_check_digit_is_accepted():
    # 2345678: weights 2..7 from the right sum to 135, 11 - 135 % 11 = 8; the Luhn digit would be 3.
    assert pain001.document_problems(document(kid_line(kid="23456788"))) == []
