"""An accountant uploads an OCR Giro file, watches its import run on a real Celery worker, and allocates the
unmatched payment from the work list, in headless Chromium."""

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from playwright.sync_api import sync_playwright

from factoring import models
from ledger import models as ledger_models
from tests.company.factories import MembershipFactory
from tests.factoring.books import book_create, ocr, pay

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def imports_worker(transactional_db):
    """A Celery worker on the "imports" queue, on the test database and the test broker."""
    database = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        "AUTOPAY_VAR_DIR": str(Path(settings.MEDIA_ROOT).parent),
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "autopay_erp",
            "worker",
            "-Q",
            "imports",
            "--pool=solo",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    yield worker
    worker.terminate()
    worker.wait(timeout=30)


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs the system Chromium")
def test_upload_watch_progress_and_allocate_the_unmatched_payment(
    live_server, imports_worker, tmp_path, settings
):
    book = book_create()
    settings.MEDIA_ROOT = str(tmp_path / "media")
    MembershipFactory.create(user__username="kari", company=book.company)
    item = book.item(1, 1002, "80.00")
    known = [book.item(0, 2000 + n, "10.00") for n in range(50)]
    payments = [pay("10.00", i.kid, n + 1) for n, i in enumerate(known)] + [pay("80.00", "", 999)]
    path = tmp_path / "innbetalinger.txt"
    path.write_bytes(ocr(payments))

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{live_server.url}/login/")
        page.fill("input[name=username]", "kari")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.goto(f"{live_server.url}/incoming/")
        page.set_input_files("#id_file", str(path))
        page.click("form[enctype] button[type=submit]")
        page.wait_for_selector("#import-panel")
        seen_running = page.locator("#import-panel[data-status=queued]").count() == 1
        page.wait_for_selector("#import-summary", timeout=60_000)
        page.goto(f"{live_server.url}/incoming/work-list/")
        row = page.locator("#work-list tbody tr").first
        row.locator("select[name=customer]").select_option(str(item.customer_id))
        row.locator("input[name=invoices]").fill("1002")
        row.locator("button[type=submit]").click()
        page.wait_for_selector("#work-list:not(:has(select[name=customer]))")
        page.screenshot(path=str(tmp_path / "work-list.png"), full_page=True)
        browser.close()

    item.refresh_from_db()
    payment = models.IncomingPayment.objects.get(company=book.company, amount=Decimal("80.00"))
    assert (seen_running, item.status, payment.allocation) == (
        True,
        ledger_models.OpenItemStatus.SETTLED,
        models.AllocationState.DONE,
    )
