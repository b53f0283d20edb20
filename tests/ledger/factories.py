import datetime
from decimal import Decimal

import factory

from ledger import models
from tests.company.factories import CompanyFactory


class AccountFactory(factory.django.DjangoModelFactory[models.Account]):
    class Meta:
        model = models.Account

    company = factory.SubFactory(CompanyFactory)
    number = factory.Sequence(lambda n: str(3000 + n))
    name = factory.Sequence(lambda n: f"Account {n}")
    kind = models.AccountKind.INCOME


class SupplierFactory(factory.django.DjangoModelFactory[models.Supplier]):
    class Meta:
        model = models.Supplier

    company = factory.SubFactory(CompanyFactory)
    number = factory.Sequence(lambda n: 20000 + n)
    name = factory.Sequence(lambda n: f"Supplier {n} AS")


class CustomerFactory(factory.django.DjangoModelFactory[models.Customer]):
    class Meta:
        model = models.Customer

    company = factory.SubFactory(CompanyFactory)
    number = factory.Sequence(lambda n: 10000 + n)
    name = factory.Sequence(lambda n: f"Customer {n} AS")


class CustomerItemFactory(factory.django.DjangoModelFactory[models.OpenItem]):
    class Meta:
        model = models.OpenItem

    company = factory.SubFactory(CompanyFactory)
    kind = models.OpenItemKind.CUSTOMER
    customer = factory.SubFactory(CustomerFactory, company=factory.SelfAttribute("..company"))
    invoice_no = factory.Sequence(lambda n: str(100000 + n))
    amount = Decimal("1000.00")
    remaining_amount = factory.SelfAttribute("amount")
    invoice_date = datetime.date(2026, 11, 1)
    due_date = datetime.date(2026, 11, 30)


class SupplierItemFactory(CustomerItemFactory):
    kind = models.OpenItemKind.SUPPLIER
    customer = None  # type: ignore[assignment]
    supplier = factory.SubFactory(SupplierFactory, company=factory.SelfAttribute("..company"))


class VoucherSeriesFactory(factory.django.DjangoModelFactory[models.VoucherSeries]):
    class Meta:
        model = models.VoucherSeries

    company = factory.SubFactory(CompanyFactory)
    code = factory.Sequence(lambda n: f"S{n}")
    name = "General"


class BatchFactory(factory.django.DjangoModelFactory[models.Batch]):
    class Meta:
        model = models.Batch

    company = factory.SubFactory(CompanyFactory)
    description = factory.Sequence(lambda n: f"Batch {n}")
    source = "manual"
    created_at = datetime.datetime(2026, 11, 21, 12, 0, tzinfo=datetime.UTC)
