"""Importing OCR Giro files: interpretation, posting, reconciliation, duplicates and refusals."""

import uuid
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.db.models import Sum

from factoring import errors, models
from factoring.services import allocation, imports, posting
from ledger import models as ledger_models
from ledger import selectors as ledger_selectors
from tests.factoring.books import BANK_ACCOUNT, DAY, NOW, Book, balances, book_create, kid_for, ocr, pay
from tests.factoring.builders import VERSIONS, Detail, Entry, camt054_bytes


@pytest.mark.sqlite
def test_a_full_payment_by_kid_settles_its_item(book: Book):
    item = book.item(0, 1001, "1000.00")
    book.import_file(ocr([pay("1000.00", item.kid)]))
    item.refresh_from_db()
    assert item.status == ledger_models.OpenItemStatus.SETTLED


def test_each_payment_records_its_result_and_rule(book: Book):
    full = book.item(0, 1001, "1000.00")
    part = book.item(1, 1002, "500.00")
    book.import_file(
        ocr([pay("1000.00", full.kid, 1), pay("200.00", part.kid, 2), pay("50.00", kid_for(99999, 5), 3)])
    )
    got = list(models.IncomingPayment.objects.order_by("line_no").values_list("result", "rule"))
    assert got == [
        ("matched", "kid_positions"),
        ("partial", "kid_positions"),
        ("unmatched", "none"),
    ]


def test_an_import_posts_one_balanced_voucher_per_value_date_debiting_the_bank_with_the_total(book: Book):
    item = book.item(0, 1001, "1000.00")
    book.import_file(ocr([pay("1000.00", item.kid, 1), pay("75.50", "", 2)]))
    vouchers = ledger_models.Voucher.objects.filter(company=book.company)
    assert vouchers.count() == 1
    assert not ledger_selectors.vouchers_unbalanced(company=book.company).exists()
    assert balances(book) == {
        "1920": Decimal("1075.50"),
        "1500": Decimal("-1000.00"),
        "2990": Decimal("-75.50"),
    }


@pytest.mark.sqlite
def test_an_overpayment_settles_the_item_and_leaves_a_credit_item(book: Book):
    item = book.item(0, 1001, "1000.00")
    book.import_file(ocr([pay("1200.00", item.kid)]))
    credit = ledger_models.OpenItem.objects.get(company=book.company, amount__lt=0)
    assert (credit.amount, credit.customer_id) == (Decimal("-200.00"), item.customer_id)


def test_a_difference_within_the_tolerance_is_written_off_and_closes_the_item(book: Book):
    item = book.item(0, 1001, "1000.00")
    book.import_file(ocr([pay("999.40", item.kid)]))
    item.refresh_from_db()
    assert (item.status, balances(book)["7790"]) == (ledger_models.OpenItemStatus.SETTLED, Decimal("0.60"))


@pytest.mark.sqlite
def test_a_partial_payment_leaves_the_item_partially_open(book: Book):
    item = book.item(0, 1001, "1000.00")
    book.import_file(ocr([pay("400.00", item.kid)]))
    item.refresh_from_db()
    assert (item.status, item.remaining_amount) == ("partially_open", Decimal("600.00"))


@pytest.mark.sqlite
def test_a_kid_reversal_undoes_the_payment_it_reverses(book: Book):
    item = book.item(0, 1001, "1000.00")
    book.import_file(ocr([pay("1000.00", item.kid, 1)]), filename="a.txt")
    book.import_file(ocr([pay("1000.00", item.kid, 2, transaction_type=18)]), filename="b.txt")
    item.refresh_from_db()
    assert (item.status, balances(book)["1920"], balances(book)["1500"]) == (
        "open",
        Decimal("0.00"),
        Decimal("0.00"),
    )


@pytest.mark.sqlite
def test_a_reversal_in_the_same_file_as_its_payment_undoes_it(book: Book):
    item = book.item(0, 1001, "1000.00")
    other = book.item(0, 1002, "50.00")
    book.import_file(
        ocr(
            [
                pay("1000.00", item.kid, 1),
                pay("1000.00", item.kid, 2, transaction_type=18),
                pay("50.00", other.kid, 3),
            ]
        )
    )
    item.refresh_from_db()
    other.refresh_from_db()
    reversal = models.IncomingPayment.objects.get(line_no__isnull=False, is_reversal=True)
    assert (item.status, other.status, reversal.result) == ("open", "settled", models.Result.REVERSED)
    assert (balances(book)["1920"], balances(book)["1500"]) == (Decimal("50.00"), Decimal("-50.00"))


