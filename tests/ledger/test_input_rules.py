"""Input is normalised or refused with a clear error, in the API, the admin and the service alike.

Currency codes are ISO 4217, stored in upper case; a due date before the invoice date, a text longer than its
column and an amount with more than two decimals are refused (a 400 or a form error), never rounded and never
a database error. The rules live in ledger/rules.py and ledger/money.py.
"""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from ledger import errors, models, services
from tests.company.factories import MembershipFactory
from tests.ledger.factories import CustomerFactory, CustomerItemFactory

# These flows are also walked on SQLite, the database of `make run` (tests/conftest.py).
pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


@pytest.fixture
def member():
    membership = MembershipFactory.create()
    client = APIClient()
    client.force_authenticate(membership.user)
    return client, membership.company


def _item(company, **changes):
    customer = CustomerFactory.create(company=company)
    return {
        "company": company.pk,
        "kind": "customer",
        "customer": customer.pk,
        "invoice_no": "9001",
        "currency": "NOK",
        "amount": "100.00",
        "invoice_date": "2026-11-01",
        "due_date": "2026-11-30",
        **changes,
    }


def test_api_stores_a_lower_case_currency_in_upper_case(member):
    client, company = member
    response = client.post("/api/open-items/", _item(company, currency="sek"), format="json")
    assert models.OpenItem.objects.get(pk=response.json()["id"]).currency == "SEK"


@pytest.mark.parametrize("currency", ["XYZ", "KR", "N0K", ""])
def test_api_refuses_a_currency_that_is_not_iso_4217(member, currency):
    client, company = member
    response = client.post("/api/open-items/", _item(company, currency=currency), format="json")
    assert (response.status_code, list(response.json())) == (400, ["currency"])


def test_api_refuses_a_due_date_before_the_invoice_date(member):
    client, company = member
    response = client.post("/api/open-items/", _item(company, due_date="2026-10-31"), format="json")
    assert (response.status_code, list(response.json())) == (400, ["due_date"])


def test_api_refuses_moving_the_due_date_before_the_invoice_date(member):
    client, company = member
    item = CustomerItemFactory.create(company=company)
    response = client.patch(f"/api/open-items/{item.pk}/", {"due_date": "2026-10-01"}, format="json")
    assert (response.status_code, list(response.json())) == (400, ["due_date"])


def test_api_refuses_an_amount_with_three_decimals_instead_of_rounding(member):
    client, company = member
    response = client.post("/api/open-items/", _item(company, amount="100.005"), format="json")
    assert (response.status_code, list(response.json())) == (400, ["amount"])


def test_api_refuses_a_name_longer_than_its_column(member):
    client, company = member
    payload = {"company": company.pk, "number": 12345, "name": "x" * 201}
    response = client.post("/api/customers/", payload, format="json")
    assert (response.status_code, list(response.json())) == (400, ["name"])


def test_api_refuses_an_invoice_number_longer_than_its_column(member):
    client, company = member
    response = client.post("/api/open-items/", _item(company, invoice_no="9" * 31), format="json")
    assert (response.status_code, list(response.json())) == (400, ["invoice_no"])


def test_service_refuses_a_due_date_before_the_invoice_date():
    customer = CustomerFactory.create()
    with pytest.raises(errors.LedgerError, match="before the invoice date"):
        services.open_item_create(
            company=customer.company,
            kind="customer",
            customer=customer,
            invoice_no="1",
            kid="",
            currency="NOK",
            amount=Decimal("10.00"),
            invoice_date=datetime.date(2026, 11, 2),
            due_date=datetime.date(2026, 11, 1),
        )


def test_service_refuses_a_currency_that_is_not_iso_4217():
    customer = CustomerFactory.create()
    with pytest.raises(errors.LedgerError, match="ISO 4217"):
        services.open_item_create(
            company=customer.company,
            kind="customer",
            customer=customer,
            invoice_no="1",
            kid="",
            currency="nok",
            amount=Decimal("10.00"),
            invoice_date=None,
            due_date=None,
        )


def _admin_add(admin_client, **changes):
    customer = CustomerFactory.create()
    data = {
        "company": customer.company_id,
        "kind": "customer",
        "customer": customer.pk,
        "invoice_no": "7101",
        "currency": "NOK",
        "amount": "100.00",
        **changes,
    }
    return admin_client.post(reverse("admin:ledger_openitem_add"), data)


def test_admin_stores_a_lower_case_currency_in_upper_case(admin_client):
    _admin_add(admin_client, currency="eur")
    assert models.OpenItem.objects.get(invoice_no="7101").currency == "EUR"


def test_admin_refuses_an_unknown_currency_as_a_form_error(admin_client):
    response = _admin_add(admin_client, currency="ABC")
    assert "ISO 4217" in response.context["adminform"].form.errors["currency"][0]


def test_admin_refuses_a_due_date_before_the_invoice_date_as_a_form_error(admin_client):
    response = _admin_add(admin_client, invoice_date="2026-11-02", due_date="2026-11-01")
    assert "before the invoice date" in response.context["adminform"].form.errors["due_date"][0]


def test_admin_refuses_an_amount_with_three_decimals(admin_client):
    response = _admin_add(admin_client, amount="1.005")
    assert "amount" in response.context["adminform"].form.errors
