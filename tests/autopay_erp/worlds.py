"""A company with a row of every kind, for the tests that walk every endpoint.

Every text the rows carry holds MARKER, so that a page or an answer that shows any of them to another
company's user is caught by looking for one word.
"""

import dataclasses
import datetime
from decimal import Decimal

from django.contrib.auth.models import Permission, User
from django.db.models import Model

from company import models as company_models
from ledger import models as ledger_models
from tests.autopay_erp import builders
from tests.company.factories import BankPartnerFactory, CompanyFactory, MembershipFactory, UserFactory
from tests.ledger.factories import (
    AccountFactory,
    BatchFactory,
    CustomerFactory,
    SupplierFactory,
    SupplierItemFactory,
    VoucherSeriesFactory,
)

MARKER = "Leakmark"
# The apps whose admin a company's staff works in; their models' permissions are given to `staff_member`.
COMPANY_APPS = ("company", "ledger", "payments", "factoring", "auth")


@dataclasses.dataclass
class World:
    company: company_models.Company
    user: User
    rows: dict[type[Model], list[Model]]

    def ids(self, model: type[Model] | None = None) -> set[int]:
        models = [model] if model is not None else list(self.rows)
        return {row.pk for m in models for row in self.rows.get(m, [])}


def company_with_data(prefix: str = MARKER) -> World:
    """Write a company whose every row names `prefix`, with an ordinary member (accountant and approver)."""
    company = CompanyFactory.create(name=f"{prefix} Holding AS")
    user = UserFactory.create(username=f"{prefix.lower()}-user", first_name=prefix)
    MembershipFactory.create(user=user, company=company, role=company_models.Role.ACCOUNTANT)
    MembershipFactory.create(user=user, company=company, role=company_models.Role.APPROVER)
    recon = builders.reconciliation(company, description=f"{prefix} payment")
    voucher = recon.journal_line.voucher
    batch = voucher.batch
    customer = recon.open_item.customer
    assert batch is not None
    assert customer is not None
    rows: dict[type[Model], list[Model]] = {
        company_models.Company: [company],
        company_models.Membership: list(company.memberships.all()),
        User: [user],
        company_models.BankPartner: [BankPartnerFactory.create(company=company, name=f"{prefix} Bank")],
        ledger_models.Account: [
            AccountFactory.create(company=company, name=f"{prefix} sales"),
            *ledger_models.Account.objects.filter(company=company),
        ],
        ledger_models.Supplier: [SupplierFactory.create(company=company, name=f"{prefix} Supplier AS")],
        ledger_models.Customer: [CustomerFactory.create(company=company, name=f"{prefix} Customer AS")],
        ledger_models.VoucherSeries: [
            VoucherSeriesFactory.create(company=company, name=f"{prefix} series"),
            *ledger_models.VoucherSeries.objects.filter(company=company),
        ],
        ledger_models.Batch: [batch, BatchFactory.create(company=company, description=f"{prefix} manual")],
        ledger_models.Voucher: [voucher],
        ledger_models.JournalLine: list(voucher.lines.all()),
        ledger_models.Reconciliation: [recon],
    }
    supplier = rows[ledger_models.Supplier][0]
    item = SupplierItemFactory.create(
        company=company, supplier=supplier, invoice_no=f"{prefix}-1", amount=Decimal("500.00")
    )
    rows[ledger_models.OpenItem] = [item, recon.open_item]
    ledger_models.Customer.objects.filter(pk=customer.pk).update(name=f"{prefix} Buyer AS")
    rows[ledger_models.Customer].append(customer)
    ledger_models.PeriodLock.objects.create(company=company, locked_through=datetime.date(2026, 1, 31))
    rows[ledger_models.PeriodLock] = list(ledger_models.PeriodLock.objects.filter(company=company))
    return World(company=company, user=user, rows=rows)


def staff_member(world: World) -> User:
    """Make the world's user staff with every permission of the company apps (not a superuser)."""
    world.user.is_staff = True
    world.user.save(update_fields=["is_staff"])
    world.user.user_permissions.set(Permission.objects.filter(content_type__app_label__in=COMPANY_APPS))
    return world.user
