"""Upload to AutoPay, against the simulator served by this project over HTTP (live_server)."""

import datetime
import hashlib

import httpx
import pytest

from autopay_sim import models as sim_models
from company import autopay
from payments import errors, models
from payments.services import proposal, upload
from tests.payments import factories
from tests.payments.factories import NOW

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.sqlite]


@pytest.fixture
def payment(activated, bank_partner):
    factories.PayableItemFactory.create(company=activated, kid="0044555258")
    factories.PayableItemFactory.create(company=activated, kid="")
    return proposal.payment_proposal_create(
        company=activated,
        bank_partner=bank_partner,
        due_date_to=datetime.date(2026, 12, 31),
        actor=None,
        now=NOW,
    ).payments[0]


def at_autopay(payment):
    return sim_models.Payment.objects.filter(
        company__org_no=payment.company.org_no, payment_id=str(payment.number)
    )


def test_upload_moves_the_payment_and_its_lines_to_transferred(payment, accountant):
    uploaded = upload.payment_upload(payment=payment, actor=accountant, now=NOW)
    assert (uploaded.status, sorted(set(uploaded.lines.values_list("status", flat=True)))) == (
        models.PaymentStatus.TRANSFERRED,
        [models.LineStatus.TRANSFERRED],
    )


def test_upload_records_autopay_reference_who_and_when(payment, accountant):
    uploaded = upload.payment_upload(payment=payment, actor=accountant, now=NOW)
    assert (uploaded.autopay_reference, uploaded.transferred_by, uploaded.transferred_at) == (
        at_autopay(payment).get().reference,
        accountant,
        NOW,
    )


def test_stored_document_is_what_autopay_received(payment, accountant):
    uploaded = upload.payment_upload(payment=payment, actor=accountant, now=NOW)
    assert (
        hashlib.sha256(uploaded.document.encode()).hexdigest(),
        at_autopay(payment).get().document_sha256,
    ) == (
        uploaded.document_sha256,
        uploaded.document_sha256,
    )


def test_upload_writes_started_and_uploaded_events(payment, accountant):
    upload.payment_upload(payment=payment, actor=accountant, now=NOW)
    assert list(payment.events.values_list("kind", flat=True)) == [
        models.PaymentEventKind.PROPOSED,
        models.PaymentEventKind.UPLOAD_STARTED,
        models.PaymentEventKind.UPLOADED,
    ]


def test_second_upload_is_refused_as_not_a_proposal_and_sends_nothing(payment, accountant):
    upload.payment_upload(payment=payment, actor=accountant, now=NOW)
    sim_models.Payment.objects.all().delete()
    with pytest.raises(errors.PaymentNotProposal):
        upload.payment_upload(payment=payment, actor=accountant, now=NOW)
    assert not at_autopay(payment).exists()


class ForwardThenTimeOut(httpx.BaseTransport):
    """Forward the request to AutoPay, then lose the answer as a read time-out (the first time only)."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.lost = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        response.read()
        if self.lost == 0:
            self.lost += 1
            raise httpx.ReadTimeout("answer lost", request=request)
        return response


def test_upload_timing_out_after_autopay_stored_it_is_retried_into_one_payment_at_autopay(
    payment, accountant
):
    transport = ForwardThenTimeOut()
    client = autopay.autopay_client_for(company=payment.company, max_retries=0, transport=transport)
    with client, pytest.raises(errors.UploadFailed) as raised:
        upload.payment_upload(payment=payment, actor=accountant, now=NOW, client=client)
    assert raised.value.retryable
    retried = upload.payment_upload(
        payment=payment, actor=accountant, now=NOW + datetime.timedelta(minutes=1)
    )
    uploaded_event = retried.events.get(kind=models.PaymentEventKind.UPLOADED)
    assert (retried.status, at_autopay(payment).count(), uploaded_event.details["created_at_autopay"]) == (
        models.PaymentStatus.TRANSFERRED,
        1,
        False,
    )


def test_retry_sends_the_very_same_document(payment, accountant):
    with (
        autopay.autopay_client_for(
            company=payment.company, max_retries=0, transport=ForwardThenTimeOut()
        ) as client,
        pytest.raises(errors.UploadFailed),
    ):
        upload.payment_upload(payment=payment, actor=accountant, now=NOW, client=client)
    first = models.Payment.objects.get(pk=payment.pk).document_sha256
    upload.payment_upload(payment=payment, actor=accountant, now=NOW + datetime.timedelta(hours=1))
    assert at_autopay(payment).get().document_sha256 == first


def test_selection_answers_numbers_uploaded_and_those_refused(payment, accountant, activated, bank_partner):
    factories.PayableItemFactory.create(company=activated, due_date=datetime.date(2026, 12, 15))
    second = proposal.payment_proposal_create(
        company=activated,
        bank_partner=bank_partner,
        due_date_to=datetime.date(2026, 12, 31),
        actor=None,
        now=NOW,
    ).payments[0]
    upload.payment_upload(payment=second, actor=accountant, now=NOW)
    outcome = upload.payments_upload(payments=[payment, second], actor=accountant, now=NOW)
    assert ([p.number for p in outcome.uploaded], [(r.number, r.code) for r in outcome.refused]) == (
        [payment.number],
        [(second.number, "not_a_proposal")],
    )


def test_company_without_autopay_is_refused(company, bank_partner, accountant, autopay_url):
    factories.PayableItemFactory.create(company=company)
    payment = proposal.payment_proposal_create(
        company=company,
        bank_partner=bank_partner,
        due_date_to=datetime.date(2026, 12, 31),
        actor=None,
        now=NOW,
    ).payments[0]
    with pytest.raises(errors.UploadFailed) as raised:
        upload.payment_upload(payment=payment, actor=accountant, now=NOW)
    assert raised.value.code == "autopay_not_activated"
