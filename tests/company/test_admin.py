import base64
import datetime
import logging

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from company import models, selectors, services
from tests.company.factories import BankPartnerFactory, CompanyFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 21, 12, 0, tzinfo=datetime.UTC)
SIGNING_KEY = b"\x01\x02 very secret signing key \xfe\xff"


def _activated_company() -> models.Company:
    company = CompanyFactory.create()
    return services.company_signing_key_set(company=company, signing_key=SIGNING_KEY, key_id="k", now=NOW)


def _secret_forms(company: models.Company) -> list[str]:
    company.refresh_from_db()
    return [base64.b64encode(SIGNING_KEY).decode(), SIGNING_KEY.hex(), company.ap_sig_key_ciphertext]


@pytest.fixture
def staff_client(client):
    user = UserFactory.create(is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label__in=["company", "ledger"]))
    client.force_login(user)
    client.user = user
    return client


@pytest.mark.parametrize("page", ["changelist", "change", "history"])
def test_company_admin_pages_never_show_the_signing_key(admin_client, page):
    company = _activated_company()
    args = [] if page == "changelist" else [company.pk]
    html = admin_client.get(reverse(f"admin:company_company_{page}", args=args)).content.decode()
    assert not any(form in html for form in _secret_forms(company))


def test_company_change_page_shows_when_autopay_was_activated(admin_client):
    company = _activated_company()
    html = admin_client.get(reverse("admin:company_company_change", args=[company.pk])).content.decode()
    assert "Activated at 2026-11-21 13:00" in html


def test_new_signing_key_entered_in_admin_is_stored_encrypted(admin_client):
    company = CompanyFactory.create()
    admin_client.post(
        reverse("admin:company_company_change", args=[company.pk]),
        {
            "name": company.name,
            "org_no": company.org_no,
            "two_factor_required": "on",
            "new_signing_key": base64.b64encode(SIGNING_KEY).decode(),
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    company.refresh_from_db()
    assert selectors.company_signing_key(company=company) == SIGNING_KEY


def test_signing_key_that_is_not_base64_is_refused_without_echoing_it(admin_client):
    company = CompanyFactory.create()
    response = admin_client.post(
        reverse("admin:company_company_change", args=[company.pk]),
        {
            "name": company.name,
            "org_no": company.org_no,
            "new_signing_key": "not*base64*secret",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    company.refresh_from_db()
    assert "not*base64*secret" not in response.content.decode()
    assert response.context["adminform"].form.errors["new_signing_key"] == ["Not valid base64."]
    assert not company.is_autopay_activated()


@pytest.mark.parametrize(
    ("model", "factory"),
    [("company", CompanyFactory), ("bankpartner", BankPartnerFactory), ("membership", MembershipFactory)],
)
def test_admin_change_page_loads(admin_client, model, factory):
    obj = factory.create()
    assert admin_client.get(reverse(f"admin:company_{model}_change", args=[obj.pk])).status_code == 200


@pytest.mark.parametrize("model", ["company", "bankpartner", "membership"])
def test_admin_changelist_loads(admin_client, model):
    BankPartnerFactory.create()
    MembershipFactory.create()
    assert admin_client.get(reverse(f"admin:company_{model}_changelist"), {"q": "a"}).status_code == 200


def test_staff_sees_only_own_companies_in_the_company_changelist(staff_client):
    own = MembershipFactory.create(user=staff_client.user).company
    CompanyFactory.create()
    response = staff_client.get(reverse("admin:company_company_changelist"))
    assert list(response.context["cl"].queryset) == [own]


def test_staff_gets_no_change_page_for_another_companys_bank_partner(staff_client):
    MembershipFactory.create(user=staff_client.user)
    other = BankPartnerFactory.create()
    response = staff_client.get(reverse("admin:company_bankpartner_change", args=[other.pk]))
    assert response.status_code == 302  # the admin redirects an unknown object to the index


def test_staff_can_pick_only_own_companies_for_a_bank_partner(staff_client):
    own = MembershipFactory.create(user=staff_client.user).company
    CompanyFactory.create()
    response = staff_client.get(reverse("admin:company_bankpartner_add"))
    assert list(response.context["adminform"].form.fields["company"].queryset) == [own]


def test_staff_cannot_add_a_company(staff_client):
    MembershipFactory.create(user=staff_client.user)
    assert staff_client.get(reverse("admin:company_company_add")).status_code == 403


def test_setting_the_key_in_admin_logs_nothing_of_it(admin_client, caplog, settings):
    settings.DEBUG = True  # SQL statements are logged only with DEBUG on
    caplog.set_level(logging.DEBUG)
    company = CompanyFactory.create()
    admin_client.post(
        reverse("admin:company_company_change", args=[company.pk]),
        {
            "name": company.name,
            "org_no": company.org_no,
            "new_signing_key": base64.b64encode(SIGNING_KEY).decode(),
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    logged = caplog.text + "".join(repr(record.args) for record in caplog.records)
    assert not any(form in logged for form in [base64.b64encode(SIGNING_KEY).decode(), SIGNING_KEY.hex()])
