"""A company ready to receive incoming payments: accounts, a KID definition, customers and open items."""

import dataclasses
import datetime
import io
from decimal import Decimal

import pytest
from stdnum import luhn

from company import models as company_models
from factoring import models, services
from factoring.parsers.ocr_writer import OcrPayment, ocr_giro_write
from ledger import models as ledger_models
from ledger import services as ledger_services
from tests.company.factories import CompanyFactory, UserFactory
from tests.ledger.factories import AccountFactory, CustomerFactory, VoucherSeriesFactory

NOW = datetime.datetime(2026, 11, 21, 12, 0, tzinfo=datetime.UTC)
DAY = datetime.date(2026, 11, 17)
BANK_ACCOUNT = "86011117947"


def kid_for(customer_no: int, invoice_no: int) -> str:
    """A KID of 5 customer digits, 6 invoice digits and a MOD10 check digit (definition "1;6")."""
    body = f"{customer_no:05d}{invoice_no:06d}"
    return body + luhn.calc_check_digit(body)


@dataclasses.dataclass
class Book:
    company: company_models.Company
    bank: ledger_models.Account
    receivables: ledger_models.Account
    suspense: ledger_models.Account
    differences: ledger_models.Account
    series: ledger_models.VoucherSeries
    definition: models.FactoringCompany
    customers: list[ledger_models.Customer]

    def item(self, customer: int, invoice_no: int, amount: str) -> ledger_models.OpenItem:
        """An open invoice of customer index `customer`, its KID made of the customer and invoice numbers."""
        party = self.customers[customer]
        return ledger_services.open_item_create(
            company=self.company,
            kind=ledger_models.OpenItemKind.CUSTOMER,
            customer=party,
            invoice_no=str(invoice_no),
            kid=kid_for(party.number, invoice_no),
            currency="NOK",
            amount=Decimal(amount),
            invoice_date=datetime.date(2026, 11, 1),
            due_date=datetime.date(2026, 11, 15),
        )

    def import_file(self, data: bytes, filename: str = "ocr.txt") -> models.IncomingImport:
        return services.incoming_file_import(
            company=self.company, stream=io.BytesIO(data), filename=filename, user=None, now=NOW
        )


def book_create(*, tolerance: str = "1.00", factoring_id: str = "1;6", account: str = BANK_ACCOUNT) -> Book:
    company = CompanyFactory.create()
    bank = AccountFactory.create(company=company, number="1920", kind="asset", role="bank")
    receivables = AccountFactory.create(company=company, number="1500", kind="asset", role="ar_control")
    suspense = AccountFactory.create(company=company, number="2990", kind="liability", role="suspense")
    differences = AccountFactory.create(company=company, number="7790", kind="expense", role="payment_diff")
    series = VoucherSeriesFactory.create(company=company, code="I", name="Incoming")
    definition = services.factoring_company_create(
        company=company,
        number=1,
        factoring_id=factoring_id,
        kid_customer_digits=5,
        kid_reference_digits=6,
        bank_account=account,
        gl_account=bank,
        voucher_series=series,
        write_off_tolerance=Decimal(tolerance),
    )
    customers = [
        CustomerFactory.create(
            company=company, number=10_001 + n, bank_account=f"{12345678903 + 0}" if n == 2 else ""
        )
        for n in range(3)
    ]
    return Book(company, bank, receivables, suspense, differences, series, definition, customers)


def ocr(payments: list[OcrPayment], **kwargs: object) -> bytes:
    stream = io.BytesIO()
    ocr_giro_write(stream, payments=payments, account=kwargs.pop("account", BANK_ACCOUNT), date=DAY, **kwargs)  # type: ignore[arg-type]
    return stream.getvalue()


def pay(amount: str, kid: str = "", ref: int = 1, **kwargs: object) -> OcrPayment:
    return OcrPayment(amount=Decimal(amount), kid=kid, archive_reference=f"{ref:09d}", **kwargs)  # type: ignore[arg-type]


def balances(book: Book) -> dict[str, Decimal]:
    """The balance of each of the book's accounts, by number."""
    from django.db.models import Sum

    return {
        number: total
        for number, total in ledger_models.JournalLine.objects.filter(company=book.company)
        .values_list("account__number")
        .annotate(total=Sum("amount"))
        .values_list("account__number", "total")
    }


@pytest.fixture
def book(db) -> Book:
    return book_create()


@pytest.fixture
def user(db):
    return UserFactory.create()
