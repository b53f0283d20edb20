"""The real sample files (tests/data, sources in their README.md) imported against seeded open items."""

import pathlib
from decimal import Decimal

import pytest

from factoring import errors, models, parsers, selectors, services
from ledger import models as ledger_models
from ledger import selectors as ledger_selectors
from ledger import services as ledger_services
from tests.factoring.books import NOW, balances, book_create

DATA = pathlib.Path(__file__).resolve().parents[1] / "data"
OCR_SAMPLE = DATA / "ocr-giro" / "ocr_giro_transactions.txt"
CAMT_SAMPLES = sorted((DATA / "camt054").glob("*.xml"))

pytestmark = pytest.mark.django_db


def _payments(path: pathlib.Path) -> list[parsers.ParsedPayment]:
    with path.open("rb") as stream:
        parsed = parsers.open_file(stream)
        return [payment for chunk in parsed.chunks() for payment in chunk]


def _ocr_book():
    """A company whose definition ("0;0") reads the sample's KIDs, with an open item per KID and amount."""
    payments = _payments(OCR_SAMPLE)
    book = book_create(factoring_id="0;0", account=payments[0].credited_account)
    for n, payment in enumerate(p for p in payments if p.kid and not p.is_reversal):
        ledger_services.open_item_create(
            company=book.company,
            kind=ledger_models.OpenItemKind.CUSTOMER,
            customer=book.customers[n % 3],
            invoice_no=str(50_000 + n),
            kid=payment.kid,
            currency="NOK",
            amount=payment.amount,
            invoice_date=None,
            due_date=None,
        )
    return book


def test_the_nets_ocr_sample_adds_up_to_its_own_control_total():
    book = _ocr_book()
    file_import = book.import_file(OCR_SAMPLE.read_bytes(), filename=OCR_SAMPLE.name)
    summary = selectors.import_summary(file_import=file_import)
    assert (summary["total_amount"], summary["total_count"], summary["agrees"]) == (
        Decimal("51449.00"),
        20,
        True,
    )


def test_the_nets_ocr_sample_matches_every_kid_to_its_seeded_item():
    book = _ocr_book()
    book.import_file(OCR_SAMPLE.read_bytes(), filename=OCR_SAMPLE.name)
    with_kid = models.IncomingPayment.objects.filter(company=book.company, is_reversal=False).exclude(kid="")
    assert set(with_kid.values_list("result", flat=True)) == {models.Result.MATCHED}


def test_the_nets_ocr_sample_debits_the_bank_with_what_the_bank_shows():
    book = _ocr_book()
    book.import_file(OCR_SAMPLE.read_bytes(), filename=OCR_SAMPLE.name)
    net = sum((-p.amount if p.is_reversal else p.amount for p in _payments(OCR_SAMPLE)), Decimal("0.00"))
    assert balances(book)["1920"] == net


@pytest.mark.parametrize("path", CAMT_SAMPLES, ids=lambda p: p.name)
def test_each_camt054_sample_imports_with_totals_equal_to_its_own(path):
    payments = _payments(path)
    account = payments[0].credited_account if payments else "86011117947"
    book = book_create(factoring_id="0;0", account=account)
    file_import = book.import_file(path.read_bytes(), filename=path.name)
    summary = selectors.import_summary(file_import=file_import)
    assert (summary["agrees"], file_import.imported_count) == (True, len(payments))


@pytest.mark.parametrize("path", CAMT_SAMPLES, ids=lambda p: p.name)
def test_each_camt054_sample_posts_balanced_vouchers(path):
    payments = _payments(path)
    book = book_create(
        factoring_id="0;0", account=payments[0].credited_account if payments else "86011117947"
    )
    book.import_file(path.read_bytes(), filename=path.name)
    assert not ledger_selectors.vouchers_unbalanced(company=book.company).exists()


def test_importing_a_sample_for_a_second_company_without_a_definition_is_refused():
    _ocr_book()
    other = book_create(factoring_id="0;0")
    with pytest.raises(errors.FileRefused, match="KID definition"):
        services.incoming_file_import(
            company=other.company, stream=OCR_SAMPLE.open("rb"), filename="x", user=None, now=NOW
        )
