"""The simulator's web pages, through Django's test client."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from autopay_sim import models, services
from tests.autopay_sim import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def approver(client):
    membership = factories.SimMembershipFactory.create()
    client.force_login(membership.user)
    return membership


def test_outgoing_transactions_list_the_companys_payments_by_date(client, approver):
    agreement = factories.BankAgreementFactory.create(company=approver.company)
    later = factories.PaymentLineFactory.create(
        payment__agreement=agreement, payment__requested_date="2026-12-01"
    ).payment
    sooner = factories.PaymentLineFactory.create(
        payment__agreement=agreement, payment__requested_date="2026-11-25"
    ).payment
    html = client.get(reverse("autopay_sim:home")).content.decode()
    assert html.index(later.payment_id) < html.index(sooner.payment_id)


def test_a_payment_of_another_company_is_not_shown(client, approver):
    other = factories.PaymentLineFactory.create().payment
    response = client.get(reverse("autopay_sim:payment", args=[other.reference]))
    assert response.status_code == 404


def test_pages_need_a_login(client):
    response = client.get(reverse("autopay_sim:home"))
    assert response.url.startswith(reverse("autopay_sim:login"))


def test_reducing_an_amount_in_the_page_records_an_event(client, approver):
    agreement = factories.BankAgreementFactory.create(company=approver.company)
    line = factories.PaymentLineFactory.create(payment__agreement=agreement, amount="100.00")
    client.post(
        reverse("autopay_sim:line-amount", args=[line.payment.reference, line.pk]), {"amount": "80,00"}
    )
    assert (
        models.PaymentEvent.objects.get(kind="amount_reduced").details
        == f"{line.end_to_end_id}: 100.00 → 80.00"
    )


def test_run_bank_day_button_is_for_administrators_only(client, approver):
    response = client.post(reverse("autopay_sim:bank-run-day"))
    assert response.status_code == 403


def test_administrator_runs_the_bank_day_from_the_page(client, approver):
    factories.SimMembershipFactory.create(
        user=approver.user, company=approver.company, role=models.SimRole.ADMINISTRATOR
    )
    response = client.post(reverse("autopay_sim:bank-run-day"), follow=True)
    assert "Bank day" in response.content.decode()


def _approved_payment(approver, *, requested_date):
    agreement = factories.BankAgreementFactory.create(
        company=approver.company, approvers_required=1, two_factor_level=models.TwoFactorLevel.NONE
    )
    line = factories.PaymentLineFactory.create(
        payment__agreement=agreement,
        payment__company=approver.company,
        payment__requested_date=requested_date,
    )
    # The company asks for two-factor at login: an approver has a device.
    if not TOTPDevice.objects.filter(user=approver.user).exists():
        factories.TOTPDeviceFactory.create(user=approver.user)
    services.payment_approve(payment_id=line.payment.pk, user=approver.user, now=timezone.now())
    return line


@pytest.mark.sqlite
def test_the_bank_runs_the_day_chosen_and_pays_what_is_due_by_then(client, approver):
    # A payment dated ahead is paid by running the bank for its day, not only on the day itself.
    factories.SimMembershipFactory.create(
        user=approver.user, company=approver.company, role=models.SimRole.ADMINISTRATOR
    )
    line = _approved_payment(approver, requested_date="2026-12-28")
    later = _approved_payment(approver, requested_date="2026-12-29")
    response = client.post(
        reverse("autopay_sim:bank-run-day"), {"day": "2026-12-28"}, follow=True, HTTP_ACCEPT_LANGUAGE="nb"
    )
    assert "Bankdag 28.12.2026: betalinger 1, linjer betalt 1," in response.content.decode()
    line.refresh_from_db()
    later.refresh_from_db()
    assert (line.status, line.value_date) == (models.AutoPayStatus.PAID, datetime.date(2026, 12, 28))
    assert later.status == models.AutoPayStatus.APPROVED


@pytest.mark.sqlite
@pytest.mark.parametrize("day", ["28.12.2026", "2026-13-01", "tomorrow", "2026-12-28' OR 1=1"])
def test_a_bank_day_that_is_not_a_date_is_refused_and_pays_nothing(client, approver, day):
    factories.SimMembershipFactory.create(
        user=approver.user, company=approver.company, role=models.SimRole.ADMINISTRATOR
    )
    line = _approved_payment(approver, requested_date="2026-11-23")
    events = models.PaymentEvent.objects.count()
    response = client.post(
        reverse("autopay_sim:bank-run-day"), {"day": day}, follow=True, HTTP_ACCEPT_LANGUAGE="nb"
    )
    assert response.status_code == 200
    assert "Oppgi bankdagen som en gyldig dato." in response.content.decode()
    line.refresh_from_db()
    assert (line.status, models.PaymentEvent.objects.count()) == (models.AutoPayStatus.APPROVED, events)


def test_the_bank_day_is_refused_to_a_non_administrator_whatever_the_day(client, approver):
    response = client.post(reverse("autopay_sim:bank-run-day"), {"day": "nonsense"})
    assert response.status_code == 403


def test_invoice_approver_approves_and_pays_from_the_page(client):
    company = factories.SimCompanyFactory.create(allow_pre_approval=True)
    membership = factories.SimMembershipFactory.create(company=company, role=models.SimRole.INVOICE_APPROVER)
    device = factories.TOTPDeviceFactory.create(user=membership.user)
    client.force_login(membership.user)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    form = {
        "company": company.pk,
        "invoice_no": "F-77",
        "supplier_account": "86011117947",
        "amount": "100.00",
        "currency": "NOK",
        "otp_code": f"{totp.token():06d}",
    }
    client.post(reverse("autopay_sim:invoice-approval"), form)
    assert models.Message.objects.get(type=models.MessageType.APPROVAL_TOKEN).payload["invoice_no"] == "F-77"


def _uploader_of_a_payment(client):
    membership = factories.SimMembershipFactory.create(role=models.SimRole.UPLOADER)
    client.force_login(membership.user)
    agreement = factories.BankAgreementFactory.create(company=membership.company)
    return factories.PaymentLineFactory.create(payment__agreement=agreement, amount="100.00").payment


def test_login_does_not_redirect_to_another_site(client):
    factories.UserFactory.create(username="kari")
    response = client.post(
        reverse("autopay_sim:login") + "?next=https://evil.example/",
        {"username": "kari", "password": "correct horse battery staple"},
    )
    assert response.url == reverse("autopay_sim:home")


def test_login_redirects_to_a_page_of_this_site(client):
    factories.UserFactory.create(username="kari")
    response = client.post(
        reverse("autopay_sim:login") + "?next=/autopay/approval/",
        {"username": "kari", "password": "correct horse battery staple"},
    )
    assert response.url == "/autopay/approval/"


def test_an_uploader_cannot_cancel_from_the_page(client):
    payment = _uploader_of_a_payment(client)
    client.post(reverse("autopay_sim:payment-cancel", args=[payment.reference]))
    assert models.Payment.objects.get(pk=payment.pk).status == models.AutoPayStatus.NEW


def test_a_refused_cancel_shows_the_reason_on_the_page(client):
    payment = _uploader_of_a_payment(client)
    response = client.post(reverse("autopay_sim:payment-cancel", args=[payment.reference]), follow=True)
    assert "not an AutoPay Approver" in response.content.decode()


def test_an_amount_with_three_decimals_is_refused_in_the_page(client, approver):
    agreement = factories.BankAgreementFactory.create(company=approver.company)
    line = factories.PaymentLineFactory.create(payment__agreement=agreement, amount="100.00")
    client.post(
        reverse("autopay_sim:line-amount", args=[line.payment.reference, line.pk]), {"amount": "1.234"}
    )
    assert not models.PaymentEvent.objects.filter(kind="amount_reduced").exists()


def test_a_date_that_is_not_a_date_is_refused_in_the_page(client, approver):
    agreement = factories.BankAgreementFactory.create(company=approver.company)
    payment = factories.PaymentLineFactory.create(payment__agreement=agreement).payment
    response = client.post(
        reverse("autopay_sim:payment-date", args=[payment.reference]),
        {"requested_date": "2026-13-01"},
        follow=True,
    )
    assert "Enter a valid date" in response.content.decode()


def test_the_navigation_links_back_to_the_erp(client, approver):
    html = client.get(reverse("autopay_sim:home")).content.decode()
    assert '<a class="ap-nav" href="/">' in html


def test_the_link_back_to_the_erp_is_in_norwegian_in_nb(client, approver):
    html = client.get(reverse("autopay_sim:home"), HTTP_ACCEPT_LANGUAGE="nb").content.decode()
    assert "Tilbake til ERP" in html


def test_the_demo_approver_approves_in_the_ui_without_a_code(client):
    membership = factories.SimMembershipFactory.create(company__two_factor_required=False)
    line = factories.PaymentLineFactory.create(
        payment__agreement__company=membership.company,
        payment__agreement__two_factor_level=models.TwoFactorLevel.LOGIN,
    )
    client.force_login(membership.user)
    client.post(reverse("autopay_sim:payment-approve", args=[line.payment.reference]))
    assert models.Payment.objects.get(pk=line.payment.pk).status == models.AutoPayStatus.APPROVED


@pytest.mark.parametrize("suffix", ["", "approve/", "cancel/", "date/", "lines/1/amount/"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_reference_with_a_nul_byte_is_a_404_not_a_server_error(client, approver, suffix, method):
    client.raise_request_exception = False
    response = getattr(client, method)(f"/autopay/payments/a%00b/{suffix}")
    assert response.status_code == 404
