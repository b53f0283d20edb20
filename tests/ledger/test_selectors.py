import datetime
from decimal import Decimal

import pytest

from ledger import models, selectors, services
from tests.company.factories import CompanyFactory
from tests.ledger.conftest import NOW
from tests.ledger.factories import CustomerFactory, CustomerItemFactory, SupplierItemFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 21)


def test_open_items_figures_count_only_items_due_before_today_as_overdue():
    company = CompanyFactory.create()
    CustomerItemFactory.create(company=company, due_date=TODAY - datetime.timedelta(days=1))
    CustomerItemFactory.create(company=company, due_date=TODAY)
    figures = selectors.open_items_figures(company=company, today=TODAY)
    assert figures["customer_overdue"]["count"] == 1


def test_open_items_figures_sum_what_remains_not_the_whole_amounts():
    company = CompanyFactory.create()
    SupplierItemFactory.create(company=company, amount=Decimal("500.00"), remaining_amount=Decimal("500.00"))
    SupplierItemFactory.create(
        company=company,
        amount=Decimal("300.00"),
        remaining_amount=Decimal("100.00"),
        status=models.OpenItemStatus.PARTIALLY_OPEN,
    )
    figures = selectors.open_items_figures(company=company, today=TODAY)
    assert figures["supplier_open"]["total"] == Decimal("600.00")


def test_open_items_figures_of_a_company_without_items_are_zero():
    figures = selectors.open_items_figures(company=CompanyFactory.create(), today=TODAY)
    assert figures["customer_open"] == {"count": 0, "total": Decimal("0.00")}


def test_open_items_search_leaves_out_settled_items_unless_asked_for_all():
    company = CompanyFactory.create()
    CustomerItemFactory.create(
        company=company,
        amount=Decimal("100.00"),
        remaining_amount=Decimal("0.00"),
        status=models.OpenItemStatus.SETTLED,
    )
    unsettled = selectors.open_items_search(company=company)
    everything = selectors.open_items_search(company=company, status="all")
    assert (unsettled.count(), everything.count()) == (0, 1)


def test_open_items_search_finds_a_customer_by_part_of_the_name():
    company = CompanyFactory.create()
    wanted = CustomerItemFactory.create(
        company=company, customer=CustomerFactory.create(company=company, name="Fjordkraft AS")
    )
    CustomerItemFactory.create(
        company=company, customer=CustomerFactory.create(company=company, name="Other")
    )
    assert list(selectors.open_items_search(company=company, q="kraft")) == [wanted]


def test_open_items_search_of_one_kind_leaves_out_the_other():
    company = CompanyFactory.create()
    SupplierItemFactory.create(company=company)
    assert not selectors.open_items_search(company=company, kind=models.OpenItemKind.CUSTOMER).exists()


def test_journal_lines_used_counts_an_overpayment_and_its_credit_item(book):
    item = CustomerItemFactory.create(company=book.company, customer=book.customer, amount=Decimal("1000.00"))
    line = book.receivables_line(book.payment_post(Decimal("1500.00")))
    services.reconciliation_create(open_item=item, journal_line=line, amount=Decimal("1200.00"), now=NOW)

    assert dict(selectors.journal_lines_used(journal_line_ids=[line.pk])) == {line.pk: Decimal("1200.00")}


def test_journal_lines_used_leaves_out_a_line_nothing_has_used(book):
    line = book.receivables_line(book.payment_post(Decimal("100.00")))

    assert not selectors.journal_lines_used(journal_line_ids=[line.pk]).exists()
