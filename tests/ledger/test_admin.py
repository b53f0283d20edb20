import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from ledger import models
from tests.autopay_erp import builders
from tests.company.factories import CompanyFactory, MembershipFactory, UserFactory
from tests.ledger.factories import (
    AccountFactory,
    CustomerFactory,
    CustomerItemFactory,
    SupplierFactory,
    SupplierItemFactory,
    VoucherSeriesFactory,
)

pytestmark = pytest.mark.django_db

LEDGER_MODELS = [
    "account",
    "supplier",
    "customer",
    "openitem",
    "voucherseries",
    "batch",
    "voucher",
    "journalline",
    "reconciliation",
    "periodlock",
]


def _one_of_each(company):
    """Create one row of every ledger model for `company`; return them by admin model name."""
    recon = builders.reconciliation(company)
    voucher = recon.journal_line.voucher
    return {
        "account": AccountFactory.create(company=company),
        "supplier": SupplierFactory.create(company=company),
        "customer": CustomerFactory.create(company=company),
        "openitem": SupplierItemFactory.create(company=company),
        "voucherseries": VoucherSeriesFactory.create(company=company),
        "batch": voucher.batch,
        "voucher": voucher,
        "journalline": recon.journal_line,
        "reconciliation": recon,
        "periodlock": models.PeriodLock.objects.create(company=company, locked_through="2026-01-31"),
    }


@pytest.fixture
def staff_client(client):
    user = UserFactory.create(is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label__in=["company", "ledger"]))
    client.force_login(user)
    client.user = user
    return client


@pytest.mark.parametrize("model", LEDGER_MODELS)
def test_ledger_admin_changelist_loads_with_search_and_filters(admin_client, model):
    _one_of_each(CompanyFactory.create())
    assert admin_client.get(reverse(f"admin:ledger_{model}_changelist"), {"q": "1"}).status_code == 200


@pytest.mark.parametrize("model", LEDGER_MODELS)
def test_ledger_admin_change_page_loads(admin_client, model):
    obj = _one_of_each(CompanyFactory.create())[model]
    assert admin_client.get(reverse(f"admin:ledger_{model}_change", args=[obj.pk])).status_code == 200


@pytest.mark.parametrize("model", ["voucher", "journalline", "reconciliation"])
def test_posted_records_cannot_be_added_in_admin(admin_client, model):
    assert admin_client.get(reverse(f"admin:ledger_{model}_add")).status_code == 403


@pytest.mark.parametrize("model", ["voucher", "journalline", "reconciliation"])
def test_posted_records_cannot_be_deleted_in_admin(admin_client, model):
    obj = _one_of_each(CompanyFactory.create())[model]
    assert admin_client.get(reverse(f"admin:ledger_{model}_delete", args=[obj.pk])).status_code == 403


def test_voucher_change_page_shows_its_lines(admin_client):
    voucher = builders.balanced_voucher(CompanyFactory.create())
    html = admin_client.get(reverse("admin:ledger_voucher_change", args=[voucher.pk])).content.decode()
    assert "-250.00" in html


@pytest.mark.parametrize("model", LEDGER_MODELS)
def test_staff_changelist_hides_other_companies_rows(staff_client, model):
    own = MembershipFactory.create(user=staff_client.user).company
    _one_of_each(own)
    _one_of_each(CompanyFactory.create())
    response = staff_client.get(reverse(f"admin:ledger_{model}_changelist"))
    assert {obj.company_id for obj in response.context["cl"].queryset} == {own.pk}


def test_staff_can_pick_only_own_customers_for_an_open_item(staff_client):
    own = MembershipFactory.create(user=staff_client.user).company
    mine = CustomerFactory.create(company=own)
    CustomerFactory.create()
    response = staff_client.get(reverse("admin:ledger_openitem_add"))
    assert list(response.context["adminform"].form.fields["customer"].queryset) == [mine]


def test_open_item_added_in_admin_starts_open_with_its_whole_amount(admin_client):
    customer = CustomerFactory.create()
    admin_client.post(
        reverse("admin:ledger_openitem_add"),
        {
            "company": customer.company_id,
            "kind": "customer",
            "customer": customer.pk,
            "invoice_no": "7001",
            "currency": "NOK",
            "amount": "1234.50",
        },
    )
    item = models.OpenItem.objects.get(invoice_no="7001")
    assert (item.remaining_amount, item.status) == (item.amount, models.OpenItemStatus.OPEN)


def test_open_item_for_another_companys_customer_is_a_form_error_in_admin(admin_client):
    customer = CustomerFactory.create()
    other_company = CustomerFactory.create().company
    response = admin_client.post(
        reverse("admin:ledger_openitem_add"),
        {
            "company": other_company.pk,
            "kind": "customer",
            "customer": customer.pk,
            "invoice_no": "7002",
            "currency": "NOK",
            "amount": "100.00",
        },
    )
    assert response.status_code == 200
    assert "is not one of this company" in response.content.decode()
    assert not models.OpenItem.objects.filter(invoice_no="7002").exists()


def test_staff_cannot_open_another_companys_item(staff_client):
    MembershipFactory.create(user=staff_client.user)
    other = CustomerItemFactory.create()
    response = staff_client.get(reverse("admin:ledger_openitem_change", args=[other.pk]))
    assert response.status_code == 302


def test_voucher_series_next_number_is_not_editable_when_adding(admin_client):
    response = admin_client.get(reverse("admin:ledger_voucherseries_add"))
    assert "next_number" not in response.context["adminform"].form.fields


def test_voucher_series_next_number_is_not_editable_when_changing(admin_client):
    series = VoucherSeriesFactory.create()
    response = admin_client.get(reverse("admin:ledger_voucherseries_change", args=[series.pk]))
    assert "next_number" not in response.context["adminform"].form.fields


def test_voucher_series_company_is_not_editable_when_changing(admin_client):
    series = VoucherSeriesFactory.create()
    response = admin_client.get(reverse("admin:ledger_voucherseries_change", args=[series.pk]))
    assert "company" not in response.context["adminform"].form.fields


def test_voucher_series_company_is_chosen_when_adding(admin_client):
    response = admin_client.get(reverse("admin:ledger_voucherseries_add"))
    assert "company" in response.context["adminform"].form.fields


def test_posting_a_changed_next_number_in_admin_leaves_the_series_numbering_alone(admin_client):
    series = VoucherSeriesFactory.create(next_number=42)
    admin_client.post(
        reverse("admin:ledger_voucherseries_change", args=[series.pk]),
        {"company": series.company_id, "code": series.code, "name": "Renamed", "next_number": "1"},
    )
    series.refresh_from_db()
    assert (series.name, series.next_number) == ("Renamed", 42)
