"""ISO 20022 camt.054: the real samples, generated notifications of every version, and malformed files."""

from __future__ import annotations

import datetime
import io
import pathlib
import time
from decimal import Decimal

import pytest

from factoring.parsers import ParseError, camt054, detect_format, open_file
from tests.factoring.builders import VERSIONS, Detail, Entry, camt054_bytes, summary_of

DATA = pathlib.Path(__file__).resolve().parents[1] / "data" / "camt054"
D = Decimal


def read_all(data: bytes, size: int = 5000):
    parsed = open_file(io.BytesIO(data))
    payments = [p for chunk in parsed.chunks(size) for p in chunk]
    return payments, parsed.summary


def parse_error(data: bytes) -> ParseError:
    with pytest.raises(ParseError) as caught:
        read_all(data)
    return caught.value


BATCH = Entry(
    D("100.00"),
    reference="NTRY-1",
    details=(
        Detail(
            D("40.00"),
            kid="0036633",
            payer_name="Kari Nordmann",
            payer_iban="NO9386011117947",
            reference="TX-1",
        ),
        Detail(D("60.00"), message="Faktura 7"),
    ),
    batch_count=2,
)
REVERSAL = Entry(D("5.50"), direction="DBIT", reversal=True, details=(Detail(D("5.50"), kid="2345676"),))
DEBIT = Entry(D("7.00"), direction="DBIT")
PENDING = Entry(D("8.00"), status="PDNG")
ENTRIES = [BATCH, REVERSAL, DEBIT, PENDING]


# -- the real samples --------------------------------------------------------------------------------------


def test_finnish_sample_gives_six_credit_payments_of_5500_eur():
    payments, _ = read_all((DATA / "FI_camt_054_sample.xml").read_bytes())
    assert (len(payments), sum(p.amount for p in payments), {p.currency for p in payments}) == (
        6,
        D("5500.00"),
        {"EUR"},
    )


def test_finnish_sample_skips_its_debits_and_its_information_entry():
    _, summary = read_all((DATA / "FI_camt_054_sample.xml").read_bytes())
    assert (summary.skipped_count, summary.skipped_amount) == (3, D("5330.05"))


def test_finnish_sample_batch_details_keep_their_own_archive_references():
    payments, _ = read_all((DATA / "FI_camt_054_sample.xml").read_bytes())
    assert [p.archive_reference for p in payments[:2]] == ["D091029N987654321S001", "D091029N987654321S002"]


def test_finnish_sample_detail_with_two_references_has_no_single_kid():
    payments, _ = read_all((DATA / "FI_camt_054_sample.xml").read_bytes())
    assert (payments[0].kid, payments[0].message, payments[1].kid) == ("", "3900, 12344", "43216")


def test_finnish_sample_summary_names_the_message():
    _, summary = read_all((DATA / "FI_camt_054_sample.xml").read_bytes())
    assert (summary.format, summary.version, summary.file_reference, summary.created_at) == (
        "camt054",
        "camt.054.001.02",
        "BANKFILEID219073",
        datetime.datetime(2009, 10, 30, 21, 1, 45, tzinfo=datetime.timezone(datetime.timedelta(hours=2))),
    )


@pytest.mark.parametrize(
    ("name", "version"),
    [
        ("camt054.v2.xml", "camt.054.001.02"),
        ("camt054.v4.xml", "camt.054.001.04"),
        ("camt054.v8.xml", "camt.054.001.08"),
    ],
)
def test_debit_notification_samples_give_no_payments_and_one_skipped_entry(name, version):
    payments, summary = read_all((DATA / name).read_bytes())
    assert (payments, summary.version, summary.skipped_count) == ([], version, 1)


# -- generated notifications of every version --------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_batch_entry_gives_one_payment_per_detail(version):
    payments, _ = read_all(camt054_bytes(version, ENTRIES, summary=summary_of(ENTRIES)))
    assert [(p.amount, p.kid, p.message) for p in payments[:2]] == [
        (D("40.00"), "0036633", ""),
        (D("60.00"), "", "Faktura 7"),
    ]


