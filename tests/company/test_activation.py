"""AutoPay activation of a company, against the simulator served by this project over HTTP (live_server)."""

import base64
import datetime
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from rest_framework.test import APIClient

from autopay_client import client as autopay_client
from company import activation, models, selectors
from tests.autopay_client import live_sim
from tests.company import factories

pytestmark = pytest.mark.django_db(transaction=True)

NOW = datetime.datetime(2026, 11, 22, 9, 30, tzinfo=datetime.UTC)


@pytest.fixture
def autopay_url(live_server, settings) -> str:
    settings.AUTOPAY_BASE_URL = f"{live_server.url}/autopay"
    return settings.AUTOPAY_BASE_URL


@pytest.fixture
def company(autopay_url) -> models.Company:
    return factories.BankPartnerFactory.create(company__name="Demo AS").company


@pytest.fixture
def code(company) -> str:
    account = company.bank_partners.get().bank_account
    return live_sim.sim_company_register(org_no=company.org_no, name=company.name, account=account)


@pytest.fixture
def administrator(company):
    return factories.MembershipFactory(company=company, role=models.Role.ADMINISTRATOR).user


def refreshed(company: models.Company) -> models.Company:
    return models.Company.objects.get(pk=company.pk)


def stored_key(company: models.Company) -> bytes:
    return selectors.company_signing_key(company=refreshed(company))


def key_texts(company: models.Company) -> list[str]:
    key = stored_key(company)
    return [base64.b64encode(key).decode(), key.hex()]


# The service


def test_activation_stores_a_key_that_signs_for_the_company(company, code, autopay_url):
    activation.company_autopay_activate(company=company, activation_code=code, now=NOW)
    with autopay_client.AutoPayClient(autopay_url, company.org_no, stored_key(company)) as client:
        assert client.messages(after=0).next_after == 0


def test_activation_stores_the_key_encrypted(company, code):
    activation.company_autopay_activate(company=company, activation_code=code, now=NOW)
    ciphertext = refreshed(company).ap_sig_key_ciphertext
    assert [text for text in key_texts(company) if text in ciphertext] == []


def test_activation_records_the_key_id_and_the_time_given(company, code):
    activation.company_autopay_activate(company=company, activation_code=code, now=NOW)
    stored = refreshed(company)
    assert (stored.autopay_key_id, stored.autopay_activated_at) == (company.org_no, NOW)


def test_activation_returns_the_activated_company(company, code):
    returned = activation.company_autopay_activate(company=company, activation_code=code, now=NOW)
    assert returned.is_autopay_activated()


def test_second_activation_with_the_same_code_fails_as_used(company, code):
    activation.company_autopay_activate(company=company, activation_code=code, now=NOW)
    with pytest.raises(activation.ActivationError) as raised:
        activation.company_autopay_activate(company=company, activation_code=code, now=NOW)
    assert raised.value.code == "activation_code_used"


def test_second_activation_with_the_same_code_keeps_the_first_key(company, code):
    activation.company_autopay_activate(company=company, activation_code=code, now=NOW)
    first = refreshed(company).ap_sig_key_ciphertext
    with pytest.raises(activation.ActivationError):
        activation.company_autopay_activate(company=company, activation_code=code, now=NOW)
    assert refreshed(company).ap_sig_key_ciphertext == first


def test_unknown_code_fails_and_stores_nothing(company, code):
    with pytest.raises(activation.ActivationError, match="does not know this activation code"):
        activation.company_autopay_activate(company=company, activation_code="WRONG-CODE", now=NOW)
    assert refreshed(company).is_autopay_activated() is False


def test_blank_code_is_refused(company):
    with pytest.raises(activation.ActivationError) as raised:
        activation.company_autopay_activate(company=company, activation_code="  ", now=NOW)
    assert raised.value.code == "activation_code_missing"


def test_unreachable_autopay_is_a_retryable_error(company, settings):
    settings.AUTOPAY_BASE_URL = "http://127.0.0.1:9/autopay"
    with pytest.raises(activation.ActivationError) as raised:
        activation.company_autopay_activate(company=company, activation_code="K7P2-QX9M", now=NOW)
    assert (raised.value.code, raised.value.retryable) == ("autopay_unreachable", True)


