"""Nets OCR Giro: the real sample, generated files of every transaction type, and malformed files."""

from __future__ import annotations

import dataclasses
import datetime
import io
import pathlib
from decimal import Decimal

import netsgiro
import pytest
from django.utils import translation

from factoring.parsers import FileSummary, ParsedPayment, ParseError, open_file
from factoring.parsers.ocr_giro import OcrGiroFile
from factoring.parsers.ocr_writer import OcrPayment, ocr_giro_write
from tests.factoring.ocr_files import ALL_TYPES, mixed_payments, netsgiro_payments, ocr_bytes

SAMPLE = pathlib.Path(__file__).resolve().parents[1] / "data" / "ocr-giro" / "ocr_giro_transactions.txt"


def read_all(data: bytes, size: int = 5000) -> tuple[list[ParsedPayment], FileSummary]:
    parsed = open_file(io.BytesIO(data))
    payments = [p for chunk in parsed.chunks(size) for p in chunk]
    return payments, parsed.summary


def lines_of(data: bytes) -> list[bytes]:
    return data.rstrip(b"\n").split(b"\n")


def joined(lines: list[bytes]) -> bytes:
    return b"\n".join(lines) + b"\n"


def parse_error(data: bytes) -> ParseError:
    with pytest.raises(ParseError) as caught:
        read_all(data)
    return caught.value


# -- the real sample ---------------------------------------------------------------------------------------


def test_sample_has_twenty_payments_totalling_51449_nok():
    payments, _ = read_all(SAMPLE.read_bytes())
    assert (len(payments), sum(p.amount for p in payments)) == (20, Decimal("51449.00"))


def test_sample_summary_states_the_transmission_totals():
    _, summary = read_all(SAMPLE.read_bytes())
    assert (
        summary.format,
        summary.version,
        summary.file_reference,
        summary.payment_count,
        summary.total_amount,
    ) == (
        "ocr_giro",
        "ocr",
        "0170031",
        20,
        Decimal("51449.00"),
    )


def test_sample_created_at_is_the_nets_date_of_the_transmission_end():
    _, summary = read_all(SAMPLE.read_bytes())
    assert summary.created_at == datetime.datetime(
        1992, 1, 20, tzinfo=datetime.timezone(datetime.timedelta(hours=1))
    )


def test_sample_reads_as_netsgiro_reads_it():
    data = SAMPLE.read_bytes()
    assert read_all(data)[0] == netsgiro_payments(data)


def test_sample_type_21_free_text_becomes_the_message():
    payments, _ = read_all(SAMPLE.read_bytes())
    assert (payments[0].bank_transaction_type, payments[0].message, payments[0].kid) == (
        "21",
        "Foo bar baz",
        "0000531",
    )


def test_sample_kids_keep_their_leading_zeros():
    payments, _ = read_all(SAMPLE.read_bytes())
    assert [p.kid for p in payments[7:9]] == ["02212291038306", "02311291038304"]


# -- generated files ---------------------------------------------------------------------------------------


def test_written_file_of_every_type_reads_as_netsgiro_reads_it():
    data = ocr_bytes(mixed_payments(600))
    assert read_all(data, size=97)[0] == netsgiro_payments(data)


def test_netsgiro_parses_the_written_file_with_the_written_totals():
    written = mixed_payments(240)
    transmission = netsgiro.parse(ocr_bytes(written).decode("latin-1"))
    assert (transmission.get_num_transactions(), transmission.get_total_amount()) == (
        240,
        sum(p.amount for p in written),
    )


@pytest.mark.parametrize("tx_type", ALL_TYPES)
def test_each_transaction_type_is_read_with_its_own_type_code(tx_type):
    text = "Kjøp på terminal" if tx_type in (20, 21) else ""
    data = ocr_bytes(
        [OcrPayment(amount=Decimal("10.00"), kid="2345676", transaction_type=tx_type, text=text)]
    )
    payment = read_all(data)[0][0]
    assert (payment.bank_transaction_type, payment.message) == (f"{tx_type}", text)


@pytest.mark.parametrize(("tx_type", "reversal"), [(t, t in (18, 20)) for t in ALL_TYPES])
def test_types_18_and_20_are_reversals(tx_type, reversal):
    text = "Retur" if tx_type in (20, 21) else ""
    data = ocr_bytes([OcrPayment(amount=Decimal("10.00"), transaction_type=tx_type, text=text)])
    assert read_all(data)[0][0].is_reversal is reversal


