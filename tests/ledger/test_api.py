from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from ledger import models
from tests.autopay_erp import builders
from tests.company.factories import MembershipFactory
from tests.ledger.factories import (
    AccountFactory,
    CustomerFactory,
    CustomerItemFactory,
    SupplierFactory,
    SupplierItemFactory,
    VoucherSeriesFactory,
)

# These flows are also walked on SQLite, the database of `make run` (tests/conftest.py).
pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


@pytest.fixture
def member():
    membership = MembershipFactory.create()
    client = APIClient()
    client.force_authenticate(membership.user)
    return client, membership.company


def _new_item(client, company, **extra):
    customer = CustomerFactory.create(company=company)
    payload = {
        "company": company.pk,
        "kind": "customer",
        "customer": customer.pk,
        "amount": "1500.40",
        **extra,
    }
    return client.post("/api/open-items/", payload, format="json")


def test_open_item_created_through_the_api_has_its_whole_amount_remaining(member):
    client, company = member
    assert _new_item(client, company).json()["remaining_amount"] == "1500.40"


def test_open_item_created_through_the_api_is_open(member):
    client, company = member
    item = models.OpenItem.objects.get(pk=_new_item(client, company).json()["id"])
    assert item.status == models.OpenItemStatus.OPEN


def test_open_item_amount_is_a_decimal_string(member):
    client, company = member
    CustomerItemFactory.create(company=company, amount=Decimal("10.10"), remaining_amount=Decimal("10.10"))
    assert client.get("/api/open-items/").json()["results"][0]["amount"] == "10.10"


def test_open_item_with_a_supplier_for_a_customer_item_is_refused(member):
    client, company = member
    supplier = SupplierFactory.create(company=company)
    assert _new_item(client, company, supplier=supplier.pk).status_code == 400


def test_open_item_of_zero_is_refused(member):
    client, company = member
    assert _new_item(client, company, amount="0.00").status_code == 400


def test_open_item_with_letters_in_the_kid_is_refused(member):
    client, company = member
    assert _new_item(client, company, kid="12A45").status_code == 400


def test_open_item_with_a_wrong_kid_check_digit_is_refused(member):
    client, company = member
    answer = _new_item(client, company, kid="2345674")
    assert answer.status_code == 400
    # An object naming where the refusal belongs, as every other refusal of the API, not a bare list.
    assert "check digit" in answer.json()["non_field_errors"][0]


def test_open_item_with_a_mod11_kid_ending_in_a_dash_is_created(member):
    client, company = member
    assert _new_item(client, company, kid="036536-").status_code == 201


def test_open_item_amount_cannot_be_changed(member):
    client, company = member
    item = CustomerItemFactory.create(company=company)
    client.patch(f"/api/open-items/{item.pk}/", {"amount": "1.00"}, format="json")
    item.refresh_from_db()
    assert item.amount == Decimal("1000.00")


def test_open_item_due_date_can_be_changed(member):
    client, company = member
    item = CustomerItemFactory.create(company=company)
    client.patch(f"/api/open-items/{item.pk}/", {"due_date": "2026-12-24"}, format="json")
    item.refresh_from_db()
    assert str(item.due_date) == "2026-12-24"


def test_open_items_filter_by_kind(member):
    client, company = member
    CustomerItemFactory.create(company=company)
    supplier_item = SupplierItemFactory.create(company=company)
    ids = [row["id"] for row in client.get("/api/open-items/", {"kind": "supplier"}).json()["results"]]
    assert ids == [supplier_item.pk]


def test_open_items_filter_by_status(member):
    client, company = member
    CustomerItemFactory.create(company=company)
    settled = CustomerItemFactory.create(
        company=company, remaining_amount=Decimal("0.00"), status=models.OpenItemStatus.SETTLED
    )
    ids = [row["id"] for row in client.get("/api/open-items/", {"status": "settled"}).json()["results"]]
    assert ids == [settled.pk]


def test_open_items_filter_by_kid(member):
    client, company = member
    CustomerItemFactory.create(company=company, kid="1234567897")
    wanted = CustomerItemFactory.create(company=company, kid="0000123455")
    ids = [row["id"] for row in client.get("/api/open-items/", {"kid": "0000123455"}).json()["results"]]
    assert ids == [wanted.pk]


def test_open_items_filter_by_customer(member):
    client, company = member
    CustomerItemFactory.create(company=company)
    wanted = CustomerItemFactory.create(company=company)
    params = {"customer": wanted.customer_id}
    ids = [row["id"] for row in client.get("/api/open-items/", params).json()["results"]]
    assert ids == [wanted.pk]


def test_voucher_lines_show_account_number_and_signed_amount(member):
    client, company = member
    voucher = builders.balanced_voucher(company, amount=Decimal("99.95"))
    lines = client.get(f"/api/vouchers/{voucher.pk}/").json()["lines"]
    expected = [{"account": line.account.number, "amount": str(line.amount)} for line in voucher.lines.all()]
    assert [{"account": line["account"], "amount": line["amount"]} for line in lines] == expected


def test_voucher_lines_sum_to_zero(member):
    client, company = member
    voucher = builders.balanced_voucher(company, amount=Decimal("99.95"))
    lines = client.get(f"/api/vouchers/{voucher.pk}/").json()["lines"]
    assert sorted(line["amount"] for line in lines) == ["-99.95", "99.95"]


