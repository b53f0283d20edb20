"""Every page under the Content-Security-Policy in headless Chromium: no violation reported, and what used to
need inline script (the company switcher, htmx, Swagger UI) still works."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from company import models as company_models
from payments import models as payment_models
from tests.autopay_sim import factories as sim_factories
from tests.company import factories
from tests.ledger.factories import CustomerFactory, CustomerItemFactory, SupplierFactory, SupplierItemFactory
from tests.payments import factories as payment_factories

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "correct horse battery staple"

# Registered before any page script runs (Playwright injects it outside the page's CSP).
LISTEN_FOR_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + e.sourceFile);
});
"""


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs the system Chromium")
def test_no_page_reports_a_policy_violation(live_server, transactional_db, tmp_path):
    user = factories.UserFactory.create(username="kari", is_staff=True, is_superuser=True)
    first = factories.CompanyFactory.create(name="Alpha AS")
    second = factories.CompanyFactory.create(name="Beta AS")
    for company in (first, second):
        factories.MembershipFactory.create(user=user, company=company, role=company_models.Role.ADMINISTRATOR)
    CustomerItemFactory.create(
        company=first, customer=CustomerFactory.create(company=first, name="Alta Bygg")
    )
    SupplierItemFactory.create(
        company=first, supplier=SupplierFactory.create(company=first, name="Fjordkraft")
    )
    proposal = payment_factories.PaymentFactory.create(
        company=first, bank_partner=factories.BankPartnerFactory.create(company=first)
    )
    agreement = sim_factories.BankAgreementFactory.create()
    sim_factories.PaymentFactory.create(agreement=agreement, payment_id="PAY-4711")
    sim_factories.SimMembershipFactory.create(company=agreement.company, user=user)

    violations: dict[str, list[str]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
        )
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.add_init_script(LISTEN_FOR_VIOLATIONS)
        console: list[str] = []
        page.on(
            "console",
            lambda message: (
                console.append(message.text)
                if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text
                else None
            ),
        )

        def visit(path: str, ready: str = "main, body") -> None:
            response = page.goto(f"{live_server.url}{path}")
            if response is None or response.status != 200:
                violations[path] = [f"status {response.status if response else None}"]
            page.wait_for_selector(ready)
            page.wait_for_timeout(150)  # violations are reported asynchronously
            found = page.evaluate("window.__cspViolations")
            if found:
                violations[path] = found

        visit("/login/")
        page.fill("input[name=username]", "kari")
        page.fill("input[name=password]", PASSWORD)
        page.click("button:has-text('Log in')")
        visit("/")
        # The pages name their icon, so that the browser does not ask for a /favicon.ico there is none of.
        icon = page.get_attribute("link[rel=icon]", "href")
        icon_served = icon is not None and page.request.get(f"{live_server.url}{icon}").status == 200
        # The switcher submits on change from static/js/app.js, not from an inline handler.
        page.select_option("#company-switch", str(second.pk))
        page.wait_for_selector(f"#company-switch option[value='{second.pk}'][selected]", state="attached")
        switched = page.eval_on_selector("#company-switch", "s => s.value") == str(second.pk)
        page.select_option("#company-switch", str(first.pk))
        page.wait_for_selector(f"#company-switch option[value='{first.pk}'][selected]", state="attached")
        visit("/open-items/", "#open-items")
        page.select_option("select[name=kind]", "supplier")  # htmx swaps the table
        page.wait_for_selector("#open-items:has-text('Fjordkraft'):not(:has-text('Alta Bygg'))")
        htmx_swapped = "kind=supplier" in page.url
        visit("/vouchers/")
        # "Delete payment" asks first (from static/js/app.js, not an inline handler): dismissed, nothing goes.
        visit(f"/payments/{proposal.pk}/", "button.danger")
        asked: list[str] = []

        def answer(dialog, accept: bool) -> None:
            asked.append(dialog.message)
            dialog.accept() if accept else dialog.dismiss()

        page.once("dialog", lambda dialog: answer(dialog, False))
        page.click("button.danger")
        page.wait_for_timeout(300)
        kept = payment_models.Payment.objects.filter(pk=proposal.pk).exists()
        page.once("dialog", lambda dialog: answer(dialog, True))
        page.click("button.danger")
        page.wait_for_url(f"{live_server.url}/payments/")
        deleted = not payment_models.Payment.objects.filter(pk=proposal.pk).exists()
        visit("/account/two-factor/", "[data-testid=two-factor-qr] svg")
        visit(f"/companies/{first.pk}/audit/", "[data-testid=audit-log]")
        visit(f"/companies/{first.pk}/autopay/")
        visit("/api/docs/", ".swagger-ui .info")
        docs_rendered = page.locator(".swagger-ui .opblock").count() > 0
        visit("/admin/")
        visit(f"/admin/company/company/{first.pk}/change/")
        visit("/admin/company/auditevent/")
        visit("/admin/ledger/openitem/")
        visit("/autopay/", "main")
        sim_icon = page.get_attribute("link[rel=icon]", "href")
        icon_served = icon_served and sim_icon is not None and sim_icon != icon
        icon_served = icon_served and page.request.get(f"{live_server.url}{sim_icon}").status == 200
        page.click("text=PAY-4711")
        page.wait_for_selector("#payment-status")
        page.wait_for_timeout(150)
        if page.evaluate("window.__cspViolations"):
            violations["sim payment"] = page.evaluate("window.__cspViolations")
        visit("/autopay/approval/", "main")
        page.screenshot(path=str(tmp_path / "last.png"), full_page=True)
        browser.close()

    assert (violations, console, switched, htmx_swapped, docs_rendered) == ({}, [], True, True, True)
    assert (asked, kept, deleted, icon_served) == (["Delete this payment?"] * 2, True, True, True)
