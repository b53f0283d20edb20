import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.utils import timezone
from prometheus_client import REGISTRY

from autopay_erp import tasks
from autopay_erp.celery import app
from autopay_erp.ops import metrics
from company.models import Company
from tests.company import factories as company_factories


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
def gauge():
    yield "autopay_test_things"
    metrics.gauge_unregister(name="autopay_test_things")
    metrics.gauge_unregister(name="autopay_test_broken")


def test_a_request_is_counted_by_view_and_status(client):
    before = _sample("autopay_http_requests_total", method="GET", view="login", status="200")
    client.get("/login/")
    assert _sample("autopay_http_requests_total", method="GET", view="login", status="200") == before + 1


@pytest.mark.django_db
def test_database_queries_are_counted(client):
    before = _sample("autopay_db_queries_total", alias="default", outcome="ok")
    company_factories.CompanyFactory.create()
    assert _sample("autopay_db_queries_total", alias="default", outcome="ok") > before


@pytest.mark.django_db
def test_the_metrics_endpoint_exposes_a_registered_domain_gauge(client, gauge):
    metrics.gauge_register(
        name=gauge, documentation="Things.", labels=("company",), collect=lambda: [(("988077917",), 3)]
    )
    text = client.get("/metrics").content.decode()
    assert 'autopay_test_things{company="988077917"} 3.0' in text


@pytest.mark.django_db
def test_a_failing_gauge_is_reported_and_the_others_still_are(client, gauge):
    def broken() -> list[metrics.Sample]:
        raise RuntimeError("no such table")

    metrics.gauge_register(name="autopay_test_broken", documentation="Broken.", collect=broken)
    metrics.gauge_register(name=gauge, documentation="Things.", collect=lambda: [((), 1)])
    text = client.get("/metrics").content.decode()
    assert 'autopay_gauge_errors{gauge="autopay_test_broken"} 1.0' in text
    assert "autopay_test_things 1.0" in text


@pytest.mark.django_db
def test_the_activated_companies_gauge_counts_companies_with_a_key(client):
    company_factories.CompanyFactory.create()
    activated = company_factories.CompanyFactory.create()
    Company.objects.filter(pk=activated.pk).update(
        ap_sig_key_ciphertext="gAAAA-encrypted", autopay_activated_at=timezone.now()
    )
    assert "autopay_companies_activated 1.0" in client.get("/metrics").content.decode()


@pytest.mark.broker
def test_a_finished_task_is_counted_by_name_and_state():
    before = _sample("autopay_celery_tasks_total", task="autopay_erp.ping", state="success")
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        tasks.ping.delay()
        for _ in range(100):
            if _sample("autopay_celery_tasks_total", task="autopay_erp.ping", state="success") > before:
                return
            time.sleep(0.1)
    raise AssertionError("the task was not counted")
