"""`manage.py bench settlement` at a small size, against the simulator served by live_server."""

import json

import pytest
from django.core.management import call_command

from ledger import models as ledger_models
from payments import models

pytestmark = pytest.mark.django_db(transaction=True)

FIELDS = {"scenario", "size", "seconds", "per_second", "limit_seconds", "ratio_to_limit", "peak_rss_mb"}
SETUP = {"proposal", "activation", "upload", "approval", "bank_day"}


@pytest.fixture
def result(live_server, monkeypatch, tmp_path, capsys) -> dict:
    monkeypatch.setenv("AUTOPAY_BASE_URL", f"{live_server.url}/autopay")
    path = tmp_path / "settlement.json"
    call_command("bench", "settlement", "--size", "150", "--json", str(path))
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads(path.read_text())
    return printed


def test_the_settlement_bench_reports_the_fields_of_bench_ledger_and_the_setup_rates(result):
    expected = FIELDS | {f"setup_{name}_per_second" for name in SETUP}
    assert (result.keys() >= expected, result["scenario"], result["size"]) == (True, "settlement", 150)


def test_the_settlement_bench_posts_every_line_once_and_settles_every_item(result):
    company = models.PaymentLine.objects.get(end_to_end_id="1-1").company
    lines = models.PaymentLine.objects.filter(company=company)
    items = ledger_models.OpenItem.objects.filter(company=company, invoice_no__regex=r"^[0-9]+$")
    assert (
        set(lines.values_list("status", flat=True)),
        ledger_models.Voucher.objects.filter(company=company, series__code="UTB").count(),
        set(items.values_list("status", flat=True)),
    ) == ({models.LineStatus.POSTED}, 150, {ledger_models.OpenItemStatus.SETTLED})