def test_activation_never_logs_the_key(company, code, caplog):
    caplog.set_level("DEBUG")
    activation.company_autopay_activate(company=company, activation_code=code, now=NOW)
    assert not any(text in caplog.text for text in key_texts(company))


# The management command


def test_command_activates_the_company(company, code):
    call_command("autopay_activate", "--org-no", company.org_no, "--code", code, stdout=io.StringIO())
    assert refreshed(company).is_autopay_activated()


def test_command_prints_the_org_no_and_never_the_key(company, code):
    out = io.StringIO()
    call_command("autopay_activate", "--org-no", company.org_no, "--code", code, stdout=out)
    printed = out.getvalue()
    leaked = [text for text in key_texts(company) if text in printed]
    assert (printed.startswith(f"activated: {company.org_no}"), leaked) == (True, [])


def test_command_for_an_unknown_org_no_fails(company):
    with pytest.raises(CommandError, match="No company with org no"):
        call_command("autopay_activate", "--org-no", "000000000", "--code", "X", stdout=io.StringIO())


def test_command_with_a_used_code_fails_with_the_reason(company, code):
    call_command("autopay_activate", "--org-no", company.org_no, "--code", code, stdout=io.StringIO())
    with pytest.raises(CommandError, match="already been used"):
        call_command("autopay_activate", "--org-no", company.org_no, "--code", code, stdout=io.StringIO())


# The REST endpoint


