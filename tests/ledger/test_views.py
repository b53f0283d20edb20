import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from ledger import models
from tests.autopay_erp import builders
from tests.company.factories import MembershipFactory
from tests.ledger.factories import CustomerFactory, CustomerItemFactory, SupplierItemFactory

# These flows are also walked on SQLite, the database of `make run` (tests/conftest.py).
pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


@pytest.fixture
def member(client):
    membership = MembershipFactory.create()
    client.force_login(membership.user)
    return client, membership.company


def _listed(response):
    return [item.pk for item in response.context["page"]]


def test_open_items_lists_the_current_companys_items(member):
    client, company = member
    mine = CustomerItemFactory.create(company=company)
    CustomerItemFactory.create()
    assert _listed(client.get(reverse("open-items"))) == [mine.pk]


def test_open_items_filter_by_kind(member):
    client, company = member
    CustomerItemFactory.create(company=company)
    supplier_item = SupplierItemFactory.create(company=company)
    assert _listed(client.get(reverse("open-items"), {"kind": "supplier"})) == [supplier_item.pk]


def test_open_items_hide_settled_items_by_default(member):
    client, company = member
    open_item = CustomerItemFactory.create(company=company)
    CustomerItemFactory.create(company=company, remaining_amount=Decimal("0.00"), status="settled")
    assert _listed(client.get(reverse("open-items"))) == [open_item.pk]


def test_open_items_filter_by_status(member):
    client, company = member
    CustomerItemFactory.create(company=company)
    settled = CustomerItemFactory.create(company=company, remaining_amount=Decimal("0.00"), status="settled")
    assert _listed(client.get(reverse("open-items"), {"status": "settled"})) == [settled.pk]


def test_open_items_search_by_customer_name(member):
    client, company = member
    wanted = CustomerItemFactory.create(
        company=company, customer=CustomerFactory.create(company=company, name="Fjord AS")
    )
    CustomerItemFactory.create(company=company)
    assert _listed(client.get(reverse("open-items"), {"q": "fjord"})) == [wanted.pk]


def test_open_items_search_by_kid(member):
    client, company = member
    wanted = CustomerItemFactory.create(company=company, kid="1234567897")
    CustomerItemFactory.create(company=company, kid="5555555557")
    assert _listed(client.get(reverse("open-items"), {"q": "12345"})) == [wanted.pk]


def test_open_items_are_paginated(member):
    client, company = member
    CustomerItemFactory.create_batch(30, company=company)
    response = client.get(reverse("open-items"), {"page": 2})
    assert len(response.context["page"]) == 5


def test_open_items_htmx_request_gets_only_the_table(member):
    client, company = member
    CustomerItemFactory.create(company=company)
    html = client.get(reverse("open-items"), headers={"HX-Request": "true"}).content.decode()
    assert html.lstrip().startswith("<table")


def test_open_items_full_page_has_the_filter_form(member):
    client, _ = member
    assert 'hx-target="#open-items"' in client.get(reverse("open-items")).content.decode()


@pytest.mark.parametrize(
    ("language", "expected"),
    [("nb", ["Ikke utlignet", "Åpen", "Delvis åpen", "Utlignet", "Alle"]), ("en", ["Not settled", "Open"])],
)
def test_open_items_status_filter_speaks_the_users_language(member, language, expected):
    client, _ = member
    response = client.get(reverse("open-items"), HTTP_ACCEPT_LANGUAGE=language)
    labels = [str(label) for _value, label in response.context["statuses"]]
    assert labels[: len(expected)] == expected


def test_open_items_show_only_the_switched_to_company(member):
    client, company = member
    second = MembershipFactory.create(user=company.memberships.get().user).company
    CustomerItemFactory.create(company=company)
    theirs = CustomerItemFactory.create(company=second)
    client.post(reverse("company-switch"), {"company": second.pk})
    assert _listed(client.get(reverse("open-items"))) == [theirs.pk]


def test_overdue_item_is_marked(member):
    client, company = member
    CustomerItemFactory.create(company=company, due_date=datetime.date(2000, 1, 31))
    assert 'class="overdue"' in client.get(reverse("open-items")).content.decode()


def test_vouchers_list_the_current_companys_vouchers(member):
    client, company = member
    mine = builders.balanced_voucher(company)
    builders.balanced_voucher(MembershipFactory.create().company)
    assert _listed(client.get(reverse("vouchers"))) == [mine.pk]


def test_vouchers_show_their_lines_as_debit_and_credit(member):
    client, company = member
    builders.balanced_voucher(company, amount=Decimal("1234.50"))
    html = client.get(reverse("vouchers")).content.decode()
    assert html.count("1,234.50") == 2


@pytest.mark.parametrize(
    ("source", "language", "shown"),
    [
        ("settlement", "nb", "utbetalinger"),
        ("incoming", "nb", "innbetalinger"),
        ("settlement", "en", "outgoing payments"),
        ("import-2026", "nb", "import-2026"),
    ],
)
def test_a_vouchers_batch_names_what_wrote_it_in_the_users_language(member, source, language, shown):
    client, company = member
    voucher = builders.balanced_voucher(company)
    assert voucher.batch is not None
    models.Batch.objects.filter(pk=voucher.batch.pk).update(source=source)
    html = client.get(reverse("vouchers"), headers={"accept-language": language}).content.decode()
    assert f"· {shown}</span>" in html