def test_the_same_file_again_is_refused_naming_the_earlier_import(book: Book):
    data = ocr([pay("100.00", "", 1)])
    first = book.import_file(data)
    with pytest.raises(errors.DuplicateFile, match=f"import {first.pk}"):
        book.import_file(data)


@pytest.mark.sqlite
def test_an_overlapping_file_imports_only_what_is_new_and_lists_what_it_skipped(book: Book):
    first = book.import_file(ocr([pay("100.00", "", 1), pay("200.00", "", 2)]))
    second = book.import_file(ocr([pay("200.00", "", 2), pay("300.00", "", 3)]))
    skipped = list(second.skipped.values_list("line_no", "earlier__file_import"))
    assert (second.imported_count, skipped) == (1, [(1, first.pk)])


@pytest.mark.parametrize("slack", [100, 0], ids=["by-range", "by-probes"])
def test_an_overlap_is_found_whether_the_references_run_in_order_or_interleave_with_others(
    book: Book, monkeypatch, slack
):
    # References 10, 20, … 100 taken; the new file repeats 30 and 70 among new ones. Its range (25 … 75)
    # holds five other payments: within the slack the range answers, with none the pairs are probed.
    monkeypatch.setattr(imports, "TAKEN_RANGE_SLACK", slack)
    book.import_file(ocr([pay("10.00", "", ref) for ref in range(10, 101, 10)]))
    second = book.import_file(
        ocr([pay("10.00", "", 25), pay("10.00", "", 30), pay("10.00", "", 70), pay("10.00", "", 75)])
    )
    assert (second.imported_count, sorted(second.skipped.values_list("line_no", flat=True))) == (2, [2, 3])


def test_a_file_with_a_wrong_control_total_is_refused_and_posts_nothing(book: Book):
    data = bytearray(ocr([pay("100.00", "", 1)]))
    lines = data.decode("latin-1").splitlines()
    lines[-1] = lines[-1][:24] + "00000000000099999" + lines[-1][41:]
    with pytest.raises(errors.FileRefused, match="Nothing was imported"):
        book.import_file(("\n".join(lines) + "\n").encode("latin-1"))
    assert not ledger_models.Voucher.objects.filter(company=book.company).exists()


def test_a_payment_to_an_account_without_a_definition_refuses_the_file(book: Book):
    with pytest.raises(errors.FileRefused, match="no KID definition"):
        book.import_file(ocr([pay("100.00", "", 1)], account="12345678903"))


_BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
    b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"><x>&c;</x></Document>'
)