def api_for(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def api_url(company: models.Company) -> str:
    return f"/api/companies/{company.pk}/activate-autopay/"


def test_api_activates_for_a_company_administrator(company, code, administrator):
    response = api_for(administrator).post(api_url(company), {"activation_code": code}, format="json")
    assert (response.status_code, response.json()["autopay_activated"]) == (200, True)


def test_api_response_never_contains_the_key(company, code, administrator):
    response = api_for(administrator).post(api_url(company), {"activation_code": code}, format="json")
    body = response.content.decode()
    assert [text for text in ["signing_key", *key_texts(company)] if text in body] == []


def test_api_for_another_companys_id_is_not_found(company, code):
    outsider = factories.MembershipFactory(role=models.Role.ADMINISTRATOR).user
    response = api_for(outsider).post(api_url(company), {"activation_code": code}, format="json")
    assert (response.status_code, refreshed(company).is_autopay_activated()) == (404, False)


def test_api_for_a_member_who_is_not_an_administrator_is_forbidden(company, code):
    accountant = factories.MembershipFactory(company=company, role=models.Role.ACCOUNTANT).user
    response = api_for(accountant).post(api_url(company), {"activation_code": code}, format="json")
    assert (response.status_code, refreshed(company).is_autopay_activated()) == (403, False)


def test_api_with_a_bad_code_is_a_400_naming_the_error(company, code, administrator):
    response = api_for(administrator).post(api_url(company), {"activation_code": "WRONG"}, format="json")
    assert (response.status_code, response.json()["error"]) == (400, "activation_invalid")


def test_api_when_this_server_cannot_store_the_key_is_a_500_naming_the_error(
    company, code, administrator, settings
):
    settings.FIELD_ENCRYPTION_KEYS = []
    response = api_for(administrator).post(api_url(company), {"activation_code": code}, format="json")
    company.refresh_from_db()
    assert (response.status_code, response.json()["error"]) == (500, "key_not_stored")
    assert not company.is_autopay_activated()


def test_api_without_a_code_is_a_400(company, administrator):
    response = api_for(administrator).post(api_url(company), {}, format="json")
    assert response.status_code == 400


def test_api_requires_authentication(company, code):
    response = APIClient().post(api_url(company), {"activation_code": code}, format="json")
    assert response.status_code in (401, 403)


# The web page


def page_url(company: models.Company) -> str:
    return f"/companies/{company.pk}/autopay/"


def test_page_shows_a_company_not_yet_activated(client, company, administrator):
    client.force_login(administrator)
    assert "Not activated" in client.get(page_url(company)).content.decode()


def test_posting_the_code_activates_and_shows_activated(client, company, code, administrator):
    client.force_login(administrator)
    response = client.post(page_url(company), {"activation_code": code}, follow=True)
    assert 'data-testid="autopay-state">Activated<' in response.content.decode()


def test_activated_page_never_shows_the_key(client, company, code, administrator):
    client.force_login(administrator)
    page = client.post(page_url(company), {"activation_code": code}, follow=True).content.decode()
    assert [text for text in key_texts(company) if text in page] == []


def test_page_with_a_bad_code_shows_the_reason(client, company, code, administrator):
    client.force_login(administrator)
    response = client.post(page_url(company), {"activation_code": "WRONG"})
    assert (response.status_code, "does not know this activation code" in response.content.decode()) == (
        200,
        True,
    )


def test_the_page_and_its_refusal_are_in_norwegian_under_nb(client, company, code, administrator):
    client.force_login(administrator)
    response = client.post(page_url(company), {"activation_code": "WRONG"}, HTTP_ACCEPT_LANGUAGE="nb")
    page = response.content.decode()
    assert "Aktiveringskode" in page
    assert "Engangskoden du fikk fra AutoPay" in page
    assert f"AutoPay kjenner ikke denne aktiveringskoden for org.nr. {company.org_no}" in page


def test_page_of_another_company_is_not_found(client, company):
    client.force_login(factories.MembershipFactory(role=models.Role.ADMINISTRATOR).user)
    assert client.get(page_url(company)).status_code == 404


def test_page_for_a_member_who_is_not_an_administrator_is_forbidden(client, company):
    client.force_login(factories.MembershipFactory(company=company, role=models.Role.ACCOUNTANT).user)
    assert client.get(page_url(company)).status_code == 403


def test_page_requires_login(client, company):
    response = client.get(page_url(company))
    assert (response.status_code, response.url.startswith("/login/")) == (302, True)


# The admin action


def changelist() -> str:
    return reverse("admin:company_company_changelist")


def test_admin_action_asks_for_the_activation_code(admin_client, company):
    response = admin_client.post(
        changelist(), {"action": "admin_activate_autopay", "_selected_action": [company.pk]}
    )
    assert 'name="activation_code"' in response.content.decode()


def test_admin_action_with_the_code_activates_the_company(admin_client, company, code):
    admin_client.post(
        changelist(),
        {
            "action": "admin_activate_autopay",
            "_selected_action": [company.pk],
            "apply": "1",
            "activation_code": code,
        },
    )
    assert refreshed(company).is_autopay_activated()


def test_admin_action_with_a_bad_code_shows_the_reason_on_the_same_page(admin_client, company, code):
    response = admin_client.post(
        changelist(),
        {
            "action": "admin_activate_autopay",
            "_selected_action": [company.pk],
            "apply": "1",
            "activation_code": "X",
        },
    )
    assert "does not know this activation code" in response.content.decode()


def test_admin_action_on_two_companies_activates_none(admin_client, company, code):
    other = factories.CompanyFactory.create()
    admin_client.post(
        changelist(),
        {
            "action": "admin_activate_autopay",
            "_selected_action": [company.pk, other.pk],
            "apply": "1",
            "activation_code": code,
        },
    )
    assert refreshed(company).is_autopay_activated() is False


def test_json_of_the_activation_result_is_the_companys_public_state(company, code, administrator):
    response = api_for(administrator).post(api_url(company), {"activation_code": code}, format="json")
    assert set(json.loads(response.content)) == {
        "id",
        "org_no",
        "autopay_activated",
        "autopay_key_id",
        "autopay_activated_at",
    }


# Two-factor and the audit log


def test_activation_with_a_fresh_code_activates_a_company_requiring_two_factor(company, code, administrator):
    from tests.company.twofactor_helpers import confirmed_device_for, current_code

    models.Company.objects.filter(pk=company.pk).update(two_factor_required=True)
    device = confirmed_device_for(administrator)
    activation.company_autopay_activate(
        company=refreshed(company),
        activation_code=code,
        now=NOW,
        user=administrator,
        otp=current_code(device),
    )
    assert refreshed(company).is_autopay_activated()


def test_activation_is_recorded_in_the_audit_log_without_the_key(company, code, administrator):
    activation.company_autopay_activate(
        company=company, activation_code=code, now=NOW, user=administrator, ip="192.0.2.7"
    )
    event = models.AuditEvent.objects.get(
        event=models.AuditEventKind.AUTOPAY_ACTIVATED, company_id=company.pk
    )
    stored = json.dumps(event.details)
    assert (event.username, event.ip, event.at, [t for t in key_texts(company) if t in stored]) == (
        administrator.username,
        "192.0.2.7",
        NOW,
        [],
    )
