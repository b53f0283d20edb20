import base64
import datetime
import json

import pytest
from rest_framework.test import APIClient

from company import services
from tests.company.factories import BankPartnerFactory, MembershipFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 21, 12, 0, tzinfo=datetime.UTC)
SIGNING_KEY = b"\x07 api must never return this key \x08"


@pytest.fixture
def member():
    membership = MembershipFactory.create()
    services.company_signing_key_set(
        company=membership.company, signing_key=SIGNING_KEY, key_id=membership.company.org_no, now=NOW
    )
    client = APIClient()
    client.force_authenticate(membership.user)
    return client, membership.company


def test_company_shows_its_org_no(member):
    client, company = member
    assert client.get(f"/api/companies/{company.pk}/").json()["org_no"] == company.org_no


def test_company_shows_autopay_activated(member):
    client, company = member
    assert client.get(f"/api/companies/{company.pk}/").json()["autopay_activated"] is True


@pytest.mark.parametrize("path", ["/api/companies/", "/api/companies/{pk}/", "/api/schema/"])
def test_api_never_returns_the_signing_key(member, path):
    client, company = member
    company.refresh_from_db()
    body = client.get(path.format(pk=company.pk)).content.decode()
    forms = [base64.b64encode(SIGNING_KEY).decode(), SIGNING_KEY.hex(), company.ap_sig_key_ciphertext]
    assert not any(form in body for form in forms)


def test_company_fields_name_nothing_of_the_key(member):
    client, company = member
    fields = set(client.get(f"/api/companies/{company.pk}/").json())
    assert not {f for f in fields if "key" in f or "cipher" in f}


def test_bank_partner_created_for_own_company(member):
    client, company = member
    payload = {"company": company.pk, "name": "DNB", "bank_account": "12345678903", "gl_account_no": "1920"}
    response = client.post("/api/bank-partners/", payload, format="json")
    assert response.status_code == 201, json.dumps(response.json())


def test_bank_partner_with_invalid_account_is_refused(member):
    client, company = member
    payload = {"company": company.pk, "name": "DNB", "bank_account": "12345678901", "gl_account_no": "1920"}
    assert client.post("/api/bank-partners/", payload, format="json").status_code == 400


def test_bank_partner_cannot_move_to_another_company(member):
    client, company = member
    partner = BankPartnerFactory.create(company=company)
    other = MembershipFactory.create(user=company.memberships.get().user).company
    client.patch(f"/api/bank-partners/{partner.pk}/", {"company": other.pk}, format="json")
    partner.refresh_from_db()
    assert partner.company_id == company.pk