@pytest.mark.parametrize(
    "malformed",
    [
        pytest.param(lambda data: data[: len(data) // 2], id="truncated"),
        pytest.param(lambda data: data.replace(b"NY09", b"NY\xff\xfe", 1), id="wrong-encoding"),
        pytest.param(lambda data: bytes(range(256)) * 40_960, id="10-MB-of-garbage"),
        pytest.param(lambda data: _BOMB, id="xml-bomb"),
        pytest.param(lambda data: b"", id="empty"),
    ],
)
def test_a_malformed_file_is_refused_clearly_and_posts_nothing(book: Book, malformed):
    item = book.item(0, 1001, "1000.00")
    data = malformed(ocr([pay("1000.00", item.kid, 1), pay("5.00", "", 2)]))
    with pytest.raises(errors.FileRefused, match="Nothing was imported"):
        book.import_file(data)
    assert (models.IncomingImport.objects.count(), ledger_models.Voucher.objects.count()) == (0, 0)


def test_a_payment_of_another_companys_file_is_not_in_the_api_of_this_one(book: Book):
    from rest_framework.test import APIClient

    from tests.company.factories import MembershipFactory
    from tests.factoring.books import book_create

    other = book_create(account="12345678903")
    other.import_file(ocr([pay("10.00", "", 1)], account="12345678903"))
    payment = models.IncomingPayment.objects.get(company=other.company)
    client = APIClient()
    client.force_authenticate(MembershipFactory.create(company=book.company).user)
    response = client.post(f"/api/incoming-payments/{payment.pk}/allocate/", {"customer": 1}, format="json")
    assert response.status_code == 404


def test_a_free_text_reversal_undoes_the_terminal_payment_with_the_same_text(book: Book):
    book.import_file(
        ocr([pay("250.00", "", 1, transaction_type=21, text="Kiosk 7 kvittering 4411")]), filename="a"
    )
    book.import_file(
        ocr([pay("250.00", "", 2, transaction_type=20, text="Kiosk 7 kvittering 4411")]), filename="b"
    )
    reversal = models.IncomingPayment.objects.get(is_reversal=True)
    original = models.IncomingPayment.objects.get(is_reversal=False)
    assert (reversal.result, reversal.reverses_id, balances(book)["2990"]) == (
        "reversal",
        original.pk,
        Decimal("0.00"),
    )


@pytest.mark.sqlite
def test_a_payment_taken_from_a_camt054_file_under_its_iban_is_skipped_in_an_ocr_file_under_its_bban(
    book: Book,
):
    # The same payment, named by the bank in two files of two formats: the account as IBAN, then as BBAN.
    entry = Entry(
        Decimal("100.00"), value_date=DAY.isoformat(), booking_date=DAY.isoformat(), reference="000000001"
    )
    first = book.import_file(camt054_bytes(VERSIONS[-1], [entry], account="NO93" + BANK_ACCOUNT), "camt.xml")
    second = book.import_file(ocr([pay("100.00", "", 1), pay("300.00", "", 2)]))

    skipped = list(second.skipped.values_list("line_no", "earlier__file_import"))
    assert (first.imported_count, second.imported_count, skipped) == (1, 1, [(1, first.pk)])
    assert set(models.IncomingPayment.objects.values_list("credited_account", flat=True)) == {BANK_ACCOUNT}


@pytest.mark.sqlite
def test_texts_with_tabs_backslashes_and_newlines_are_stored_as_the_bank_sent_them(book: Book):
    # The payments' rows reach PostgreSQL as preformatted COPY text: its escapes must hold.
    message = "Faktura 1001\tdel\\2\nlinje 2\r\\N"
    name = "Ola \\ Nordmann\t& Co"
    entry = Entry(
        Decimal("100.00"),
        value_date=DAY.isoformat(),
        booking_date=DAY.isoformat(),
        reference="TXT000001",
        details=(Detail(Decimal("100.00"), message=message, payer_name=name, reference="TXT000001"),),
    )
    book.import_file(camt054_bytes(VERSIONS[-1], [entry], account="NO93" + BANK_ACCOUNT), "camt.xml")
    payment = models.IncomingPayment.objects.get()
    assert (payment.payer_name, payment.archive_reference) == (name, "TXT000001")
    # XML normalises a carriage return to a newline (XML 1.0, 2.11); the rest arrives as written.
    assert payment.message == message.replace("\r", "\n")


def test_a_reversed_payment_cannot_be_allocated(book: Book):
    book.import_file(
        ocr([pay("250.00", "", 1, transaction_type=21, text="Kiosk 7 kvittering 4411")]), filename="a"
    )
    book.import_file(
        ocr([pay("250.00", "", 2, transaction_type=20, text="Kiosk 7 kvittering 4411")]), filename="b"
    )
    original = models.IncomingPayment.objects.get(is_reversal=False)
    original.allocation = models.AllocationState.OPEN  # as if still on the work list
    original.save(update_fields=["allocation"])

    with pytest.raises(errors.AllocationError, match="has been reversed"):
        allocation.incoming_payment_allocate(
            payment=original, customer=book.customers[0], date=DAY, user=None, now=NOW
        )


def test_a_second_reversal_of_one_payment_is_refused_by_the_database(book: Book):
    book.import_file(
        ocr([pay("250.00", "", 1, transaction_type=21, text="Kiosk 7 kvittering 4411")]), filename="a"
    )
    book.import_file(
        ocr([pay("250.00", "", 2, transaction_type=20, text="Kiosk 7 kvittering 4411")]), filename="b"
    )
    reversal = models.IncomingPayment.objects.get(is_reversal=True)
    reversal.pk = None
    reversal.line_no = 99
    reversal.archive_reference = "another"

    with pytest.raises(IntegrityError, match="incomingpayment_unique_reversal"), transaction.atomic():
        reversal.save()


def test_a_payment_of_a_message_id_already_taken_is_refused_by_the_database(book: Book):
    book.import_file(ocr([pay("100.00", "", 1)]))
    payment = models.IncomingPayment.objects.get()
    twin = models.IncomingPayment.objects.get()
    message_id = uuid.uuid4()
    for row, reference in ((payment, "A1"), (twin, "A2")):
        row.source = models.Source.AUTOPAY
        row.file_import = None
        row.line_no = None
        row.autopay_message_id = message_id
        row.archive_reference = reference
    payment.save()
    twin.pk = None

    with pytest.raises(IntegrityError, match="incomingpayment_unique_message"), transaction.atomic():
        twin.save()


@pytest.mark.postgresql_only  # the rows are formatted by a thread of their own on PostgreSQL only
def test_an_error_while_the_rows_are_formatted_refuses_the_file_and_posts_nothing(book: Book, monkeypatch):
    def broken(row, transformer, out):
        if len(row) > 10:  # not the priming row
            raise ValueError("formatting failed")

    book.item(0, 1001, "1000.00")
    monkeypatch.setattr(posting, "format_row_text", broken)
    with pytest.raises(ValueError, match="formatting failed"):
        book.import_file(ocr([pay("1000.00", kid_for(book.customers[0].number, 1001))]))
    assert not models.IncomingPayment.objects.exists()
    assert not ledger_models.Voucher.objects.filter(company=book.company).exists()


def test_another_companys_payments_are_not_skipped_as_taken_nor_named_but_refused_for_their_account(
    book: Book,
):
    # Company B keeps its books with another account: A's file is not B's to import, and B learns nothing of
    # A's payments (no "taken before" naming A's ids).
    item = book.item(0, 1001, "1000.00")
    book.import_file(ocr([pay("1000.00", item.kid, 1)]))
    other = book_create(account="12345678903")
    with pytest.raises(errors.FileRefused, match=BANK_ACCOUNT):
        other.import_file(ocr([pay("1000.00", item.kid, 1)]))
    assert not models.SkippedPayment.objects.filter(file_import__company=other.company).exists()
    assert not models.IncomingPayment.objects.filter(company=other.company).exists()


@pytest.mark.sqlite
@pytest.mark.parametrize(
    ("recorded", "paid_from"),
    [("NO9386011117947", "86011117947"), ("86011117947", "86011117947")],
    ids=["customer-by-IBAN", "customer-by-BBAN"],
)
def test_a_payer_account_finds_its_customer_whether_recorded_as_iban_or_bban(book: Book, recorded, paid_from):
    customer = book.customers[1]
    customer.bank_account = recorded
    customer.save(update_fields=["bank_account"])
    book.import_file(ocr([pay("75.00", "", 1, payer_account=paid_from)]))
    payment = models.IncomingPayment.objects.get(company=book.company)
    assert (payment.rule, payment.customer_id) == (models.Rule.PAYER_ACCOUNT, customer.pk)


@pytest.mark.sqlite
@pytest.mark.parametrize("how", ["to an invoice", "on account"])
def test_a_reversal_of_a_payment_allocated_by_hand_leaves_the_books_as_if_neither_had_been(book: Book, how):
    item = book.item(1, 2001, "99.00")
    unknown = kid_for(99999, 7)
    book.import_file(ocr([pay("99.00", unknown, 1)]), filename="a.txt")
    payment = models.IncomingPayment.objects.get(company=book.company)
    allocation.incoming_payment_allocate(
        payment=payment,
        customer=None if how == "to an invoice" else book.customers[2],
        allocations=[(item, Decimal("99.00"))] if how == "to an invoice" else (),
        date=DAY,
        user=None,
        now=NOW,
    )
    book.import_file(ocr([pay("99.00", unknown, 2, transaction_type=18)]), filename="b.txt")
    item.refresh_from_db()
    by_customer = dict(
        ledger_models.JournalLine.objects.filter(company=book.company, account=book.receivables)
        .values_list("customer_id")
        .annotate(total=Sum("amount"))
        .values_list("customer_id", "total")
    )
    assert {number: total for number, total in balances(book).items() if total} == {}
    assert {customer: total for customer, total in by_customer.items() if total} == {}
    assert (item.status, item.remaining_amount) == (ledger_models.OpenItemStatus.OPEN, Decimal("99.00"))
    assert not ledger_selectors.vouchers_unbalanced(company=book.company).exists()
    assert models.IncomingPayment.objects.get(pk=payment.pk).reversed_by.count() == 1
