"""The outgoing flow in headless Chromium: proposal and upload in the ERP, approval and the bank day in the
simulator's pages, then the poll; the payment ends Posted and the supplier's item is closed."""

import io
import os
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import sync_playwright

from company import activation
from company import models as company_models
from ledger import models as ledger_models
from payments import models
from tests.company import factories as company_factories
from tests.payments import factories

# Playwright's sync API runs an event loop in this thread; the test's ORM calls between browser steps are
# plain synchronous code (as in tests/autopay_sim/test_browser.py).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "correct horse battery staple"


def _activated_company(*, username: str) -> tuple[company_models.Company, ledger_models.OpenItem]:
    partner = company_factories.BankPartnerFactory.create(
        company__name="Nordlys Handel AS", gl_account_no="1920"
    )
    company = partner.company
    ledger_models.Account.objects.create(
        company=company,
        number="2400",
        name="Leverandørgjeld",
        kind=ledger_models.AccountKind.LIABILITY,
        role=ledger_models.AccountRole.AP_CONTROL,
    )
    ledger_models.Account.objects.create(
        company=company, number="1920", name="Bank", kind=ledger_models.AccountKind.ASSET
    )
    item = factories.PayableItemFactory.create(
        company=company, amount=Decimal("32071.33"), kid="0044555258", due_date=timezone.localdate()
    )
    user = company_factories.UserFactory.create(username=username)
    for role in (company_models.Role.ACCOUNTANT, company_models.Role.APPROVER):
        company_factories.MembershipFactory.create(user=user, company=company, role=role)
    out = io.StringIO()
    call_command(
        "autopay_sim_company",
        *("--org-no", company.org_no, "--name", company.name, "--account", partner.bank_account),
        *("--two-factor", "none", "--two-factor-required", "no"),
        stdout=out,
    )
    code = out.getvalue().strip().removeprefix("activation_code: ")
    activation.company_autopay_activate(company=company, activation_code=code, now=timezone.now())
    for sim_role in ("autopay_approver", "autopay_administrator"):
        call_command(
            "autopay_sim_member",
            "--org-no",
            company.org_no,
            "--user",
            username,
            "--role",
            sim_role,
            stdout=out,
        )
    return company, item


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs the system Chromium")
def test_proposal_upload_approval_bank_day_and_poll_end_posted(
    live_server, transactional_db, settings, tmp_path
):
    settings.AUTOPAY_BASE_URL = f"{live_server.url}/autopay"
    company, item = _activated_company(username="kari")

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-dev-shm-usage",
            ],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="en-GB")
        page.goto(f"{live_server.url}/login/")
        page.fill("input[name=username]", "kari")
        page.fill("input[name=password]", PASSWORD)
        page.click("main form[action='/login/'] button[type=submit]")
        page.click("nav >> a[href='/payments/']")
        page.click("a[href='/payments/propose/']")
        page.select_option("#id_bank_partner", str(company.bank_partners.get().pk))
        page.fill("#id_due_date_to", timezone.localdate().isoformat())
        page.click("button[name=preview]")
        page.wait_for_selector("#preview table.preview-payment")
        page.screenshot(path=str(tmp_path / "preview.png"), full_page=True)
        page.click("button[name=create]")
        payment = models.Payment.objects.get(company=company)
        page.click(f"#payments a[href='/payments/{payment.pk}/']")
        page.click("#upload")
        page.wait_for_selector("#payment-reference:not(:has-text('—'))")
        payment.refresh_from_db()

        page.goto(f"{live_server.url}/autopay/")
        if page.locator("input[name=password]").count():
            page.fill("input[name=username]", "kari")
            page.fill("input[name=password]", PASSWORD)
            page.click("form[action*='login'] button[type=submit]")
        page.click(f"a[href='/autopay/payments/{payment.autopay_reference}/']")
        page.click("button:has-text('Approve')")
        page.wait_for_selector("#payment-status:has-text('Approved')")
        page.goto(f"{live_server.url}/autopay/")
        page.click("button:has-text('Run bank day')")
        page.wait_for_load_state()
        page.screenshot(path=str(tmp_path / "bank-day.png"), full_page=True)

        call_command("poll_autopay", "--company", company.org_no, stdout=io.StringIO())

        page.goto(f"{live_server.url}/payments/{payment.pk}/")
        shown = page.inner_text("#lines")
        page.screenshot(path=str(tmp_path / "posted.png"), full_page=True)
        browser.close()

    item.refresh_from_db()
    line = models.PaymentLine.objects.get(payment=payment)
    assert ("6 Posted" in shown, line.status, item.status, item.remaining_amount) == (
        True,
        models.LineStatus.POSTED,
        ledger_models.OpenItemStatus.SETTLED,
        Decimal("0.00"),
    )