@pytest.mark.parametrize("version", VERSIONS)
def test_detail_fields_are_read_in_every_version(version):
    payment = read_all(camt054_bytes(version, ENTRIES))[0][0]
    assert (
        payment.credited_account,
        payment.payer_name,
        payment.payer_account,
        payment.archive_reference,
        payment.bank_transaction_type,
        payment.booking_date,
        payment.value_date,
        payment.line_no,
    ) == (
        "NO9386011117947",
        "Kari Nordmann",
        "NO9386011117947",
        "TX-1",
        "PMNT/RCDT/DMCT",
        datetime.date(2026, 11, 17),
        datetime.date(2026, 11, 18),
        1,
    )


@pytest.mark.parametrize("version", VERSIONS)
def test_detail_without_its_own_reference_takes_the_entrys(version):
    assert read_all(camt054_bytes(version, ENTRIES))[0][1].archive_reference == "NTRY-1"


@pytest.mark.parametrize("version", VERSIONS)
def test_reversed_credit_is_a_reversal_payment(version):
    payments, _ = read_all(camt054_bytes(version, ENTRIES))
    assert [(p.amount, p.is_reversal) for p in payments] == [
        (D("40.00"), False),
        (D("60.00"), False),
        (D("5.50"), True),
    ]


@pytest.mark.parametrize("version", VERSIONS)
def test_debits_and_pending_entries_are_skipped_and_counted(version):
    _, summary = read_all(camt054_bytes(version, ENTRIES))
    assert (summary.payment_count, summary.total_amount, summary.skipped_count, summary.skipped_amount) == (
        3,
        D("105.50"),
        2,
        D("15.00"),
    )


def test_reversed_debit_is_skipped():
    entries = [Entry(D("3.00"), direction="CRDT", reversal=True)]
    _, summary = read_all(camt054_bytes("camt.054.001.08", entries))
    assert (summary.payment_count, summary.skipped_count) == (0, 1)


def test_entry_without_details_is_one_payment_of_the_entry_amount():
    payments, _ = read_all(camt054_bytes("camt.054.001.04", [Entry(D("12.30"))]))
    assert [(p.amount, p.archive_reference) for p in payments] == [(D("12.30"), "ENTRYREF")]


def test_single_detail_without_an_amount_takes_the_entry_amount():
    entry = Entry(D("9.99"), details=(Detail(None, kid="2345676"),))
    payments, _ = read_all(camt054_bytes("camt.054.001.08", [entry]))
    assert [(p.amount, p.kid) for p in payments] == [(D("9.99"), "2345676")]


def test_amount_with_one_decimal_is_read_with_two():
    payments, _ = read_all(camt054_bytes("camt.054.001.08", [Entry(D("6.3"))]))
    assert str(payments[0].amount) == "6.30"


def test_many_entries_come_in_chunks_with_running_line_numbers():
    entries = [Entry(D("1.00"), details=(Detail(D("1.00"), kid=f"{i:07d}"),)) for i in range(23)]
    parsed = open_file(io.BytesIO(camt054_bytes("camt.054.001.06", entries)))
    chunks = list(parsed.chunks(10))
    assert ([len(c) for c in chunks], [p.line_no for c in chunks for p in c]) == (
        [10, 10, 3],
        list(range(1, 24)),
    )


def test_summary_counts_every_payment_once_read():
    entries = [Entry(D("2.50"))] * 4
    _, summary = read_all(camt054_bytes("camt.054.001.03", entries, summary=summary_of(entries)))
    assert (summary.payment_count, summary.total_amount) == (4, D("10.00"))


def test_detect_format_names_camt054():
    assert detect_format(camt054_bytes("camt.054.001.05", [])[:300]) == "camt054"


# -- malformed notifications -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("index", "element"),
    [
        (0, "TtlNtries/NbOfNtries"),
        (1, "TtlNtries/Sum"),
        (2, "TtlCdtNtries/NbOfNtries"),
        (3, "TtlCdtNtries/Sum"),
        (4, "TtlDbtNtries/NbOfNtries"),
        (5, "TtlDbtNtries/Sum"),
    ],
)
def test_transaction_summary_that_disagrees_is_refused_naming_the_element(index, element):
    summary = list(summary_of(ENTRIES))
    summary[index] += 1
    assert element in str(parse_error(camt054_bytes("camt.054.001.08", ENTRIES, summary=tuple(summary))))


def test_details_that_do_not_add_up_to_the_entry_are_refused():
    entry = Entry(D("100.00"), details=(Detail(D("40.00")), Detail(D("50.00"))))
    assert "add up to" in str(parse_error(camt054_bytes("camt.054.001.08", [entry])))


