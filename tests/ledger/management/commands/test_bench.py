import json

import pytest
from django.core.management import call_command

from ledger import models

pytestmark = pytest.mark.django_db

FIELDS = {"scenario", "size", "seconds", "per_second", "limit_seconds", "ratio_to_limit", "peak_rss_mb"}


@pytest.fixture
def result(tmp_path, capsys) -> tuple[dict, dict]:
    path = tmp_path / "bench" / "ledger.json"
    call_command("bench", "ledger", "--size", "200", "--json", str(path))
    return json.loads(capsys.readouterr().out), json.loads(path.read_text())


def test_bench_writes_the_whole_result_to_its_json_file(result):
    _, written = result

    assert written.keys() >= FIELDS
    assert (written["scenario"], written["size"]) == ("ledger", 200)


def test_bench_reports_the_scenario_size_and_timings(result):
    printed, _ = result

    assert printed.keys() >= FIELDS
    assert (printed["scenario"], printed["size"]) == ("ledger", 200)
    assert all(printed[name] > 0 for name in FIELDS - {"scenario", "size"})


def test_bench_settles_every_item_it_pays(result):
    company = models.Batch.objects.get(source="bench").company

    assert set(models.OpenItem.objects.filter(company=company).values_list("status", flat=True)) == {
        models.OpenItemStatus.SETTLED
    }
