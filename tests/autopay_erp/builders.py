"""Ledger rows that only posting services write (vouchers, lines, reconciliations), for interface tests.

The database insists that the lines of a voucher balance in the statement that inserts them, so lines go in
with one bulk_create, as the posting service does.
"""

import datetime
from decimal import Decimal

from company import models as company_models
from ledger import models
from tests.ledger.factories import AccountFactory, CustomerItemFactory, VoucherSeriesFactory

POSTED_AT = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=datetime.UTC)


def balanced_voucher(
    company: company_models.Company,
    amount: Decimal = Decimal("250.00"),
    number: int = 1,
    description: str = "Customer payment",
) -> models.Voucher:
    """Write a voucher of two lines, bank debit and receivables credit, for `company`."""
    series = VoucherSeriesFactory.create(company=company)
    batch = models.Batch.objects.create(
        company=company, description=f"{description} batch", created_at=POSTED_AT
    )
    voucher = models.Voucher.objects.create(
        company=company,
        batch=batch,
        series=series,
        number=number,
        date=POSTED_AT.date(),
        description=description,
        posted_at=POSTED_AT,
    )
    bank = AccountFactory.create(company=company, kind=models.AccountKind.ASSET)
    receivables = AccountFactory.create(company=company, kind=models.AccountKind.ASSET)
    models.JournalLine.objects.bulk_create(
        [
            models.JournalLine(voucher=voucher, company=company, account=bank, amount=amount),
            models.JournalLine(voucher=voucher, company=company, account=receivables, amount=-amount),
        ]
    )
    return voucher


def reconciliation(
    company: company_models.Company, description: str = "Customer payment"
) -> models.Reconciliation:
    """Write a voucher and reconcile its credit line against a customer item of the same amount."""
    voucher = balanced_voucher(company, description=description)
    line = voucher.lines.get(amount__lt=0)
    item = CustomerItemFactory.create(
        company=company,
        amount=Decimal("250.00"),
        remaining_amount=Decimal("0.00"),
        status=models.OpenItemStatus.SETTLED,
    )
    return models.Reconciliation.objects.create(
        company=company, open_item=item, journal_line=line, amount=Decimal("250.00"), created_at=POSTED_AT
    )
