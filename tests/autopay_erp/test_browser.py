"""An accountant logs in and filters open items in headless Chromium; htmx swaps the table, not the page."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.company.factories import MembershipFactory
from tests.ledger.factories import CustomerFactory, CustomerItemFactory, SupplierFactory, SupplierItemFactory

# Playwright's sync API runs an event loop in this thread; the test's ORM calls are synchronous set-up only.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "correct horse battery staple"


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs the system Chromium")
def test_filtering_open_items_by_kind_swaps_only_the_table(live_server, transactional_db, tmp_path):
    company = MembershipFactory.create(user__username="kari").company
    CustomerItemFactory.create(
        company=company, customer=CustomerFactory.create(company=company, name="Alta Bygg")
    )
    SupplierItemFactory.create(
        company=company, supplier=SupplierFactory.create(company=company, name="Fjordkraft")
    )

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
        )
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(f"{live_server.url}/login/")
        page.fill("input[name=username]", "kari")
        page.fill("input[name=password]", PASSWORD)
        page.click("button:has-text('Log in')")
        page.click("nav >> text=Open items")
        page.wait_for_selector("#open-items:has-text('Alta Bygg')")
        page.evaluate("window.sameDocument = true")
        page.select_option("select[name=kind]", "supplier")
        page.wait_for_selector("#open-items:not(:has-text('Alta Bygg'))")
        page.screenshot(path=str(tmp_path / "open-items.png"), full_page=True)
        outcome = (
            page.inner_text("#open-items").count("Fjordkraft"),
            page.evaluate("window.sameDocument === true"),
            "kind=supplier" in page.url,
        )
        browser.close()

    assert outcome == (1, True, True)