def test_reversals_are_added_to_the_total_as_the_control_totals_state_them():
    payments = [
        OcrPayment(amount=Decimal("100.00"), kid="2345676"),
        OcrPayment(amount=Decimal("30.00"), kid="2345676", transaction_type=18),
        OcrPayment(amount=Decimal("20.00"), transaction_type=20, text="Retur"),
    ]
    assert read_all(ocr_bytes(payments))[1].total_amount == Decimal("150.00")


def test_payments_come_in_chunks_of_the_size_asked():
    parsed = open_file(io.BytesIO(ocr_bytes(mixed_payments(25))))
    assert [len(chunk) for chunk in parsed.chunks(10)] == [10, 10, 5]


def test_line_numbers_count_the_payments_of_the_file_from_one():
    payments, _ = read_all(ocr_bytes(mixed_payments(30)), size=7)
    assert [p.line_no for p in payments] == list(range(1, 31))


def test_written_payment_fields_are_read_back():
    data = ocr_bytes(
        [
            OcrPayment(
                amount=Decimal("1234.56"),
                kid="0044555258",
                payer_account="86011117947",
                archive_reference="123",
            )
        ],
        account="12345678903",
        date=datetime.date(2026, 11, 17),
    )
    assert read_all(data)[0][0] == ParsedPayment(
        line_no=1,
        credited_account="12345678903",
        amount=Decimal("1234.56"),
        is_reversal=False,
        booking_date=datetime.date(2026, 11, 17),
        value_date=datetime.date(2026, 11, 17),
        kid="0044555258",
        message="",
        payer_account="86011117947",
        payer_name="",
        archive_reference="000000123",
        bank_transaction_type="10",
        currency="NOK",
    )


def test_crlf_line_endings_are_read():
    data = ocr_bytes(mixed_payments(13)).replace(b"\n", b"\r\n")
    assert len(read_all(data)[0]) == 13


def test_small_read_blocks_split_lines_anywhere():
    data = ocr_bytes(mixed_payments(40)).replace(b"\n", b"\r\n")
    parsed = OcrGiroFile(io.BytesIO(data), block_size=7)
    assert [p for c in parsed.chunks() for p in c] == read_all(data)[0]


def test_two_assignments_give_their_own_credited_accounts_and_the_transmission_adds_them_up():
    first = lines_of(ocr_bytes(mixed_payments(3), account="11111111111", assignment_number="0000001"))
    second = lines_of(ocr_bytes(mixed_payments(2), account="22222222222", assignment_number="0000002"))
    count = 5
    records = len(first) + len(second) - 2
    total = sum(int(line[24:41]) for line in (first[-1], second[-1]))
    end = f"NY000089{count:08d}{records:08d}{total:017d}171126{'0' * 33}".encode()
    payments, _ = read_all(joined(first[:-1] + second[1:-1] + [end]))
    assert [p.credited_account for p in payments] == ["11111111111"] * 3 + ["22222222222"] * 2


def test_writer_refuses_an_amount_with_fractions_of_ore():
    with pytest.raises(ValueError, match="two decimals"):
        ocr_giro_write(io.BytesIO(), payments=[OcrPayment(amount=Decimal("1.005"))])


# -- malformed files ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("keep", [1, 2, 3, 5, -1])
def test_truncated_file_is_refused(keep):
    lines = lines_of(ocr_bytes(mixed_payments(3)))
    assert "incomplete" in str(parse_error(joined(lines[:keep])))


def test_file_cut_inside_a_line_is_refused():
    data = ocr_bytes(mixed_payments(3))
    assert "is 40 characters long" in str(parse_error(data[: 81 * 4 + 40]))


def _replace(data: bytes, index: int, start: int, end: int, value: str) -> bytes:
    lines = lines_of(data)
    line = lines[index].decode("latin-1")
    lines[index] = (line[:start] + value + line[end:]).encode("latin-1")
    return joined(lines)


@pytest.mark.parametrize(
    ("index", "start", "end", "value", "named"),
    [
        (-2, 8, 16, "00000004", "transactions"),
        (-2, 16, 24, "00000099", "records"),
        (-2, 24, 41, "00000000000000001", "total amount"),
        (-1, 8, 16, "00000004", "transactions"),
        (-1, 16, 24, "00000099", "records"),
        (-1, 24, 41, "00000000000000001", "total amount"),
    ],
)
def test_wrong_control_total_is_refused_naming_what_disagreed(index, start, end, value, named):
    data = _replace(ocr_bytes(mixed_payments(3)), index, start, end, value)
    message = str(parse_error(data))
    assert (named in message, "assignment" in message) == (True, index == -2)


