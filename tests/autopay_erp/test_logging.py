import json
import logging
from datetime import UTC, datetime

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings

from autopay_erp.celery import app
from autopay_erp.ops import logs


def _formatted(message: str, **extra: object) -> dict[str, object]:
    record = logging.LogRecord("autopay_erp.test", logging.INFO, __file__, 1, message, None, None)
    for key, value in extra.items():
        setattr(record, key, value)
    logs.RequestIdFilter().filter(record)
    formatter = logs.JsonLogFormatter("%(levelname)s %(name)s %(message)s %(request_id)s")
    return json.loads(formatter.format(record))


def test_a_log_line_is_json_with_a_utc_iso_timestamp():
    line = _formatted("hello")
    stamp = datetime.fromisoformat(str(line["timestamp"]))
    assert (line["message"], line["level"], stamp.utcoffset()) == ("hello", "INFO", UTC.utcoffset(None))


def test_extra_fields_named_like_a_secret_are_never_written():
    line = _formatted("activated", signing_key="c2VjcmV0", password="hunter2", org_no="988077917")
    assert (line["signing_key"], line["password"], line["org_no"]) == (
        "[redacted]",
        "[redacted]",
        "988077917",
    )


def test_credentials_inside_a_message_are_scrubbed():
    line = _formatted("cannot reach postgres://autopay:s3cret@db:5432/autopay with token=abcdef123456")
    assert "s3cret" not in str(line["message"])
    assert "abcdef123456" not in str(line["message"])


def test_a_request_keeps_the_proxys_request_id(client):
    response = client.get("/login/", HTTP_X_REQUEST_ID="5f0c2a1e-3b7d-4c55-9a2e-0123456789ab")
    assert response["X-Request-ID"] == "5f0c2a1e-3b7d-4c55-9a2e-0123456789ab"


def test_a_malformed_request_id_is_replaced(client):
    response = client.get("/login/", HTTP_X_REQUEST_ID="not a valid id\x00")
    assert len(response["X-Request-ID"]) == 32


def test_each_request_is_one_log_line_with_its_id_and_status(client, caplog):
    with caplog.at_level(logging.INFO, logger="autopay_erp.request"):
        client.get("/login/", HTTP_X_REQUEST_ID="req-0123456789")
    [record] = [r for r in caplog.records if r.name == "autopay_erp.request"]
    assert (record.request_id, record.status, record.view) == ("req-0123456789", 200, "login")


@app.task(name="tests.logging.request_id_echo", shared=False)
def request_id_echo() -> str:
    return logs.request_id_var.get()


@pytest.fixture
def redis_result_backend():
    previous = app.conf.result_backend
    # The app caches its result backend per thread once a task was queued: drop it, before and after, so
    # that this test gets the Redis one and later tests the configured one, whatever ran before.
    vars(app._local).pop("backend", None)
    app.conf.result_backend = settings.CELERY_BROKER_URL.rsplit("/", 1)[0] + "/14"
    yield
    app.conf.result_backend = previous
    vars(app._local).pop("backend", None)


@pytest.mark.broker
def test_a_task_queued_during_a_request_runs_with_its_request_id(redis_result_backend):
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        token = logs.request_id_var.set("req-queued-0001")
        try:
            result = request_id_echo.delay()
        finally:
            logs.request_id_var.reset(token)
        assert result.get(timeout=20) == "req-queued-0001"
