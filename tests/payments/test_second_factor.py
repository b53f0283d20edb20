"""Where a company requires two-factor, uploading and overriding ask for a fresh code; both are audited."""

import datetime
from decimal import Decimal

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from company import models as company_models
from payments import models
from payments.services import proposal
from tests.payments import factories
from tests.payments.factories import NOW

pytestmark = pytest.mark.django_db


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def strict_company(company):
    company.two_factor_required = True
    company.save(update_fields=["two_factor_required"])
    return company


@pytest.fixture
def payment(strict_company, bank_partner):
    factories.PayableItemFactory.create(company=strict_company, amount=Decimal("1000.00"))
    return proposal.payment_proposal_create(
        company=strict_company,
        bank_partner=bank_partner,
        due_date_to=datetime.date(2027, 12, 31),
        actor=None,
        now=NOW,
    ).payments[0]


def _device(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def test_upload_without_a_device_is_refused_with_403_and_nothing_changes(accountant, payment):
    answer = api_for(accountant).post(f"/api/payments/{payment.pk}/upload/", {}, format="json")
    payment.refresh_from_db()
    assert (answer.status_code, answer.json()["error"], payment.status, payment.document) == (
        403,
        "otp_device_missing",
        models.PaymentStatus.PROPOSAL,
        "",
    )


def test_upload_without_a_code_is_refused_with_403(accountant, payment):
    _device(accountant)
    answer = api_for(accountant).post(f"/api/payments/{payment.pk}/upload/", {}, format="json")
    assert (answer.status_code, answer.json()["error"]) == (403, "otp_required")


def test_upload_with_a_wrong_code_is_refused_with_403(accountant, payment):
    device = _device(accountant)
    wrong = f"{(int(_code(device)) + 1) % 1_000_000:06d}"
    answer = api_for(accountant).post(f"/api/payments/{payment.pk}/upload/", {"otp": wrong}, format="json")
    assert (answer.status_code, answer.json()["error"]) == (403, "otp_invalid")


def test_a_transferred_payment_is_a_409_before_any_code_is_asked(accountant, payment):
    models.Payment.objects.filter(pk=payment.pk).update(
        status=models.PaymentStatus.TRANSFERRED, transferred_at=NOW
    )
    answer = api_for(accountant).post(f"/api/payments/{payment.pk}/upload/", {}, format="json")
    assert (answer.status_code, answer.json()["error"]) == (409, "not_a_proposal")


def test_selection_upload_without_a_code_is_refused_with_403(accountant, payment):
    _device(accountant)
    answer = api_for(accountant).post("/api/payments/upload/", {"payments": [payment.pk]}, format="json")
    payment.refresh_from_db()
    assert (answer.status_code, payment.status) == (403, models.PaymentStatus.PROPOSAL)


def test_an_upload_with_a_fresh_code_is_sent_and_audited(accountant, activated, payment):
    device = _device(accountant)
    answer = api_for(accountant).post(
        f"/api/payments/{payment.pk}/upload/", {"otp": _code(device)}, format="json"
    )
    assert answer.status_code == 200, answer.content
    event = company_models.AuditEvent.objects.get(
        event=company_models.AuditEventKind.PAYMENT_UPLOADED, company_id=payment.company_id
    )
    assert (event.user_id, event.company_id, event.details["payment"]) == (
        accountant.pk,
        payment.company_id,
        payment.number,
    )


def test_an_override_asks_for_a_fresh_code_and_is_audited(approver, strict_company, bank_partner):
    first = factories.PayableItemFactory.create(company=strict_company, amount=Decimal("500.00"))
    line = (
        proposal.payment_proposal_create(
            company=strict_company,
            bank_partner=bank_partner,
            due_date_to=datetime.date(2027, 12, 31),
            actor=None,
            now=NOW,
        )
        .payments[0]
        .lines.get(open_item=first)
    )
    flag = models.PaymentLineFlag.objects.create(
        line=line, company=strict_company, kind=models.FlagKind.DUPLICATE, detail="test", created_at=NOW
    )
    device = _device(approver)
    client = api_for(approver)
    refused = client.post(
        f"/api/payment-line-flags/{flag.pk}/override/", {"reason": "Checked"}, format="json"
    )
    accepted = client.post(
        f"/api/payment-line-flags/{flag.pk}/override/",
        {"reason": "Checked", "otp": _code(device)},
        format="json",
    )
    assert (refused.status_code, accepted.status_code) == (403, 200)
    assert company_models.AuditEvent.objects.filter(
        event=company_models.AuditEventKind.PAYMENT_FLAG_OVERRIDDEN, user_id=approver.pk
    ).exists()
