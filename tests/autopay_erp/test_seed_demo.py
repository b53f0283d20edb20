import datetime
import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Sum
from stdnum import luhn
from stdnum.no import kontonr

from autopay_erp.management.commands import seed_demo
from autopay_erp.settings import base as settings_module
from company import models as company_models
from company import validators
from ledger import models as ledger_models

# These flows are also walked on SQLite, the database of `make run` (tests/conftest.py).
pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

TODAY = "2026-11-21"
MODELS = [
    company_models.Company,
    company_models.BankPartner,
    company_models.Membership,
    ledger_models.Account,
    ledger_models.VoucherSeries,
    ledger_models.Supplier,
    ledger_models.Customer,
    ledger_models.OpenItem,
    ledger_models.Voucher,
    ledger_models.JournalLine,
]


def _seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", "--today", TODAY, stdout=out)
    return out.getvalue()


def _counts() -> dict[str, int]:
    counts = {model.__name__: model._default_manager.count() for model in MODELS}
    counts["User"] = get_user_model()._default_manager.count()
    return counts


def _is_kid_mod10(kid: str) -> bool:
    return luhn.is_valid(kid)


def _is_kid_mod11(kid: str) -> bool:
    return validators.mod11_check_digit(kid[:-1]) == kid[-1]


@pytest.fixture(autouse=True)
def debug_on(settings):
    """The demo is seeded on a developer's machine, where DEBUG is on (settings.local)."""
    settings.DEBUG = True


@pytest.fixture
def company():
    _seed()
    return company_models.Company.objects.get(org_no="988077917")


def test_running_twice_creates_nothing_more():
    _seed()
    first = _counts()
    _seed()
    assert _counts() == first


def test_second_run_reports_nothing_created():
    _seed()
    assert set(re.findall(r"(\d+) created", _seed())) == {"0"}


def test_company_is_nordlys_handel(company):
    assert company.name == "Nordlys Handel AS"


@pytest.mark.parametrize(
    ("number", "role"),
    [("1500", "ar_control"), ("2400", "ap_control"), ("1920", "bank"), ("2990", "suspense")],
)
def test_chart_has_the_control_accounts(company, number, role):
    assert company.accounts.get(number=number).role == role


def test_chart_has_income_and_expense_accounts(company):
    kinds = set(company.accounts.values_list("kind", flat=True))
    assert {"income", "expense"} <= kinds


def test_there_are_at_least_eight_suppliers(company):
    assert company.suppliers.count() >= 8


def test_suppliers_have_valid_norwegian_bank_accounts(company):
    accounts = list(company.suppliers.values_list("bank_account", flat=True))
    assert all(kontonr.is_valid(account) for account in accounts)


def test_there_are_at_least_eight_customers(company):
    assert company.customers.count() >= 8


def test_there_are_at_least_twenty_open_supplier_items(company):
    assert company.open_items.filter(kind="supplier", status="open").count() >= 20


def test_some_supplier_items_carry_a_valid_kid(company):
    kids = list(company.open_items.filter(kind="supplier").exclude(kid="").values_list("kid", flat=True))
    assert kids
    assert all(_is_kid_mod10(kid) for kid in kids)


def test_there_are_at_least_twenty_open_customer_items(company):
    assert company.open_items.filter(kind="customer", status="open").count() >= 20


def test_every_customer_item_has_a_valid_kid(company):
    kids = list(company.open_items.filter(kind="customer").values_list("kid", flat=True))
    assert all(_is_kid_mod10(kid) or _is_kid_mod11(kid) for kid in kids)


def test_customer_kids_mix_mod10_and_mod11(company):
    kids = list(company.open_items.filter(kind="customer").values_list("kid", flat=True))
    only_mod11 = [kid for kid in kids if _is_kid_mod11(kid) and not _is_kid_mod10(kid)]
    only_mod10 = [kid for kid in kids if _is_kid_mod10(kid) and not _is_kid_mod11(kid)]
    assert only_mod10
    assert only_mod11


def test_due_dates_lie_around_the_given_today(company):
    today = datetime.date.fromisoformat(TODAY)
    dues = list(company.open_items.values_list("due_date", flat=True))
    assert min(dues) < today < max(dues)


