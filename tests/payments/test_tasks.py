"""A large selection uploads in a Celery task: a real worker through Redis, against the simulator."""

import datetime
import time

import pytest
from celery.contrib.testing.worker import start_worker
from rest_framework.test import APIClient

from autopay_erp.celery import app
from company import models as company_models
from payments import models
from payments.services import proposal
from tests.payments import factories
from tests.payments.factories import NOW

pytestmark = [pytest.mark.broker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def payments(activated, bank_partner):
    for day in range(3):
        factories.PayableItemFactory.create(company=activated, due_date=datetime.date(2026, 12, 1 + day))
    return proposal.payment_proposal_create(
        company=activated,
        bank_partner=bank_partner,
        due_date_to=datetime.date(2026, 12, 31),
        actor=None,
        now=NOW,
    ).payments


def _run_when_done(api: APIClient, run_id: int) -> dict:
    """The run as the API tells it, once done (or after a minute)."""
    for _ in range(300):
        run = api.get(f"/api/payment-upload-runs/{run_id}/").json()
        if run["status"] == "done":
            break
        time.sleep(0.2)
    return run


def test_large_selection_uploads_in_a_worker_with_progress(payments, accountant, settings):
    settings.PAYMENTS_UPLOAD_IN_BACKGROUND_OVER = 2
    api = APIClient()
    api.force_authenticate(accountant)
    # Tasks earlier tests queued with no worker running would be consumed first.
    app.control.purge()
    with start_worker(app, pool="solo", queues=["default"], perform_ping_check=False, shutdown_timeout=10):
        answer = api.post(
            "/api/payments/upload/",
            {"payments": [p.pk for p in payments]},
            format="json",
            REMOTE_ADDR="192.0.2.9",
        )
        run_id = answer.json()["upload_run"]
        run = _run_when_done(api, run_id)
    statuses = set(
        models.Payment.objects.filter(pk__in=[p.pk for p in payments]).values_list("status", flat=True)
    )
    assert (answer.status_code, run["done"], sorted(run["uploaded"]), statuses) == (
        202,
        3,
        sorted(p.number for p in payments),
        {models.PaymentStatus.TRANSFERRED},
    )
    # Each payment the worker uploaded is in the audit log with the address the upload was asked from.
    # (The audit log is append-only and outlives each test: this test's company only.)
    addresses = company_models.AuditEvent.objects.filter(
        event=company_models.AuditEventKind.PAYMENT_UPLOADED, company_id=payments[0].company_id
    ).values_list("ip", flat=True)
    assert list(addresses) == ["192.0.2.9"] * 3


@pytest.mark.parametrize(
    ("language", "expected"), [("en", "is not a proposal"), ("nb", "er ikke et forslag")]
)
def test_a_run_in_a_worker_tells_its_refusals_in_the_askers_language_and_ends_when_it_ends(
    payments, accountant, settings, language, expected
):
    settings.PAYMENTS_UPLOAD_IN_BACKGROUND_OVER = 2
    api = APIClient()
    api.force_authenticate(accountant)
    app.control.purge()
    with start_worker(app, pool="solo", queues=["default"], perform_ping_check=False, shutdown_timeout=10):
        first = api.post(f"/api/payments/{payments[0].pk}/upload/", {}, format="json")
        answer = api.post(
            "/api/payments/upload/", {"payments": [p.pk for p in payments]}, format="json",
            HTTP_ACCEPT_LANGUAGE=language,
        )  # fmt: skip
        run_id = answer.json()["upload_run"]
        run = _run_when_done(api, run_id)
    assert (first.status_code, answer.status_code, run["status"], len(run["uploaded"])) == (
        200,
        202,
        "done",
        2,
    )
    assert [r["payment"] for r in run["refused"]] == [payments[0].pk]
    assert expected in run["refused"][0]["reason"]
    stored = models.UploadRun.objects.get(pk=run_id)
    # The end is when the last payment was handled, after each payment's own upload.
    uploaded_at = models.PaymentEvent.objects.filter(
        payment__in=payments[1:], kind=models.PaymentEventKind.UPLOADED
    ).values_list("at", flat=True)
    assert stored.finished_at is not None
    # Each payment's upload at its own time, and the run's end after the last: not all at the run's start.
    assert len(set(uploaded_at)) == 2
    assert stored.finished_at > max(uploaded_at) > stored.created_at
