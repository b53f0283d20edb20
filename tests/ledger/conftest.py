import dataclasses
import datetime
from decimal import Decimal

import pytest

from company import models as company_models
from ledger import models, services
from tests.company.factories import CompanyFactory
from tests.ledger.factories import AccountFactory, CustomerFactory, SupplierFactory, VoucherSeriesFactory

NOW = datetime.datetime(2026, 11, 21, 12, 0, tzinfo=datetime.UTC)
DAY = datetime.date(2026, 11, 20)


@dataclasses.dataclass
class Book:
    """A company with the accounts, parties and series a posting needs."""

    company: company_models.Company
    bank: models.Account
    receivables: models.Account
    payables: models.Account
    sales: models.Account
    customer: models.Customer
    supplier: models.Supplier
    series: models.VoucherSeries

    def payment_lines(self, amount: Decimal) -> list[services.LineSpec]:
        """Lines of a customer payment: bank debit, receivables credit."""
        return [
            services.LineSpec(account_id=self.bank.pk, amount=amount),
            services.LineSpec(account_id=self.receivables.pk, amount=-amount, customer_id=self.customer.pk),
        ]

    def payment_post(self, amount: Decimal, date: datetime.date = DAY) -> models.Voucher:
        return services.voucher_post(
            company=self.company, series=self.series, date=date, lines=self.payment_lines(amount), now=NOW
        )

    def receivables_line(self, voucher: models.Voucher) -> models.JournalLine:
        return voucher.lines.get(account=self.receivables)


def book_create() -> Book:
    company = CompanyFactory.create()
    return Book(
        company=company,
        bank=AccountFactory.create(
            company=company, number="1920", kind=models.AccountKind.ASSET, role="bank"
        ),
        receivables=AccountFactory.create(
            company=company, number="1500", kind=models.AccountKind.ASSET, role=models.AccountRole.AR_CONTROL
        ),
        payables=AccountFactory.create(
            company=company,
            number="2400",
            kind=models.AccountKind.LIABILITY,
            role=models.AccountRole.AP_CONTROL,
        ),
        sales=AccountFactory.create(company=company, number="3000", kind=models.AccountKind.INCOME),
        customer=CustomerFactory.create(company=company),
        supplier=SupplierFactory.create(company=company),
        series=VoucherSeriesFactory.create(company=company, code="B"),
    )


@pytest.fixture
def book(db) -> Book:
    return book_create()


@pytest.fixture
def other_book(db) -> Book:
    return book_create()