def test_unknown_record_type_is_refused():
    data = _replace(ocr_bytes(mixed_payments(3)), 2, 6, 8, "77")
    assert "unknown record type" in str(parse_error(data))


def test_amount_item_without_its_pair_is_refused():
    lines = lines_of(ocr_bytes(mixed_payments(3)))
    del lines[3]
    assert parse_error(joined(lines)).line_no == 4


def test_amount_item_2_of_another_transaction_is_refused():
    data = _replace(ocr_bytes(mixed_payments(3)), 3, 8, 15, "0000009")
    assert "does not belong" in str(parse_error(data))


def test_transaction_numbers_out_of_order_are_refused():
    lines = lines_of(
        ocr_bytes(
            mixed_payments(
                3,
            )
        )
    )
    # swap transactions 1 and 2 (two records each, types 10 and 11)
    lines[2:4], lines[4:6] = lines[4:6], lines[2:4]
    assert "does not follow" in str(parse_error(joined(lines)))


def test_non_digit_amount_is_refused():
    data = _replace(ocr_bytes(mixed_payments(3)), 2, 32, 33, "X")
    assert "not a valid amount item 1 record" in str(parse_error(data))


def test_zero_amount_is_refused():
    payments = [OcrPayment(amount=Decimal("1.00"))]
    data = _replace(ocr_bytes(payments), 2, 32, 49, "0" * 17)
    data = _replace(data, -2, 24, 41, "0" * 17)
    data = _replace(data, -1, 24, 41, "0" * 17)
    assert "amount zero" in str(parse_error(data))


def test_impossible_date_is_refused():
    data = _replace(ocr_bytes(mixed_payments(1)), 2, 15, 21, "310226")
    assert "not a date" in str(parse_error(data))


def test_utf8_encoded_text_is_refused_as_a_wrong_line_length():
    data = ocr_bytes([OcrPayment(amount=Decimal("5.00"), transaction_type=21, text="Kjøp")])
    utf8 = data.decode("latin-1").encode("utf-8")
    assert "encoding" in str(parse_error(utf8))


def test_utf16_file_is_refused():
    data = SAMPLE.read_bytes().decode("latin-1").encode("utf-16")
    with pytest.raises(ParseError):
        read_all(data)


def test_text_after_the_transmission_end_is_refused():
    data = ocr_bytes(mixed_payments(2)) + b"NY000010" + b"0" * 72 + b"\n"
    assert "after the transmission end" in str(parse_error(data))


def test_blank_lines_after_the_transmission_end_are_accepted():
    assert len(read_all(ocr_bytes(mixed_payments(2)) + b"\n\n")[0]) == 2


def test_avtalegiro_assignment_is_refused():
    data = _replace(ocr_bytes(mixed_payments(2)), 1, 2, 4, "21")
    assert "AvtaleGiro" in str(parse_error(data))


def test_a_file_is_read_once():
    parsed = open_file(io.BytesIO(ocr_bytes(mixed_payments(2))))
    list(parsed.chunks())
    with pytest.raises(ParseError):
        list(parsed.chunks())


def test_messages_are_given_in_norwegian_under_nb():
    error = parse_error(_replace(ocr_bytes(mixed_payments(3)), -1, 24, 41, "00000000000000001"))
    with translation.override("nb"):
        assert "totalbeløp" in str(error)


def test_amounts_in_messages_follow_the_locale():
    error = parse_error(
        _replace(ocr_bytes([OcrPayment(amount=Decimal("32071.33"))]), -1, 24, 41, "0" * 16 + "1")
    )
    with translation.override("nb"):
        assert "32\xa0071,33" in str(error)


def test_every_field_of_a_payment_is_set_by_the_fast_path():
    payment = read_all(SAMPLE.read_bytes())[0][0]
    assert dataclasses.asdict(payment).keys() == {f.name for f in dataclasses.fields(ParsedPayment)}


def test_last_line_ending_in_a_lone_carriage_return_is_read():
    data = ocr_bytes(mixed_payments(3)).replace(b"\n", b"\r\n")[:-1]
    assert len(read_all(data)[0]) == 3
