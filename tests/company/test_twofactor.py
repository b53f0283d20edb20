"""Two-factor in the ERP: otp_fresh_verify, the enrolment page, and AutoPay activation asking for a fresh
code."""

import datetime
import re

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from company import activation, models, twofactor
from tests.company import factories
from tests.company.twofactor_helpers import confirmed_device_for, current_code, wrong_code

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 22, 9, 30, tzinfo=datetime.UTC)


@pytest.fixture
def strict_company() -> models.Company:
    return factories.CompanyFactory.create(two_factor_required=True)


@pytest.fixture
def user():
    return factories.UserFactory.create()


# otp_fresh_verify


def test_company_not_requiring_two_factor_needs_no_code(user):
    company = factories.CompanyFactory.create(two_factor_required=False)
    twofactor.otp_fresh_verify(user=user, company=company, code=None)  # raises if a code were needed


def test_user_without_a_device_is_told_to_enrol(strict_company, user):
    with pytest.raises(twofactor.DeviceMissing):
        twofactor.otp_fresh_verify(user=user, company=strict_company, code="123456")


def test_missing_code_is_required(strict_company, user):
    confirmed_device_for(user)
    with pytest.raises(twofactor.CodeRequired):
        twofactor.otp_fresh_verify(user=user, company=strict_company, code="  ")


def test_wrong_code_is_invalid(strict_company, user):
    device = confirmed_device_for(user)
    with pytest.raises(twofactor.CodeInvalid):
        twofactor.otp_fresh_verify(user=user, company=strict_company, code=wrong_code(device))


def test_a_refused_code_is_recorded_in_the_audit_log(strict_company, user):
    device = confirmed_device_for(user)
    with pytest.raises(twofactor.CodeInvalid):
        twofactor.otp_fresh_verify(user=user, company=strict_company, code=wrong_code(device), ip="192.0.2.7")

    events = list(
        models.AuditEvent.objects.filter(
            event=models.AuditEventKind.TWO_FACTOR_FAILED, company_id=strict_company.pk
        ).values_list("user_id", "company_id", "ip")
    )
    assert events == [(user.pk, strict_company.pk, "192.0.2.7")]


def test_current_code_verifies(strict_company, user):
    device = confirmed_device_for(user)
    twofactor.otp_fresh_verify(user=user, company=strict_company, code=current_code(device))
    device.refresh_from_db()
    assert device.last_t > -1
    assert not models.AuditEvent.objects.filter(
        event=models.AuditEventKind.TWO_FACTOR_FAILED, company_id=strict_company.pk
    ).exists()


def test_a_code_verifies_once_only(strict_company, user):
    device = confirmed_device_for(user)
    code = current_code(device)
    twofactor.otp_fresh_verify(user=user, company=strict_company, code=code)
    with pytest.raises(twofactor.CodeInvalid):
        twofactor.otp_fresh_verify(user=user, company=strict_company, code=code)


def test_an_unconfirmed_device_does_not_count(strict_company, user):
    device = TOTPDevice.objects.create(user=user, name="ERP", confirmed=False)
    with pytest.raises(twofactor.DeviceMissing):
        twofactor.otp_fresh_verify(user=user, company=strict_company, code=current_code(device))


def test_a_failed_code_stays_counted_by_the_device_throttle(strict_company, user):
    device = confirmed_device_for(user)
    with pytest.raises(twofactor.CodeInvalid):
        twofactor.otp_fresh_verify(user=user, company=strict_company, code=wrong_code(device))
    device.refresh_from_db()
    assert device.throttling_failure_count == 1


# AutoPay activation (refused before AutoPay is asked, so no simulator is needed here)


def test_activation_of_a_company_requiring_two_factor_without_a_code_stores_nothing(strict_company, user):
    confirmed_device_for(user)
    with pytest.raises(twofactor.CodeRequired):
        activation.company_autopay_activate(
            company=strict_company, activation_code="K7P2-QX9M", now=NOW, user=user, otp=None
        )
    assert models.Company.objects.get(pk=strict_company.pk).is_autopay_activated() is False


def test_api_activation_without_a_fresh_code_is_a_403_naming_the_error(strict_company, user):
    factories.MembershipFactory.create(user=user, company=strict_company, role=models.Role.ADMINISTRATOR)
    confirmed_device_for(user)
    api = APIClient()
    api.force_authenticate(user)
    response = api.post(
        reverse("api-company-activate-autopay", args=[strict_company.pk]),
        {"activation_code": "K7P2-QX9M"},
        format="json",
    )
    assert (response.status_code, response.json()["error"]) == (403, "otp_required")


def test_activation_page_with_a_wrong_code_shows_the_error_on_the_code_field(client, strict_company, user):
    factories.MembershipFactory.create(user=user, company=strict_company, role=models.Role.ADMINISTRATOR)
    device = confirmed_device_for(user)
    client.force_login(user)
    response = client.post(
        reverse("company-activate-autopay", args=[strict_company.pk]),
        {"activation_code": "K7P2-QX9M", "otp": wrong_code(device)},
    )
    assert "otp" in response.context["form"].errors


def test_command_without_a_code_for_a_company_requiring_two_factor_fails(strict_company, user):
    from django.core.management import CommandError, call_command

    factories.MembershipFactory.create(user=user, company=strict_company, role=models.Role.ADMINISTRATOR)
    confirmed_device_for(user)
    with pytest.raises(CommandError, match="otp_required"):
        call_command(
            "autopay_activate", "--org-no", strict_company.org_no, "--code", "K7P2", "--user", user.username
        )


# Enrolment


def test_enrolment_page_shows_a_qr_code_and_no_script(client, user):
    client.force_login(user)
    response = client.get(reverse("two-factor"))
    html = response.content.decode()
    assert ("<svg" in html, re.search(r"<script(?![^>]*\bsrc=)", html)) == (True, None)


def test_confirming_with_the_apps_code_turns_two_factor_on(client, user):
    client.force_login(user)
    client.get(reverse("two-factor"))
    pending = TOTPDevice.objects.get(user=user, confirmed=False)
    client.post(reverse("two-factor"), {"code": current_code(pending)})
    assert TOTPDevice.objects.filter(user=user, confirmed=True).count() == 1


def test_confirming_with_a_wrong_code_leaves_the_device_unconfirmed(client, user):
    client.force_login(user)
    client.get(reverse("two-factor"))
    pending = TOTPDevice.objects.get(user=user, confirmed=False)
    client.post(reverse("two-factor"), {"code": wrong_code(pending)})
    assert TOTPDevice.objects.filter(user=user, confirmed=True).exists() is False


def test_enrolment_is_recorded_in_the_audit_log(client, user):
    client.force_login(user)
    client.get(reverse("two-factor"))
    pending = TOTPDevice.objects.get(user=user, confirmed=False)
    client.post(reverse("two-factor"), {"code": current_code(pending)})
    assert models.AuditEvent.objects.filter(
        event=models.AuditEventKind.TWO_FACTOR_ENROLLED, user_id=user.pk
    ).exists()


def test_command_without_a_user_is_the_server_operator_and_asks_no_code(strict_company, settings):
    from django.core.management import CommandError, call_command

    settings.AUTOPAY_BASE_URL = "http://127.0.0.1:9/autopay"  # nothing listens: fails after the 2FA check
    with pytest.raises(CommandError) as raised:
        call_command("autopay_activate", "--org-no", strict_company.org_no, "--code", "K7P2")
    assert "autopay_unreachable" in str(raised.value)
