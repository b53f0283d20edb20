import datetime
from decimal import Decimal
from typing import Any

import factory

from company import validators
from ledger import models as ledger_models
from payments import models
from tests.company.factories import BankPartnerFactory, CompanyFactory
from tests.ledger.factories import SupplierFactory, SupplierItemFactory

NOW = datetime.datetime(2026, 11, 22, 9, 30, tzinfo=datetime.UTC)
TODAY = datetime.date(2026, 11, 22)


def supplier_account(n: int) -> str:
    """A valid 11-digit Norwegian account number (MOD11), distinct for distinct n."""
    for last in range(10):
        base = f"8601{n % 100_000:05d}{last}"
        check = validators.mod11_check_digit(base)
        if check is not None:
            return base + check
    raise AssertionError("no valid account no")


def bank_account_change(
    supplier: Any, *, at: datetime.datetime, by: Any = None, number: int = 99_999
) -> None:
    """Change the supplier's bank account as of `at` (its history dated so; created a year before)."""
    supplier.history.filter(history_type="+").update(history_date=at - datetime.timedelta(days=365))
    supplier.bank_account = supplier_account(number)
    supplier._history_date = at
    supplier._history_user = by
    supplier.save()


class PayableSupplierFactory(SupplierFactory):
    bank_account = factory.Sequence(supplier_account)


class PayableItemFactory(SupplierItemFactory):
    supplier = factory.SubFactory(PayableSupplierFactory, company=factory.SelfAttribute("..company"))
    amount = Decimal("1250.00")
    due_date = datetime.date(2026, 11, 30)


class CreditNoteFactory(PayableItemFactory):
    amount = Decimal("-300.00")


class PaymentFactory(factory.django.DjangoModelFactory[models.Payment]):
    class Meta:
        model = models.Payment

    company = factory.SubFactory(CompanyFactory)
    bank_partner = factory.SubFactory(BankPartnerFactory, company=factory.SelfAttribute("..company"))
    number = factory.Sequence(lambda n: 1000 + n)
    payment_date = datetime.date(2026, 11, 30)
    created_at = NOW


class PaymentLineFactory(factory.django.DjangoModelFactory[models.PaymentLine]):
    class Meta:
        model = models.PaymentLine

    payment = factory.SubFactory(PaymentFactory)
    company = factory.SelfAttribute("payment.company")
    open_item = factory.SubFactory(PayableItemFactory, company=factory.SelfAttribute("..company"))
    supplier = factory.SelfAttribute("open_item.supplier")
    amount = factory.SelfAttribute("open_item.remaining_amount")
    creditor_account = factory.SelfAttribute("supplier.bank_account")
    kid = factory.SelfAttribute("open_item.kid")
    end_to_end_id = factory.Sequence(lambda n: f"E2E-{n}")


__all__ = ["ledger_models"]