def test_vouchers_cannot_be_written_through_the_api(member):
    client, company = member
    voucher = builders.balanced_voucher(company)
    assert (
        client.patch(f"/api/vouchers/{voucher.pk}/", {"description": "x"}, format="json").status_code == 405
    )


def test_account_created_for_own_company(member):
    client, company = member
    payload = {"company": company.pk, "number": "3000", "name": "Sales", "kind": "income"}
    assert client.post("/api/accounts/", payload, format="json").status_code == 201


def test_account_with_a_number_already_in_the_chart_is_refused(member):
    client, company = member
    AccountFactory.create(company=company, number="3000")
    payload = {"company": company.pk, "number": "3000", "name": "Sales", "kind": "income"}
    assert client.post("/api/accounts/", payload, format="json").status_code == 400


def test_account_can_be_renamed(member):
    client, company = member
    account = AccountFactory.create(company=company, number="3000")
    client.patch(f"/api/accounts/{account.pk}/", {"name": "Salgsinntekt"}, format="json")
    account.refresh_from_db()
    assert account.name == "Salgsinntekt"


def test_account_renumbered_onto_an_existing_number_is_refused(member):
    client, company = member
    AccountFactory.create(company=company, number="3000")
    account = AccountFactory.create(company=company, number="3001")
    response = client.patch(f"/api/accounts/{account.pk}/", {"number": "3000"}, format="json")
    assert response.status_code == 400


def test_second_receivables_control_account_is_refused(member):
    client, company = member
    AccountFactory.create(company=company, number="1500", kind="asset", role="ar_control")
    payload = {"company": company.pk, "number": "1510", "name": "AR 2", "kind": "asset", "role": "ar_control"}
    assert client.post("/api/accounts/", payload, format="json").status_code == 400


def test_supplier_moved_to_another_of_the_users_companies_is_refused(member):
    client, company = member
    supplier = SupplierFactory.create(company=company)
    other = MembershipFactory.create(user=company.memberships.get().user).company
    response = client.patch(f"/api/suppliers/{supplier.pk}/", {"company": other.pk}, format="json")
    assert response.status_code == 400


def test_open_items_ordered_by_a_field_they_are_ordered_by(member):
    client, company = member
    for amount in ("30.00", "10.00", "20.00"):
        SupplierItemFactory.create(company=company, amount=Decimal(amount))
    answer = client.get("/api/open-items/", {"ordering": "-amount"})
    assert answer.status_code == 200
    assert [row["amount"] for row in answer.json()["results"]] == ["30.00", "20.00", "10.00"]


@pytest.mark.parametrize("ordering", ["colour", "-amount,colour", "customer__name"])
def test_ordering_by_a_field_the_list_does_not_order_by_is_a_400_naming_it(member, ordering):
    client, company = member
    SupplierItemFactory.create(company=company)
    answer = client.get("/api/open-items/", {"ordering": ordering})
    assert answer.status_code == 400
    assert list(answer.json()) == ["ordering"]
    assert ordering.split(",")[-1] in answer.json()["ordering"][0]


def test_yes_no_filter_reads_true_and_false(member):
    client, company = member
    active = AccountFactory.create(company=company, is_active=True)
    inactive = AccountFactory.create(company=company, is_active=False)
    ids = {row["id"] for row in client.get("/api/accounts/", {"is_active": "false"}).json()["results"]}
    assert inactive.pk in ids
    assert active.pk not in ids


@pytest.mark.parametrize("value", ["maybe", "ja", "2x"])
def test_yes_no_filter_given_neither_is_a_400_not_every_row(member, value):
    client, company = member
    AccountFactory.create(company=company, is_active=False)
    answer = client.get("/api/accounts/", {"is_active": value})
    assert answer.status_code == 400
    assert list(answer.json()) == ["is_active"]


def test_ordering_with_two_dashes_names_no_field_and_is_refused(member):
    client, _company = member
    assert client.get("/api/open-items/", {"ordering": "--amount"}).status_code == 400


def test_a_row_is_answered_whatever_ordering_is_asked_with_it(member):
    client, company = member
    item = SupplierItemFactory.create(company=company)
    assert client.get(f"/api/open-items/{item.pk}/", {"ordering": "colour"}).status_code == 200


@pytest.mark.parametrize(("value", "listed"), [("", True), ("true", False), ("1", False), ("0", True)])
def test_yes_no_filter_of_accounts_reads_what_the_browsable_form_sends(member, value, listed):
    client, company = member
    inactive = AccountFactory.create(company=company, is_active=False)
    answer = client.get("/api/accounts/", {"is_active": value, "company": "", "kind": ""})
    assert answer.status_code == 200
    assert (inactive.pk in {row["id"] for row in answer.json()["results"]}) is listed


def test_voucher_series_are_listed_for_the_users_companies_only(member):
    client, company = member
    own = VoucherSeriesFactory.create(company=company, code="IN")
    VoucherSeriesFactory.create(code="IN")  # another company's
    rows = client.get("/api/voucher-series/", {"code": "IN"}).json()["results"]
    assert [(row["id"], row["company"], row["code"]) for row in rows] == [(own.pk, company.pk, "IN")]