def test_bank_partner_is_dnb_on_autopay_posting_to_1920(company):
    partner = company.bank_partners.get()
    assert (partner.name, partner.ebf_system, partner.gl_account_no) == ("DNB", 95, "1920")


def test_bank_partner_account_is_valid(company):
    assert kontonr.is_valid(company.bank_partners.get().bank_account)


def test_demo_user_logs_in_with_the_demo_password(company, client):
    assert client.login(username="demo", password="demo1234")


def test_demo_user_is_accountant_and_approver(company):
    roles = set(company.memberships.filter(user__username="demo").values_list("role", flat=True))
    assert roles == {company_models.Role.ACCOUNTANT, company_models.Role.APPROVER}


def test_demo_user_is_neither_superuser_nor_staff(company):
    user = get_user_model().objects.get(username="demo")
    assert (user.is_superuser, user.is_staff) == (False, False)


def test_a_separate_administrator_logs_in_with_the_printed_password(company, client):
    assert client.login(username=seed_demo.ADMIN_USERNAME, password=seed_demo.ADMIN_PASSWORD)


def test_the_administrator_is_a_superuser(company):
    assert get_user_model().objects.get(username=seed_demo.ADMIN_USERNAME).is_superuser


def test_seed_demo_prints_the_administrators_login():
    assert f"{seed_demo.ADMIN_USERNAME} / {seed_demo.ADMIN_PASSWORD}" in _seed()


def test_make_run_prints_the_administrators_login():
    script = (settings_module.BASE_DIR / "scripts" / "run").read_text()
    assert f"admin/ as {seed_demo.ADMIN_USERNAME} / {seed_demo.ADMIN_PASSWORD}" in script


def test_reseeding_demotes_a_demo_user_that_was_a_superuser(company):
    get_user_model().objects.filter(username="demo").update(is_superuser=True, is_staff=True)
    _seed()
    assert not get_user_model().objects.get(username="demo").is_superuser


def test_receivables_control_account_matches_the_customer_items(company):
    booked = company.journal_lines.filter(account__number="1500").aggregate(total=Sum("amount"))["total"]
    items = company.open_items.filter(kind="customer").aggregate(total=Sum("remaining_amount"))["total"]
    assert booked == items


def test_seeding_with_debug_off_is_refused(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        _seed()


def test_seeding_refused_with_debug_off_creates_no_demo_user(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        _seed()
    assert not get_user_model()._default_manager.filter(username="demo").exists()


def test_seeding_with_debug_off_and_force_creates_the_demo_company(settings):
    settings.DEBUG = False
    call_command("seed_demo", "--today", TODAY, "--force", stdout=io.StringIO())
    assert company_models.Company.objects.filter(org_no="988077917").exists()


def test_seeded_open_items_start_open_with_their_whole_amount(company):
    items = ledger_models.OpenItem.objects.filter(company=company)
    assert all(
        (item.remaining_amount, item.status) == (item.amount, ledger_models.OpenItemStatus.OPEN)
        for item in items
    )


def test_demo_has_a_payment_blocked_supplier_item(company):
    assert (
        company.open_items.filter(kind="supplier", payment_blocked=True)
        .exclude(payment_block_reason="")
        .exists()
    )


def test_demo_has_a_supplier_credit_note(company):
    assert company.open_items.filter(kind="supplier", amount__lt=0).exists()


def test_the_opening_voucher_is_written_in_norwegian_once(company):
    [opening] = ledger_models.Voucher.objects.filter(company=company)
    texts = sorted(opening.lines.values_list("description", flat=True))
    assert (opening.description, texts) == (
        "Inngående balanse for åpne poster (demodata)",
        ["Egenkapital", "Kundefordringer", "Leverandørgjeld"],
    )


def test_a_demo_seeded_with_the_english_opening_text_gets_no_second_opening(monkeypatch):
    monkeypatch.setattr(seed_demo, "OPENING_DESCRIPTION", seed_demo.OPENING_DESCRIPTIONS_BEFORE[0])
    _seed()
    monkeypatch.undo()
    _seed()
    vouchers = ledger_models.Voucher.objects.filter(company__org_no="988077917")
    assert list(vouchers.values_list("description", flat=True)) == list(seed_demo.OPENING_DESCRIPTIONS_BEFORE)