def test_batch_count_that_disagrees_with_the_details_is_refused():
    entry = Entry(D("100.00"), details=(Detail(D("100.00")),), batch_count=3)
    assert "batch states 3" in str(parse_error(camt054_bytes("camt.054.001.08", [entry])))


def test_several_details_without_amounts_are_refused():
    entry = Entry(D("100.00"), details=(Detail(None, kid="1"), Detail(None, kid="2")))
    assert "not all of them state" in str(parse_error(camt054_bytes("camt.054.001.08", [entry])))


def test_amount_with_fractions_of_cents_is_refused():
    assert "at most two decimals" in str(parse_error(camt054_bytes("camt.054.001.08", [Entry(D("1.005"))])))


def test_file_not_following_the_schema_is_refused():
    data = camt054_bytes("camt.054.001.02", [Entry(D("1.00"))]).replace(
        b"<Sts>BOOK</Sts>", b"<Sts>BOOKED</Sts>"
    )
    assert "schema" in str(parse_error(data))


def test_truncated_file_is_refused():
    data = camt054_bytes("camt.054.001.08", ENTRIES)
    assert "incomplete" in str(parse_error(data[: len(data) - 40]))


def test_file_broken_in_the_middle_is_refused():
    data = camt054_bytes("camt.054.001.08", ENTRIES).replace(b"</Ntry>", b"</Ntrx>", 1)
    assert "not well-formed" in str(parse_error(data))


def test_unsupported_version_is_refused():
    data = camt054_bytes("camt.054.001.08", []).replace(b"camt.054.001.08", b"camt.054.001.09")
    assert "not supported" in str(parse_error(data))


def test_other_iso20022_message_is_refused():
    data = camt054_bytes("camt.054.001.08", []).replace(b"camt.054.001.08", b"camt.053.001.08")
    assert "not an ISO 20022 camt.054" in str(parse_error(data))


def test_wrong_document_element_is_refused():
    data = camt054_bytes("camt.054.001.08", [Entry(D("1.00"))]).replace(b"Document", b"Dokument")
    assert "document element" in str(parse_error(data))


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE Document [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"><BkToCstmrDbtCdtNtfctn><GrpHdr>
<MsgId>&lol9;</MsgId><CreDtTm>2026-11-17T06:00:00</CreDtTm></GrpHdr></BkToCstmrDbtCdtNtfctn></Document>
"""


def test_billion_laughs_is_refused_at_once():
    started = time.perf_counter()
    error = parse_error(BILLION_LAUGHS)
    assert ("DTD" in str(error), time.perf_counter() - started < 1) == (True, True)


def test_dtd_the_head_did_not_show_is_refused_by_the_parser():
    head = b'<?xml version="1.0"?><!-- urn:iso:std:iso:20022:tech:xsd:camt.054.001.02 -->'
    parsed = camt054.Camt054File(io.BytesIO(BILLION_LAUGHS), head=head)
    with pytest.raises(ParseError, match="DTD"):
        list(parsed.chunks())


def test_external_entity_is_refused_without_reading_the_file(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-CONTENT")
    data = (
        b'<?xml version="1.0"?>\n<!DOCTYPE Document [<!ENTITY xxe SYSTEM "file://'
        + str(secret).encode()
        + b'">]>\n'
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"><BkToCstmrDbtCdtNtfctn><GrpHdr>'
        b"<MsgId>&xxe;</MsgId><CreDtTm>2026-11-17T06:00:00</CreDtTm></GrpHdr></BkToCstmrDbtCdtNtfctn></Document>"
    )
    error = parse_error(data)
    assert ("DTD" in str(error), "SECRET" in str(error)) == (True, False)


def test_undeclared_entity_is_refused():
    data = camt054_bytes("camt.054.001.08", [], msg_id="&xxe;")
    assert "not well-formed" in str(parse_error(data))


def test_latin1_bytes_in_a_utf8_document_are_refused():
    data = camt054_bytes("camt.054.001.08", [Entry(D("1.00"), details=(Detail(D("1.00"), message="Kjøp"),))])
    assert "not well-formed" in str(parse_error(data.replace("Kjøp".encode(), "Kjøp".encode("latin-1"))))


def test_utf16_document_is_refused():
    data = camt054_bytes("camt.054.001.08", [Entry(D("1.00"))]).decode().encode("utf-16")
    with pytest.raises(ParseError):
        read_all(data)
