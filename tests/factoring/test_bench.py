"""`manage.py bench incoming` imports a generated OCR Giro file for real and reports as `bench ledger`."""

import json

import pytest
from django.core.management import call_command

from factoring import models

FIELDS = {"scenario", "size", "seconds", "per_second", "limit_seconds", "ratio_to_limit", "peak_rss_mb"}


@pytest.fixture
def result(db, tmp_path, capsys) -> dict:
    path = tmp_path / "incoming.json"
    call_command("bench", "incoming", "--size", "200", "--json", str(path))
    return json.loads(path.read_text())


def test_bench_incoming_reports_the_ledger_benchmarks_fields(result):
    assert (result.keys() >= FIELDS, result["scenario"], result["size"]) == (True, "incoming", 200)


def test_bench_incoming_pays_5_percent_unknown_5_partial_2_over(result):
    assert result["results"] == {"matched": 176, "unmatched": 10, "partial": 10, "over": 4}


def test_bench_incoming_imports_every_payment_through_the_import(result):
    assert models.IncomingPayment.objects.filter(source="file").count() == 200
