"""An approver logs in to the simulator in headless Chromium and approves a payment with a TOTP code."""

import os
from pathlib import Path

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import sync_playwright

from autopay_sim import models
from tests.autopay_sim import factories

# Playwright's sync API runs an asyncio event loop in this thread, and Django then refuses ORM calls from it
# ("you cannot call this from an async context"). The test's ORM calls are plain synchronous code between
# browser steps, so the guard is switched off for this module.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "correct horse battery staple"


def _totp(device) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs the system Chromium")
def test_approver_approves_a_payment_with_a_totp_code(live_server, transactional_db, tmp_path):
    agreement = factories.BankAgreementFactory.create(two_factor_level=models.TwoFactorLevel.APPROVAL)
    payment = factories.PaymentFactory.create(agreement=agreement, payment_id="PAY-4711")
    factories.PaymentLineFactory.create_batch(2, payment=payment)
    membership = factories.SimMembershipFactory.create(company=agreement.company, user__username="kari")
    device = factories.TOTPDeviceFactory.create(user=membership.user)

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
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(f"{live_server.url}/autopay/")
        page.fill("input[name=username]", "kari")
        page.fill("input[name=password]", PASSWORD)
        page.click("button:has-text('Log in')")
        page.screenshot(path=str(tmp_path / "list.png"), full_page=True)
        page.click("text=PAY-4711")
        page.fill("input[name=otp_code]", _totp(device))
        page.click("button:has-text('Approve')")
        page.wait_for_selector("#payment-status:has-text('Approved')")
        page.click("summary:has-text('Show events')")
        page.screenshot(path=str(tmp_path / "approved.png"), full_page=True)
        shown = page.inner_text("#payment-status")
        events = page.inner_text(".ap-events")
        browser.close()

    payment.refresh_from_db()
    assert (shown, payment.status) == ("Approved", models.AutoPayStatus.APPROVED)
    # The events shown name the approval, by whom, with two-factor.
    assert ("Approval" in events, "kari" in events, "with two-factor" in events) == (True, True, True)
